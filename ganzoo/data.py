"""What datasets hand to the trainer, and what models learn of the data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

if TYPE_CHECKING:
    import torch


def default_data_root() -> str:
    """Where datasets look when a recipe names no root: ``$GANZOO_DATA`` or ``./data``."""
    return os.environ.get("GANZOO_DATA") or "./data"


@dataclass(frozen=True)
class DataSpec:
    """What a model factory needs to know about the data: shape and classes."""

    image_shape: tuple[int, ...]  # (C, H, W) for images; e.g. (2,) for 2-D points
    num_classes: Optional[int] = None

    def to_dict(self) -> dict:
        return {"image_shape": list(self.image_shape), "num_classes": self.num_classes}

    @classmethod
    def from_dict(cls, d: dict) -> "DataSpec":
        return cls(tuple(int(s) for s in d["image_shape"]), d.get("num_classes"))


@dataclass(frozen=True)
class DataSource:
    """The files a dataset read, so that a run can record them and find and recognise them again.

    ``root`` is the folder the dataset's ``param`` (e.g. ``root``) named, or its default;
    ``files`` are the files it read, relative to ``root``. A run writes the resolved folder
    into its recipe's ``dataset.params.<param>`` and each file's size and SHA-256 into
    ``dataset.source``, so resuming, sampling and evaluating it need no environment variable.
    """

    root: Path
    files: Tuple[str, ...]
    param: str = "root"


@dataclass
class ImageData:
    """A whole dataset in memory: ``images`` (N, C, H, W) float in [-1, 1]; ``labels`` (N,) long.

    Data that are not pictures (e.g. 2-D points, shape (N, 2)) may have another
    shape if they bring ``plot``: it turns a batch of generated samples into PNG
    bytes, which the trainer writes in place of its per-epoch image grid.
    ``figures``, optional, gives quality figures of a batch of generated samples
    (e.g. modes covered); the trainer shows them after every epoch. ``source``, optional,
    names the files read (see ``DataSource``).
    """

    images: "torch.Tensor"
    labels: Optional["torch.Tensor"] = None
    num_classes: Optional[int] = None
    plot: Optional[Callable[["torch.Tensor"], bytes]] = None
    figures: Optional[Callable[["torch.Tensor"], Dict[str, float]]] = None
    source: Optional[DataSource] = None

    def __post_init__(self) -> None:
        if self.images.dim() != 4 and (self.plot is None or self.images.dim() < 2):
            raise ValueError(f"ImageData.images must be (N, C, H, W), got shape {tuple(self.images.shape)}; "
                             "other shapes, such as (N, 2) points, need a plot function")
        if self.labels is not None and self.labels.shape[0] != self.images.shape[0]:
            raise ValueError("ImageData.labels must have one label per image")

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def spec(self) -> DataSpec:
        return DataSpec(tuple(self.images.shape[1:]), self.num_classes)
