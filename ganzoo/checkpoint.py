"""Checkpoints: written atomically, the last K kept, loaded with ``weights_only=True``."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import torch

from ganzoo.errors import GanzooError
from ganzoo.files import write_atomic

FORMAT = "ganzoo-checkpoint"
VERSION = 1
FOLDER = "checkpoints"
_NAME = re.compile(r"^step-(\d+)\.pt$")


def checkpoint_path(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / FOLDER / f"step-{step:09d}.pt"


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """The run's checkpoints, oldest first."""
    folder = Path(run_dir) / FOLDER
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=lambda p: int(_NAME.match(p.name).group(1)))


def save_checkpoint(run_dir: str | Path, state: dict[str, Any], keep: int) -> Path:
    """Write ``state`` as the checkpoint of ``state['step']``; keep the newest ``keep``."""
    path = checkpoint_path(run_dir, int(state["step"]))
    payload = {"format": FORMAT, "version": VERSION, **state}
    write_atomic(path, lambda handle: torch.save(payload, handle))
    for old in list_checkpoints(run_dir)[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint file, or the newest checkpoint of a run directory."""
    path = Path(path)
    if path.is_dir():
        found = list_checkpoints(path)
        if not found:
            raise GanzooError(f"{path} holds no checkpoint (expected {FOLDER}/step-*.pt); is it a ganzoo run directory?")
        path = found[-1]
    if not path.is_file():
        raise GanzooError(f"checkpoint '{path}' not found; give a run directory or a .pt file")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise GanzooError(
            f"cannot load checkpoint '{path}': {reason[:200]} (corrupt, truncated, or not a ganzoo checkpoint)"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GanzooError(f"'{path}' is not a ganzoo checkpoint")
    state["path"] = str(path)
    return state
