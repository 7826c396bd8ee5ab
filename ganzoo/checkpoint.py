"""Checkpoints: written atomically, the last K kept, loaded with ``weights_only=True``."""

from __future__ import annotations

import contextlib
import pickle
import re
import warnings
from pathlib import Path
from typing import Any

import torch

from ganzoo.errors import GanzooError
from ganzoo.files import write_atomic

FORMAT = "ganzoo-checkpoint"
VERSION = 2  # 2: models, optimisers and EMAs by role, the algorithm's state; 1 had generator/discriminator
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


def remove_partial_writes(run_dir: str | Path) -> None:
    """Delete temporary files that a killed process left while writing a checkpoint."""
    folder = Path(run_dir) / FOLDER
    if folder.is_dir():
        for partial in folder.glob(".step-*.pt.*.tmp"):
            with contextlib.suppress(OSError):
                partial.unlink()


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
    older = ""
    if path.is_dir():
        found = list_checkpoints(path)
        if not found:
            raise GanzooError(f"{path} holds no checkpoint (expected {FOLDER}/step-*.pt); is it a ganzoo run directory?")
        path = found[-1]
        if len(found) > 1:
            older = f"; to go back to the previous checkpoint, move this one away ({found[-2].name} stays)"
    if not path.is_file():
        raise GanzooError(f"checkpoint '{path}' not found; give a run directory or a .pt file")
    try:
        return _load_file(path, map_location)
    except GanzooError as error:
        raise GanzooError(f"{error}{older}") from None


def _load_file(path: Path, map_location) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():  # torch warns about unusual pickles it then refuses anyway
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        if "unsupported global" not in str(error).lower():  # not a refused import: just bad bytes
            raise GanzooError(f"cannot load checkpoint '{path}': {_unpickling_problem(error)} "
                              "(corrupt, truncated, or not a ganzoo checkpoint; only tensors and plain data "
                              "are loaded)") from None
        raise GanzooError(
            f"refused to load checkpoint '{path}': it holds more than tensors and plain data "
            f"({_refused_global(error)}), "
            "and loading it could run code; use checkpoints written by ganzoo"
        ) from None
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise GanzooError(
            f"cannot load checkpoint '{path}': {reason[:200]} (corrupt, truncated, or not a ganzoo checkpoint)"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GanzooError(f"'{path}' is not a ganzoo checkpoint")
    state["path"] = str(path)
    return _upgrade(state)


def _upgrade(state: dict[str, Any]) -> dict[str, Any]:
    """A version-1 checkpoint (written before algorithms were plugins) in today's layout."""
    if "models" in state or "generator" not in state:
        return state
    state["models"] = {role: state.pop(role) for role in ("generator", "discriminator") if role in state}
    if "generator_ema" in state:
        state["ema"] = {"generator": state.pop("generator_ema")}
    state.setdefault("sample_role", "generator")
    window = state.get("window")
    if isinstance(window, dict) and "d" in window:  # sums of d_loss, D(x), D(G(z)) and of g_loss
        d, g, d_count, g_count = window["d"], window["g"], window["d_count"], window["g_count"]
        state["window"] = {"names": ["d_loss", "g_loss", "d_real", "d_fake"],
                           "sums": torch.stack([d[0], g[0], d[1], d[2]]),
                           "counts": torch.tensor([d_count, g_count, d_count, d_count], dtype=torch.float32),
                           "skipped": window.get("skipped", 0), "start_step": window.get("start_step", 0)}
    return state


def recipe_of(state: dict[str, Any], registry, overrides=()):
    """The recipe a checkpoint was written by (with ``overrides``): the one way every command
    rebuilds a run from its checkpoint."""
    from omegaconf import OmegaConf

    from ganzoo.recipe import build_recipe

    if not isinstance(state.get("recipe"), str):
        raise GanzooError(f"checkpoint '{state.get('path')}' holds no recipe; it was not written by `ganzoo run`")
    return build_recipe(OmegaConf.create(state["recipe"]), overrides, registry, source=state["path"])


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def _unpickling_problem(error: BaseException) -> str:
    """The useful line of an unpickling error (torch's start with a long generic preamble)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if line.startswith("Unsupported") or "load key" in line]
    return (useful or lines or [type(error).__name__])[0][:200]


def _refused_global(error: BaseException) -> str:
    """What torch's weights-only unpickler refused, e.g. 'Unsupported global: GLOBAL posix.system'."""
    for line in str(error).splitlines():
        if "Unsupported" in line or "global" in line.lower():
            return line.strip().removeprefix("WeightsUnpickler error: ")[:150]
    return "unpickling refused"
