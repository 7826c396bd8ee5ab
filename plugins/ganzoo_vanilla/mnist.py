"""MNIST from its IDX files (ganzoo.read_labelled_idx), downloaded when missing by torchvision (with its checksums).

Reading the files does not import torchvision: its import (which pulls in torch._dynamo) took about as long
again as importing torch, on every run's start-up (docs/performance.md)."""

import contextlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ganzoo import DataSource, GanzooError, ImageData, default_data_root, KMeans, read_labelled_idx

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
SPLITS = ("train", "test")
SPLIT_FILES = {"train": FILES[:2], "test": FILES[2:]}


@dataclass
class MNISTParams:
    root: Optional[str] = None  # folder holding MNIST/raw/; default $GANZOO_DATA or ./data
    split: str = "train"  # train (60,000 images) | test (10,000)
    download: bool = True  # fetch the files (with torchvision's checksums) when missing
    limit: Optional[int] = None  # keep only the first N images, for quick runs
    clusters: int = 0  # K > 0: labels are k-means cluster ids (K clusters, on pixels), not digits: no labels read
    pad: int = 0  # P > 0: P black pixels added on every side (2: 32x32 digits, for networks that halve to 4x4)

    def __post_init__(self):
        if self.split not in SPLITS:
            raise ValueError(f"split must be train or test, got '{self.split}'")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")
        if self.clusters == 1 or self.clusters < 0:
            raise ValueError(f"clusters must be 0 (digit labels) or at least 2, got {self.clusters}")
        if self.pad < 0:
            raise ValueError(f"pad must be at least 0, got {self.pad}")


def load_mnist(params: MNISTParams) -> ImageData:
    root = Path(params.root or default_data_root())
    raw = root / "MNIST" / "raw"
    if not all((raw / name).is_file() for name in FILES):
        if not params.download:
            raise GanzooError(
                f"MNIST not found in {raw}/ (expected {', '.join(FILES)}); put the files there or "
                "set dataset.params.root (or GANZOO_DATA) to the folder that holds MNIST/raw/"
            )
        from torchvision.datasets import MNIST

        _download(MNIST, root, raw)
    images, labels = _read_split(raw, params.split)
    if params.limit is not None:
        images, labels = images[: params.limit], labels[: params.limit]
    # uint8, 4x smaller than floats: the trainer scales each batch to [-1, 1] (the generator's
    # tanh range) on the training device, as ``x / 127.5 - 1`` (ganzoo.unit_range).
    images = padded(images.unsqueeze(1), params.pad)
    source = DataSource(root=root, files=tuple(f"MNIST/raw/{name}" for name in SPLIT_FILES[params.split]))
    # The reference set that evaluation scores against and training never sees: the test set (all of it).
    held_out = None
    if params.split == "train":
        test_images, test_labels = _read_split(raw, "test")
        held_out = ImageData(images=padded(test_images.unsqueeze(1), params.pad), labels=test_labels.long(), num_classes=10)
    data = ImageData(images=images, labels=labels.long(), num_classes=10, source=source, held_out=held_out)
    # cluster ids in place of digits, on both sides (the held-out images' from the same centroids)
    return KMeans.fit(images, params.clusters).relabel(data) if params.clusters else data


def padded(images, pad: int):
    """uint8 images (N, 1, H, W) with ``pad`` zero (black) pixels on every side."""
    import torch.nn.functional as F

    return F.pad(images, [pad] * 4) if pad else images


def _read_split(raw: Path, split: str):
    """The uint8 images (N, 28, 28) and int64 labels of a split, from its IDX files."""
    names = SPLIT_FILES[split]
    return read_labelled_idx(raw / names[0], raw / names[1], "MNIST",
                             "the files may be corrupt or truncated: delete them and download again")


def _download(MNIST, root: Path, raw: Path) -> None:
    """torchvision's download into ``raw``; when it fails, what it left behind is removed."""
    created = _missing_folders(raw)
    present = set(raw.iterdir()) if raw.is_dir() else set()
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            MNIST(str(root), train=True, download=True)
    except Exception as error:
        _remove_leftovers(created, raw, present)
        raise GanzooError(
            f"MNIST not found in {raw}/ (expected {', '.join(FILES)}) and the download failed ({_download_reason(error)}); "
            "copy the files there, or set dataset.params.root (or GANZOO_DATA) to the folder that holds MNIST/raw/"
        ) from error


def _download_reason(error: Exception) -> str:
    """What failed, on one line: torchvision's message is a header line ('Error downloading NAME:')
    followed, line by line, by each mirror tried and its error."""
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__


def _missing_folders(folder: Path) -> list:
    """The folders on the way to ``folder`` (itself included) that do not exist yet, outermost first."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing.append(path)
    return missing[::-1]


def _remove_leftovers(created: list, raw: Path, present: set) -> None:
    """Undo a failed download: the folders it made, or the files it added to a folder that was there."""
    if created:
        shutil.rmtree(created[0], ignore_errors=True)
        return
    for path in set(raw.iterdir()) - present if raw.is_dir() else ():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
