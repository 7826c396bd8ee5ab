"""Paths that must stay inside a folder: a name from a file or a recipe (a packed dataset's shard, a
logger's output folder) is used only when it is relative, has no ``..``, and, symlinks followed, still
lies inside the folder. Nothing is opened or looked at to decide; the caller says no in its own words."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Optional


def inside(folder: Path, name: object) -> Optional[Path]:
    """``folder / name`` when ``name`` (a str or path) stays inside ``folder`` and is not ``folder`` itself;
    else None."""
    if not isinstance(name, (str, PurePath)) or not str(name) or "\0" in str(name):
        return None
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts:
        return None
    folder = Path(folder)
    root, target = folder.resolve(), (folder / relative).resolve()
    if target == root or not target.is_relative_to(root):
        return None
    return folder / relative
