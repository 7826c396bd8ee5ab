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
    held_out: int = 0  # N > 0: N images drawn with held_out_seed are `ganzoo eval`'s reference set, never trained on
    held_out_seed: int = 0

    def __post_init__(self):
        if self.held_out < 0:
            raise ValueError(f"held_out must be 0 or more images, got {self.held_out}")


def load_packed(params: PackedParams) -> ImageData:
    return read_packed(params.path, folder=params.folder, verify=params.verify, held_out=params.held_out,
                       held_out_seed=params.held_out_seed)
