"""What loggers read from a run: a metrics.jsonl record as flat named scalars, and a grid as an array."""

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


def pixels_of(picture):
    """A grid handed to ``on_grid`` (uint8 (3, H, W) tensor) as a uint8 (H, W, 3) numpy array."""
    return picture.permute(1, 2, 0).numpy()


def missing_extra(logger: str, package: str, extra: str) -> GanzooError:
    return GanzooError(f"the {logger} logger needs {package}, which is not installed: "
                       f"pip install 'ganzoo[{extra}]'")
