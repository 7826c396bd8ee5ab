"""Fashion-MNIST (Xiao et al. 2017) from its IDX files (ganzoo.read_labelled_idx), offline.

It reads ``ROOT/FashionMNIST/raw/`` (torchvision's layout). When the files are not there they
are decompressed from ``source``, by default the Debian/Ubuntu package's folder
(``apt-get install dataset-fashion-mnist`` puts the four .gz files in
``/usr/share/datasets/fashion-mnist/``); ``download: true`` lets torchvision
fetch them instead, with its checksums.
"""

import contextlib
import gzip
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ganzoo import GanzooError, ImageData, default_data_root, first_line, KMeans, read_labelled_idx

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
SYSTEM_SOURCE = "/usr/share/datasets/fashion-mnist"
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclass
class FashionMNISTParams:
    root: Optional[str] = None  # folder holding FashionMNIST/raw/; default $GANZOO_DATA or ./data
    split: str = "train"  # train (60,000 images) | test (10,000)
    source: str = SYSTEM_SOURCE  # where the .gz files are copied from when missing in root
    download: bool = False  # let torchvision download the files when neither place has them
    limit: Optional[int] = None  # keep only the first N images, for quick runs
    clusters: int = 0  # K > 0: labels are k-means cluster ids (K clusters, on pixels), not classes: no labels read

    def __post_init__(self):
        if self.split not in ("train", "test"):
            raise ValueError(f"split must be train or test, got '{self.split}'")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")
        if self.clusters == 1 or self.clusters < 0:
            raise ValueError(f"clusters must be 0 (class labels) or at least 2, got {self.clusters}")


def load_fashion_mnist(params: FashionMNISTParams) -> ImageData:
    root = Path(params.root or default_data_root())
    raw = root / "FashionMNIST" / "raw"
    missing = [name for name in FILES if not (raw / name).is_file()]
    if missing:
        source = Path(params.source)
        if all((source / f"{name}.gz").is_file() for name in missing):
            for name in missing:
                _gunzip(source / f"{name}.gz", raw / name)
        elif params.download:
            from torchvision.datasets import FashionMNIST

            _download(FashionMNIST, root, raw)
        else:
            raise GanzooError(
                f"Fashion-MNIST not found in {raw}/ nor in {source}/ (expected {FILES[0]}.gz and three more); "
                "install it with `apt-get install dataset-fashion-mnist`, or set dataset.params.source "
                "to the folder of the .gz files, or dataset.params.download=true"
            )
    images, labels = _read_split(raw, params.split)
    if params.limit is not None:
        images, labels = images[: params.limit], labels[: params.limit]
    # The reference set that evaluation scores against and training never sees: the test set (all of it).
    held_out = None
    if params.split == "train":
        test_images, test_labels = _read_split(raw, "test")
        held_out = ImageData(images=test_images.unsqueeze(1), labels=test_labels.long(), num_classes=len(CLASSES))
    images = images.unsqueeze(1)  # uint8; the trainer scales each batch to [-1, 1]
    data = ImageData(images=images, labels=labels.long(), num_classes=len(CLASSES), held_out=held_out)
    # cluster ids in place of classes, on both sides (the held-out images' from the same centroids)
    return KMeans.fit(images, params.clusters).relabel(data) if params.clusters else data


def _read_split(raw: Path, split: str):
    """The uint8 images (N, 28, 28) and int64 labels of a split, from its IDX files (``ganzoo.read_labelled_idx``:
    the tensors torchvision's reader gives, without importing torchvision, which costs a second of start-up)."""
    images, labels = FILES[:2] if split == "train" else FILES[2:]
    return read_labelled_idx(raw / images, raw / labels, "Fashion-MNIST",
                             "the files may be corrupt: delete them and run again")


def _gunzip(source: Path, target: Path) -> None:
    """Decompress ``source`` to ``target`` through a temporary file, so no half-written file remains."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with gzip.open(source, "rb") as src, open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(partial, target)
    except (OSError, EOFError) as error:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise GanzooError(f"cannot decompress {source} into {target.parent}/: {error}") from error


def _download(FashionMNIST, root: Path, raw: Path) -> None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            FashionMNIST(str(root), train=True, download=True)
    except Exception as error:
        reason = first_line(error) or type(error).__name__
        raise GanzooError(f"Fashion-MNIST not found in {raw}/ and the download failed ({reason}); "
                          "install it with `apt-get install dataset-fashion-mnist`") from error
