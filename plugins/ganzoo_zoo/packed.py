"""A packed dataset (``ganzoo pack FOLDER --out DIR``), read from its shards as training goes.

The trainer holds it in memory when it fits in ``data.memory_budget_gb``; otherwise each process
reads only the rows of its share of each batch, a few batches ahead, from the shards on disk.
"""

from dataclasses import dataclass
from typing import Optional

from omegaconf import MISSING

from ganzoo import ImageData, read_packed


@dataclass
class PackedParams:
    path: str = MISSING  # the folder `ganzoo pack` wrote
    folder: Optional[str] = None  # the image folder it was packed from; when given, it must not have changed since
    verify: bool = True  # check each shard's SHA-256 against the manifest before training (reads the shards once)


def load_packed(params: PackedParams) -> ImageData:
    return read_packed(params.path, folder=params.folder, verify=params.verify)
