"""What loggers read from a run: a metrics.jsonl record as flat named scalars, and each epoch's grid."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Dict

from ganzoo import GanzooError

#: record keys that are positions, not measurements
POSITION_KEYS = ("step", "epoch")


def scalars_of(record: Dict[str, Any]) -> Dict[str, float]:
    """Every number in a metrics record by a flat name: ``d_loss``, ``images_per_sec``,
    ``lr/generator``, ``eval/fid``. Positions (step, epoch) and missing values (None) are left out."""
    flat: Dict[str, float] = {}
    for key, value in record.items():
        if key in POSITION_KEYS:
            continue
        if isinstance(value, dict):
            for inner, number in value.items():
                _add(flat, f"{key}/{inner}", number)
        else:
            _add(flat, key, value)
    return flat


def _add(flat: Dict[str, float], name: str, value: Any) -> None:
    if isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value):
        flat[name] = float(value)


def grid_of(run, epoch: int):
    """The path of the epoch's sample grid (a PNG), or None when the run wrote none."""
    path = run.grid_file(epoch)
    return path if path.is_file() else None


def is_last_epoch(run, epoch: int) -> bool:
    return epoch * run.steps_per_epoch >= run.total_steps


def missing_extra(logger: str, package: str, extra: str) -> GanzooError:
    return GanzooError(f"the {logger} logger needs {package}, which is not installed: "
                       f"pip install 'ganzoo[{extra}]'")
