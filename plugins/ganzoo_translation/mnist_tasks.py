"""Translation tasks made offline from MNIST, each with a known right answer.

- ``mnist-edges``: paired; the input is the digit's outline (a morphological gradient:
  dilation minus erosion), the target the digit itself.
- ``mnist-sr``: paired super-resolution; the input is the digit area-averaged down by
  ``factor`` (28 -> 7 at x4), the target the 28x28 digit.

Both train on the MNIST train split and hold out the test split, labelled, so that the
outputs can be scored against the targets and read by ganzoo's MNIST classifier.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F

from ganzoo import DataSource, GanzooError, ImageData, TwoSided, default_data_root, read_labelled_idx, unit_range

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


@dataclass
class MNISTTaskParams:
    root: Optional[str] = None  # folder holding MNIST/raw/; default $GANZOO_DATA or ./data
    limit: Optional[int] = None  # train on the first N training digits only (CPU-sized runs)
    test_limit: Optional[int] = None  # hold out the first N test digits only (default: all 10,000)

    def __post_init__(self):
        for name in ("limit", "test_limit"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclass
class MNISTEdgesParams(MNISTTaskParams):
    pass


@dataclass
class MNISTSuperResolutionParams(MNISTTaskParams):
    factor: int = 4  # 28 -> 28/factor; 2, 4 or 7

    def __post_init__(self):
        super().__post_init__()
        if self.factor not in (2, 4, 7):
            raise ValueError(f"factor must divide 28 (2, 4 or 7), got {self.factor}")


def read_split(root: Path, split: str, limit: Optional[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits in [-1, 1] (N, 1, 28, 28) and labels (N,) of one MNIST split; never downloads. Read from
    the IDX files by ``ganzoo.read_labelled_idx`` (the bytes torchvision's reader gives, without importing
    torchvision, which costs a second of start-up and imports torch._dynamo)."""
    raw = root / "MNIST" / "raw"
    if not all((raw / name).is_file() for name in FILES[split]):
        raise GanzooError(f"MNIST {split} set not found in {raw}/ (expected {' and '.join(FILES[split])}); set "
                          "dataset.params.root (or GANZOO_DATA) to the folder that holds MNIST/raw/ (`ganzoo run "
                          "vanilla_mnist` downloads it there)")
    images, labels = read_labelled_idx(raw / FILES[split][0], raw / FILES[split][1], "MNIST",
                                       "the files may be corrupt: delete them and download again")
    images, labels = images[:limit], labels[:limit]
    return unit_range(images.unsqueeze(1)), labels


def outline(digits: torch.Tensor) -> torch.Tensor:
    """The edge map of digits in [-1, 1]: dilation minus erosion over 3x3, in [-1, 1]."""
    ink = (digits + 1) / 2
    dilated = F.max_pool2d(ink, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-ink, 3, stride=1, padding=1)
    return (dilated - eroded).clamp(0, 1) * 2 - 1


def downsample(digits: torch.Tensor, factor: int) -> torch.Tensor:
    """Area-averaged downsampling by ``factor``."""
    return F.avg_pool2d(digits, factor)


def _task(params: MNISTTaskParams, make_input) -> ImageData:
    root = Path(params.root or default_data_root())
    sides = {}
    for split, limit in (("train", params.limit), ("test", params.test_limit)):
        digits, labels = read_split(root, split, limit)
        sides[split] = ImageData(images=make_input(digits), labels=labels, num_classes=10,
                                 two_sided=TwoSided(targets=digits, paired=True))
    train = sides["train"]
    source = DataSource(root=root, files=tuple(f"MNIST/raw/{name}" for split in FILES.values() for name in split))
    return replace(train, held_out=sides["test"], source=source, pictures_of="mnist")


def load_mnist_edges(params: MNISTEdgesParams) -> ImageData:
    return _task(params, outline)


def load_mnist_super_resolution(params: MNISTSuperResolutionParams) -> ImageData:
    return _task(params, lambda digits: downsample(digits, params.factor))
