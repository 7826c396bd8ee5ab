"""Fake installed distributions: a ``*.dist-info`` folder with ``entry_points.txt`` and
METADATA in a folder put on the path, which is exactly what importlib.metadata
discovers for a pip-installed package (without running pip)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping


def write_distribution(site: Path, name: str, entry_points: Mapping[str, str], modules: Mapping[str, str] = (),
                       version: str = "0.1.0") -> Path:
    """Install distribution ``name`` into ``site``: entry points of group ``ganzoo`` and module files."""
    site = Path(site)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = ["[ganzoo]"] + [f"{ep} = {value}" for ep, value in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for filename, source in dict(modules).items():
        path = site / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return site


def path_env(*folders: Path) -> dict[str, str]:
    """Environment for a subprocess that sees ``folders`` on its path, and no inherited allowlist."""
    entries = [str(f) for f in folders] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {"PYTHONPATH": os.pathsep.join(entries)}


GOOD_PLUGIN = '''
from dataclasses import dataclass
import torch.nn.functional as F
from ganzoo import AdversarialLoss, hookimpl

@dataclass
class Params:
    scale: float = 1.0

class Softplus(AdversarialLoss):
    def __init__(self, params):
        self.scale = params.scale
    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return self.scale * (F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean())
    def generator_loss(self, fake_logits, ctx):
        return self.scale * F.softplus(-fake_logits).mean()

@hookimpl
def register_losses(register):
    register("good-loss", Softplus, Params, "A loss from a good plugin.")
'''

BROKEN_IMPORT_PLUGIN = '''
import ganzoo_missing_dependency  # noqa: F401
'''
