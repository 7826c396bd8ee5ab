"""The run folder: what a run writes where, and the one writer of its metrics.

    RUN_DIR/
      recipe.yaml           the fully resolved recipe
      metrics.jsonl         one JSON record per log step (and per evaluation)
      samples/epoch-NNN.png the fixed-noise grid after each epoch
      checkpoints/step-N.pt checkpoints (ganzoo.training.checkpoint)
      losses.png            the loss plot
      eval.json             the scores of `ganzoo eval`
      eval-inception.json   the scores of `ganzoo eval --features inception`
      .lock                 held by the process training in it (ganzoo.training.runlock)
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Optional

from ganzoo.errors import GanzooError
from ganzoo.output.files import write_text_atomic

RECIPE_FILE = "recipe.yaml"
METRICS_FILE = "metrics.jsonl"
SAMPLES_FOLDER = "samples"
CHECKPOINTS_FOLDER = "checkpoints"
LOSS_PLOT_FILE = "losses.png"
EVAL_FILE = "eval.json"
INCEPTION_EVAL_FILE = "eval-inception.json"  # `ganzoo eval --features inception`
LOCK_FILE = ".lock"


def grid_path(run_dir: str | Path, epoch: int) -> Path:
    return Path(run_dir) / SAMPLES_FOLDER / f"epoch-{epoch:03d}.png"


def list_grids(run_dir: str | Path) -> list[Path]:
    """The run's sample grids (``grid_path``'s files), in the order of their names."""
    return sorted((Path(run_dir) / SAMPLES_FOLDER).glob("epoch-*.png"))


def append_metrics(run_dir: str | Path, record: dict[str, Any]) -> None:
    """Add one record to the run's metrics.jsonl (the only code that writes it, besides truncation)."""
    path = Path(run_dir) / METRICS_FILE
    line = (json.dumps(record) + "\n").encode("utf-8")
    try:
        with open(path, "ab") as handle:
            size = handle.tell()
            try:
                handle.write(line)
                handle.flush()
            except OSError:  # a full disk: no half line is left at the end
                with contextlib.suppress(OSError):
                    handle.truncate(size)
                raise
    except OSError as error:
        raise GanzooError(f"cannot write {path}: {error.strerror or error}; "
                          "free disk space or fix the folder's permissions, then resume the run") from error


def check_metrics_file(run_dir: str | Path) -> None:
    path = Path(run_dir) / METRICS_FILE
    if path.exists() and not path.is_file():
        raise GanzooError(f"{path} is not a file (a folder?); move it out of the way, then run again")


def check_layout(run_dir: str | Path) -> None:
    """What a run writes into can be written, checked before it trains: metrics.jsonl is no folder, and
    samples/ and checkpoints/ are no files."""
    check_metrics_file(run_dir)
    for name in (SAMPLES_FOLDER, CHECKPOINTS_FOLDER):
        path = Path(run_dir) / name
        if path.exists() and not path.is_dir():
            raise GanzooError(f"{path} is a file, but a run keeps its {name} in a folder of that name; move the "
                              "file out of the way, then run again")


def truncate_metrics(run_dir: str | Path, step: int) -> None:
    """Drop metric lines logged after ``step``: the resumed run logs them again."""
    path = Path(run_dir) / METRICS_FILE
    if not path.exists():
        return
    check_metrics_file(run_dir)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        raise GanzooError(f"cannot read {path}: {error.strerror or error}; fix its permissions or move it away") from error
    keep = [line for line in lines if (logged := logged_step(line)) is not None and logged <= step]
    write_text_atomic(path, "".join(line + "\n" for line in keep))


def logged_step(line: str) -> Optional[int]:
    """The step of a metrics line; None for a line a killed process left half-written."""
    try:
        return int(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
