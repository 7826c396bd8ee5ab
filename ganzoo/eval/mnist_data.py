"""The real MNIST files that evaluation compares against and the classifier learns from."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Optional

from ganzoo.errors import GanzooError, first_line

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def mnist_root(explicit: Optional[str] = None, recipe_root: Optional[str] = None) -> Path:
    """The folder holding MNIST/raw/: ``explicit``, else the recipe's dataset root, else $GANZOO_DATA, else ./data."""
    return Path(explicit or recipe_root or os.environ.get("GANZOO_DATA") or "./data")


FIX = "set GANZOO_DATA (or --data) to the folder that holds MNIST/raw/"


def read_mnist(root: str | Path, split: str, why: str = "ganzoo eval compares against it", fix: str = FIX):
    """``(images, labels)`` of a split: uint8 (N, 1, 28, 28) and int64 (N,). Never downloads."""
    raw = Path(root) / "MNIST" / "raw"
    names = SPLIT_FILES[split]
    if not all((raw / name).is_file() for name in names):
        raise GanzooError(f"MNIST {split} set not found in {raw}/ (expected {' and '.join(names)}); {why}: {fix}")
    images, labels = read_labelled_idx(raw / names[0], raw / names[1], f"the MNIST {split} set",
                                       "the files may be corrupt")
    return images.unsqueeze(1), labels


def read_labelled_idx(images_file: Path, labels_file: Path, what: str, remedy: str):
    """uint8 images (N, H, W) and their int64 labels (N,) from a pair of IDX files (MNIST's layout, which
    Fashion-MNIST shares), as torch tensors; a pair that cannot be read, or whose shapes are not images
    and their labels, is one line: ``cannot read WHAT in FOLDER/ (ValueError: ...); REMEDY``."""
    import torch

    try:
        images, labels = read_idx(Path(images_file)), read_idx(Path(labels_file))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"shapes {images.shape} and {labels.shape} are not images and their labels")
    except (OSError, ValueError) as error:
        raise GanzooError(f"cannot read {what} in {Path(images_file).parent}/ ({type(error).__name__}: "
                          f"{first_line(error)}); {remedy}") from error
    return torch.from_numpy(images), torch.from_numpy(labels.astype("int64"))


def read_idx(path: Path):
    """An IDX file of unsigned bytes (the MNIST format) as a numpy array."""
    import numpy as np

    with open(path, "rb") as file:  # into a writable buffer: torch takes the array without a copy
        data = bytearray(os.fstat(file.fileno()).st_size)
        read = file.readinto(data)
    if read != len(data):  # the file changed size while read
        data = data[:read]
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path.name} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path.name} holds {body.size} bytes, expected {int(np.prod(shape))} (truncated?)")
    return body.reshape(shape)
