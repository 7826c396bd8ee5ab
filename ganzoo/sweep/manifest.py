"""The sweep folder's manifest (sweep.json): the recipe, the grid, and each run with its overrides,
status, exit code and wall time. Rewritten atomically whenever a run starts or ends."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from ganzoo.errors import GanzooError
from ganzoo.output.files import write_text_atomic

MANIFEST_FILE = "sweep.json"
LOG_FILE = "sweep.log"  # each run's stdout and stderr, inside its folder

PENDING, RUNNING, FINISHED, FAILED, INTERRUPTED = "pending", "running", "finished", "failed", "interrupted"


@dataclass(eq=False)  # hashable by identity: the runner keys its processes by member
class Member:
    name: str  # the run's folder, relative to the sweep folder
    overrides: List[str]  # the grid's choices for this run
    added: List[str] = field(default_factory=list)  # what the sweep added (train.threads under --jobs)
    status: str = PENDING
    exit_code: Optional[int] = None
    wall_s: Optional[float] = None
    error: Optional[str] = None  # the run's last error line when it failed


@dataclass
class Sweep:
    recipe: str
    grid: List[str]  # the overrides as given, commas and all
    jobs: int
    members: List[Member]

    def write(self, folder: Path) -> None:
        data: Dict[str, Any] = {"recipe": self.recipe, "grid": self.grid, "jobs": self.jobs,
                                "runs": [asdict(member) for member in self.members]}
        write_text_atomic(folder / MANIFEST_FILE, json.dumps(data, indent=2) + "\n")


def is_sweep(folder: Path) -> bool:
    return (folder / MANIFEST_FILE).is_file()


def read_sweep(folder: Path) -> Sweep:
    path = folder / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        members = [Member(**run) for run in data["runs"]]
        return Sweep(recipe=data["recipe"], grid=list(data["grid"]), jobs=int(data["jobs"]), members=members)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise GanzooError(f"{path} is not a readable sweep manifest ({type(error).__name__}: {error})") from error
