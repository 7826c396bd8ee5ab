"""What datasets hand to the trainer, and what models learn of the data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    import torch


def default_data_root() -> str:
    """Where datasets look when a recipe names no root: ``$GANZOO_DATA`` or ``./data``."""
    return os.environ.get("GANZOO_DATA") or "./data"


@dataclass(frozen=True)
class DataSpec:
    """What a model factory needs to know about the data: shape and classes."""

    image_shape: tuple[int, int, int]
    num_classes: Optional[int] = None

    def to_dict(self) -> dict:
        return {"image_shape": list(self.image_shape), "num_classes": self.num_classes}

    @classmethod
    def from_dict(cls, d: dict) -> "DataSpec":
        return cls(tuple(int(s) for s in d["image_shape"]), d.get("num_classes"))


@dataclass
class ImageData:
    """A whole dataset in memory: ``images`` (N, C, H, W) float in [-1, 1]; ``labels`` (N,) long."""

    images: "torch.Tensor"
    labels: Optional["torch.Tensor"] = None
    num_classes: Optional[int] = None

    def __post_init__(self) -> None:
        if self.images.dim() != 4:
            raise ValueError(f"ImageData.images must be (N, C, H, W), got shape {tuple(self.images.shape)}")
        if self.labels is not None and self.labels.shape[0] != self.images.shape[0]:
            raise ValueError("ImageData.labels must have one label per image")

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def spec(self) -> DataSpec:
        return DataSpec(tuple(self.images.shape[1:]), self.num_classes)
