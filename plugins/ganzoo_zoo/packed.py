"""A packed dataset (``ganzoo pack FOLDER --out DIR``), read from its shards as training goes.

The trainer holds it in memory when it fits in ``data.memory_budget_gb``; otherwise each process
reads only the rows of its share of each batch, a few batches ahead, from the shards on disk.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from omegaconf import MISSING

from ganzoo import DataSource, GanzooError, ImageData
from ganzoo.storage.folders import image_files
from ganzoo.storage.packed import (LABELS, MANIFEST, PackedImages, check_source_unchanged, member_path, read_manifest,
                                   sha256_of)


@dataclass
class PackedParams:
    path: str = MISSING  # the folder `ganzoo pack` wrote
    folder: Optional[str] = None  # the image folder it was packed from; when given, it must not have changed since
    verify: bool = True  # check each shard's SHA-256 against the manifest before training (reads the shards once)


def load_packed(params: PackedParams) -> ImageData:
    path = Path(params.path).expanduser()
    manifest = read_manifest(path)
    if params.folder is not None:
        folder = Path(params.folder).expanduser()
        check_source_unchanged(manifest, folder, image_files(folder), path)
    images = PackedImages(path, manifest, verify=params.verify)
    labels, files = None, [MANIFEST]
    if manifest.get("labels"):
        labels, files = _labels(path, manifest, len(images), params.verify), [MANIFEST, LABELS]
    classes = manifest.get("classes")
    return ImageData(images=images, labels=labels, num_classes=len(classes) if labels is not None else None,
                     source=DataSource(root=path, files=tuple(files), param="path"))


def _labels(path: Path, manifest: dict, count: int, verify: bool) -> torch.Tensor:
    file = member_path(path, manifest["labels"].get("file"), "labels")
    if not file.is_file():
        raise GanzooError(f"{file} of the packed dataset is missing; put it back or pack the folder again")
    if verify and sha256_of(file) != manifest["labels"]["sha256"]:
        raise GanzooError(f"{file} differs from the one packed (its SHA-256 does not match the manifest); "
                          "pack the folder again")
    try:
        labels = np.load(file)
    except (ValueError, OSError) as error:
        raise GanzooError(f"cannot read {file} ({error}); pack the folder again") from error
    if labels.shape != (count,):
        raise GanzooError(f"{file} holds {labels.shape[0] if labels.ndim else 0} labels for {count} images; "
                          "pack the folder again")
    return torch.from_numpy(labels.astype(np.int64))
