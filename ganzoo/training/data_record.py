"""A run remembers its data: where they were read from, and each file's size and SHA-256.

A dataset that names its files (``ImageData.source``) has them recorded in the run's
recipe: the resolved folder in ``dataset.params.<param>``, the sizes and checksums in
``dataset.source``. Resuming the run then finds the data without ``GANZOO_DATA`` (and
``ganzoo eval`` finds the MNIST test set beside them), says so when they are no longer
where they were, and refuses files that differ from those it trained on.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any, Dict, Optional

from omegaconf import OmegaConf

from ganzoo.data import DataSource, ImageData
from ganzoo.errors import GanzooError
from ganzoo.recipe import DataSourceRecord, Recipe

CHUNK = 1 << 20


def file_record(path: Path) -> Dict[str, Any]:
    """``{"bytes": size, "sha256": hex digest}`` of one file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def fingerprint(source: DataSource) -> Dict[str, Dict[str, Any]]:
    """Each file of ``source``, by its path relative to the root: size and SHA-256."""
    return {name: file_record(Path(source.root) / name) for name in source.files}


def recorded(recipe: Recipe) -> Optional[dict]:
    """The recipe's ``dataset.source`` as a plain dict, or None when it records no data."""
    source = recipe.config.dataset.source
    return None if source is None else OmegaConf.to_container(source)


def recorded_root(recipe: Recipe, record: dict) -> Optional[Path]:
    value = getattr(recipe.params["dataset"], record["param"], None)
    return Path(value) if value else None


def check_recorded_files_exist(recipe: Recipe) -> None:
    """Before loading: the files the run trained on must still be in the folder its recipe names."""
    record = recorded(recipe)
    if not record or not record["files"]:
        return
    root = recorded_root(recipe, record)
    if root is None:
        return
    missing = [name for name in record["files"] if not (root / name).is_file()]
    if missing:
        param = f"dataset.params.{record['param']}"
        raise GanzooError(f"this run's data are no longer where it read them: {root / missing[0]} is missing "
                          f"({param} in its recipe.yaml); if they moved, add {param}=NEW_FOLDER")


def check_unchanged(recipe: Recipe, source: DataSource, now: Dict[str, Dict[str, Any]]) -> None:
    """After loading: the files must be those the run trained on (same sizes and SHA-256)."""
    record = recorded(recipe)
    if not record or not record["files"]:
        return
    for name, was in record["files"].items():
        is_now = now.get(name)
        if is_now != was:
            found = (f"{is_now['bytes']} bytes, SHA-256 {is_now['sha256'][:12]}" if is_now
                     else "a file this dataset did not read")
            raise GanzooError(f"the data in {source.root} differ from those this run trained on: {name} is {found}, "
                              f"recorded {was['bytes']} bytes, SHA-256 {was['sha256'][:12]}; put the original files "
                              "back, or add dataset.source=null to go on with these")


def record_data(recipe: Recipe, data: ImageData) -> None:
    """Check the loaded data against the recipe's record, then record them in it (in place)."""
    source = data.source
    if source is None:
        return
    now = fingerprint(source)
    check_unchanged(recipe, source, now)
    params = recipe.params["dataset"]
    if dataclasses.is_dataclass(params) and source.param in {f.name for f in dataclasses.fields(params)}:
        resolved = str(Path(source.root).resolve())
        recipe.params["dataset"] = dataclasses.replace(params, **{source.param: resolved})
        recipe.config.dataset.params[source.param] = resolved
    record = OmegaConf.merge(OmegaConf.structured(DataSourceRecord), {"param": source.param, "files": now})
    recipe.config.dataset.source = record


def load_recorded_data(recipe: Recipe) -> ImageData:
    """The recipe's data, checked against what the recipe recorded of them, and recorded in it."""
    from ganzoo.assembly import load_data

    check_recorded_files_exist(recipe)
    data = load_data(recipe)
    record_data(recipe, data)
    return data
