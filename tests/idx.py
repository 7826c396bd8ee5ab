"""Write MNIST-format IDX files, so tests read real IDX bytes through torchvision's reader."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x0800 | array.ndim  # 0x08: unsigned byte
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images whose bright bar position encodes the label: easy, varied, 28x28."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        row = 3 + 2 * int(label)
        images[i, row:row + 3, 4:24] = 255
        images[i] = np.clip(images[i] + rng.integers(0, 30, size=(28, 28)), 0, 255)
    return images, labels


def write_mnist(root: Path, n_train: int = 512, n_test: int = 128) -> Path:
    """Write a small MNIST under ``root/MNIST/raw`` and return ``root``."""
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    train_x, train_y = synthetic_digits(n_train, seed=1)
    test_x, test_y = synthetic_digits(n_test, seed=2)
    for name, array in ((TRAIN_IMAGES, train_x), (TRAIN_LABELS, train_y), (TEST_IMAGES, test_x), (TEST_LABELS, test_y)):
        (raw / name).write_bytes(idx_bytes(array))
    return Path(root)


def write_fashion_source(folder: Path, n_train: int = 96, n_test: int = 40) -> Path:
    """A tiny Fashion-MNIST's four .gz files in ``folder``, as the Debian package ships them; return ``folder``."""
    import gzip

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    train, test = synthetic_digits(n_train, seed=3), synthetic_digits(n_test, seed=4)
    for name, array in ((TRAIN_IMAGES, train[0]), (TRAIN_LABELS, train[1]), (TEST_IMAGES, test[0]),
                        (TEST_LABELS, test[1])):
        (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
    return folder
