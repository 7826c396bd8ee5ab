"""Users' unpaired translation data in CycleGAN's layout.

``unpaired-folder`` reads ``FOLDER/trainA/``, ``FOLDER/trainB/``, ``FOLDER/testA/`` and
``FOLDER/testB/``, each a folder of PNG/JPEG pictures (as CycleGAN's datasets ship:
horse2zebra, monet2photo...). The two domains need not have as many pictures, nor matching
names; the test folders are held out for the per-epoch grids and ``ganzoo eval``. Every
picture of a domain must have one size (``size`` resizes them all to ``size`` x ``size``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ganzoo import GanzooError, ImageData, TwoSided, unit_range
from ganzoo_translation.folders import images_in, read_picture, to_array

FOLDERS = ("trainA", "trainB", "testA", "testB")


@dataclass
class UnpairedFolderParams:
    path: Optional[str] = None  # required: the folder holding trainA/, trainB/, testA/ and testB/
    channels: int = 3  # 3 (RGB) or 1 (grey), both domains
    size: Optional[int] = None  # resize every picture to size x size; None keeps the files' sizes
    limit: Optional[int] = None  # train on the first N pictures of each domain only

    def __post_init__(self):
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.size is not None and self.size < 1:
            raise ValueError(f"size must be at least 1, got {self.size}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")


def check_layout(root: Path) -> None:
    """One line naming what is missing when ``root`` is not in CycleGAN's layout."""
    if not root.is_dir():
        raise GanzooError(f"unpaired folder '{root}' not found; set dataset.params.path to a folder holding "
                          f"{', '.join(f + '/' for f in FOLDERS)}")
    missing = [name for name in FOLDERS if not (root / name).is_dir()]
    if missing:
        raise GanzooError(f"'{root}' is not in CycleGAN's layout: expected {', '.join(f + '/' for f in FOLDERS)} "
                          f"folders of pictures; missing {', '.join(f + '/' for f in missing)}")
    empty = [name for name in FOLDERS if not images_in(root / name)]
    if empty:
        raise GanzooError(f"'{root / empty[0]}' holds no .png or .jpg pictures; each of "
                          f"{', '.join(f + '/' for f in FOLDERS)} needs some")


def read_domain(folder: Path, params: UnpairedFolderParams, limit: Optional[int]) -> torch.Tensor:
    """One folder's pictures, (N, C, H, W) in [-1, 1], in sorted name order."""
    files = images_in(folder)[:limit]
    mode = "RGB" if params.channels == 3 else "L"
    arrays = [to_array(read_picture(path, mode, params.size), params.size) for path in files]
    for array, path in zip(arrays, files):
        if array.shape[:2] != arrays[0].shape[:2]:
            raise GanzooError(f"'{path}' is {array.shape[1]}x{array.shape[0]} but '{files[0]}' is "
                              f"{arrays[0].shape[1]}x{arrays[0].shape[0]}; a domain's pictures must have one size "
                              "(or give dataset.params.size=N to resize them all)")
    return unit_range(torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2))


def load_unpaired_folder(params: UnpairedFolderParams) -> ImageData:
    if not params.path:
        raise GanzooError("unpaired-folder needs the folder of the two domains: add dataset.params.path=FOLDER "
                          f"(holding {', '.join(f + '/' for f in FOLDERS)})")
    root = Path(params.path).expanduser()
    check_layout(root)
    domains = {name: read_domain(root / name, params, params.limit if name.startswith("train") else None)
               for name in FOLDERS}
    for domain in "AB":
        train, test = domains[f"train{domain}"], domains[f"test{domain}"]
        if train.shape[1:] != test.shape[1:]:
            raise GanzooError(f"the pictures in '{root / f'test{domain}'}' are {tuple(test.shape[1:])}, those in "
                              f"'{root / f'train{domain}'}' {tuple(train.shape[1:])}; give dataset.params.size=N "
                              "to resize them all")
    held_out = ImageData(images=domains["testA"], two_sided=TwoSided(targets=domains["testB"], paired=False))
    return ImageData(images=domains["trainA"], two_sided=TwoSided(targets=domains["trainB"], paired=False),
                     held_out=held_out)
