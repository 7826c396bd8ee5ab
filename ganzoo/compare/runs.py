"""What `ganzoo compare` reads from each run folder: its recipe, final losses, eval scores,
wall time and last sample grid. A sweep folder stands for its runs, in the manifest's order."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from omegaconf import OmegaConf

from ganzoo.errors import GanzooError, first_line
from ganzoo.output.plots import read_loss_records
from ganzoo.sweep.grid import swept_keys
from ganzoo.sweep.manifest import is_sweep, read_sweep
from ganzoo.training.run_folder import grid_path, list_grids, EVAL_FILE, INCEPTION_EVAL_FILE, LOSS_PLOT_FILE, METRICS_FILE, RECIPE_FILE

#: metrics.jsonl keys that are not an algorithm's scalars
NOT_LOSSES = ("step", "epoch", "images_per_sec", "lr", "skipped", "eval")
#: recipe keys that record where the data were, not a choice of the run
NOT_CHOICES = ("dataset.source",)


@dataclass
class RunSummary:
    name: str
    folder: Path
    status: str  # a sweep member's status; for a folder given alone, finished or unfinished (see read_run)
    recipe: Dict[str, str] = field(default_factory=dict)  # flat key -> value, as text
    swept: Optional[List[str]] = None  # a sweep member's grid choices, KEY=VALUE as typed
    losses: Dict[str, float] = field(default_factory=dict)  # the last logged value of each scalar
    scores: Dict[str, float] = field(default_factory=dict)  # eval.json (else the last eval record), eval-inception.json
    wall_s: Optional[float] = None
    steps: Optional[int] = None
    curves: Dict[str, tuple[list, list]] = field(default_factory=dict)  # scalar -> (steps, values)
    grid: Optional[Path] = None  # the last epoch's sample picture


def collect_runs(folders: List[str]) -> List[RunSummary]:
    """Every run the folders name, in order; a one-line error for a folder that is neither a run nor a sweep."""
    runs: List[RunSummary] = []
    for given in folders:
        folder = Path(given)
        if not folder.is_dir():
            raise GanzooError(f"'{given}' not found; give run folders (what `ganzoo run` printed) or sweep folders")
        if is_sweep(folder):
            sweep = read_sweep(folder)
            keys = set(swept_keys(sweep.grid))
            for member in sweep.members:
                run = read_run(folder / member.name, member.name, member.status, member.wall_s)
                run.swept = [item for item in member.overrides if item.partition("=")[0] in keys]
                runs.append(run)
        elif (folder / RECIPE_FILE).is_file():
            runs.append(read_run(folder, folder.name, None, None))
        else:
            raise GanzooError(f"'{given}' is neither a run folder (no {RECIPE_FILE}) nor a sweep folder (no sweep.json)")
    _unique_names(runs, folders)
    return runs


def _unique_names(runs: List[RunSummary], folders: List[str]) -> None:
    names = [run.name for run in runs]
    if len(set(names)) < len(names) or len(folders) > 1 and any(run.swept is not None for run in runs):
        for run in runs:  # several sweeps (or same-named runs): name each by its path
            run.name = str(run.folder)


def read_run(folder: Path, name: str, status: Optional[str], wall_s: Optional[float]) -> RunSummary:
    """``status`` None (a folder given alone, not a sweep's member): finished when its last epoch's
    grid is there (written once that epoch ends), else unfinished (stopped, crashed or still running)."""
    run = RunSummary(name=name, folder=folder, status=status or "unfinished", wall_s=wall_s)
    if not (folder / RECIPE_FILE).is_file():  # a sweep member that failed before it started
        return run
    run.recipe = flat_recipe(folder / RECIPE_FILE)
    if status is None and grid_path(folder, int(run.recipe.get("train.epochs", 0))).is_file():
        run.status = "finished"
    records = read_loss_records(folder / METRICS_FILE)
    for record in records:
        for key, value in record.items():
            if key not in NOT_LOSSES and value is not None:
                run.losses[key] = value
                steps, values = run.curves.setdefault(key, ([], []))
                steps.append(record["step"])
                values.append(value)
    run.steps = records[-1]["step"] if records else None
    run.scores = _scores(folder)
    run.grid = _last_grid(folder)
    if run.wall_s is None:
        run.wall_s = _wall_time_from_files(folder)
    return run


def flat_recipe(path: Path) -> Dict[str, str]:
    try:
        tree = OmegaConf.to_container(OmegaConf.load(path))
    except Exception as error:  # a damaged recipe.yaml: say which
        raise GanzooError(f"cannot read {path}: {first_line(error)}") from error
    flat: Dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        elif not prefix[:-1].startswith(NOT_CHOICES):
            flat[prefix[:-1]] = json.dumps(node, separators=(",", ":")) if isinstance(node, (list, dict)) else str(node)

    walk(tree, "")
    return flat


def _scores(folder: Path) -> Dict[str, float]:
    scores: Dict[str, float] = {}
    try:
        with open(folder / METRICS_FILE, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                record = _json(line)
                if isinstance(record, dict) and isinstance(record.get("eval"), dict):
                    scores = {key: value for key, value in record["eval"].items() if _is_number(value)}
    except OSError:
        pass
    for name, prefix in ((EVAL_FILE, ""), (INCEPTION_EVAL_FILE, "inception_")):  # `ganzoo eval`: the fuller scores
        report = _json((folder / name).read_text(encoding="utf-8")) if (folder / name).is_file() else None
        if isinstance(report, dict) and isinstance(report.get("metrics"), dict):
            for key, entry in report["metrics"].items():
                if isinstance(entry, dict) and _is_number(entry.get("generated")):
                    scores[key if key.startswith(prefix) else prefix + key] = entry["generated"]
    return scores


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _last_grid(folder: Path) -> Optional[Path]:
    grids = list_grids(folder)
    return grids[-1] if grids else None


def _wall_time_from_files(folder: Path) -> Optional[float]:
    """From the recipe's writing (the run's start) to its metrics' last change: includes any pause before a resume."""
    ends = [path.stat().st_mtime for path in (folder / METRICS_FILE, folder / LOSS_PLOT_FILE) if path.is_file()]
    return round(max(ends) - (folder / RECIPE_FILE).stat().st_mtime, 2) if ends else None
