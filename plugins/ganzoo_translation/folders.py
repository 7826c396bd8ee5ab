"""Users' paired translation data, in the layouts people already have.

``paired-folder`` reads a folder in one of two layouts:

- pix2pix's aligned images: each file holds the input (left half, A) and its target (right
  half, B) side by side, ``FOLDER/1.png``, twice as wide as high;
- two folders with matching file names: ``FOLDER/A/1.png`` is the input of ``FOLDER/B/1.png``.

``path`` may hold ``train/`` and ``test/`` (or ``val/``) folders, each in either layout, as
pix2pix's datasets do; otherwise it is itself one folder in either layout, and the last
``test_fraction`` of its pairs (in sorted name order) are held out. All inputs must have one
size and all targets one size (``size`` resizes every picture to ``size`` x ``size``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np
import torch

from ganzoo import GanzooError, ImageData, TwoSided, first_line, unit_range

EXTENSIONS = (".png", ".jpg", ".jpeg")
TEST_FOLDERS = ("test", "val")


@dataclass
class PairedFolderParams:
    path: Optional[str] = None  # required: the folder: aligned A|B images, or A/ and B/ (optionally inside train/ and test/)
    channels: int = 3  # 3 (RGB) or 1 (grey), both sides
    size: Optional[int] = None  # resize every picture to size x size; None keeps the files' sizes
    test_fraction: float = 0.1  # held out when there is no test/ (or val/) folder
    limit: Optional[int] = None  # train on the first N pairs only

    def __post_init__(self):
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.size is not None and self.size < 1:
            raise ValueError(f"size must be at least 1, got {self.size}")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be between 0 and 1, got {self.test_fraction}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")


def images_in(folder: Path) -> List[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS and p.is_file())


def layout_error(folder: Path) -> GanzooError:
    return GanzooError(f"'{folder}' is in neither paired layout: expected pix2pix's aligned images (input and "
                       f"target side by side, {folder}/1.png) or A/ and B/ folders with matching names "
                       f"({folder}/A/1.png beside {folder}/B/1.png), optionally inside train/ and test/")


def read_picture(path: Path, mode: str, size: Optional[int]):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = image.convert(mode)
            image.load()
            return image
    except Image.DecompressionBombError as error:
        raise GanzooError(f"image '{path}' is too large to read safely; scale it down first") from error
    except (OSError, UnidentifiedImageError) as error:
        raise GanzooError(f"cannot read image '{path}': {first_line(error)}; remove it or replace it") from error


def to_array(image, size: Optional[int]) -> np.ndarray:
    from PIL import Image

    if size is not None and image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BICUBIC)
    array = np.asarray(image, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array


def read_pairs(folder: Path, mode: str, size: Optional[int]) -> Tuple[List[np.ndarray], List[np.ndarray], List[Path]]:
    """(inputs, targets, the file each pair came from) of one folder in either layout."""
    if (folder / "A").is_dir() and (folder / "B").is_dir():
        a_files, b_files = images_in(folder / "A"), images_in(folder / "B")
        a_names, b_names = {p.name for p in a_files}, {p.name for p in b_files}
        if a_names != b_names:
            alone = sorted(a_names - b_names)
            side, other = ("A", "B") if alone else ("B", "A")
            alone = alone or sorted(b_names - a_names)
            raise GanzooError(f"'{folder}/{side}/{alone[0]}' has no partner '{folder}/{other}/{alone[0]}' "
                              f"({len(alone)} unmatched in {side}/); A/ and B/ must hold the same file names")
        if not a_files:
            raise layout_error(folder)
        inputs = [to_array(read_picture(p, mode, size), size) for p in a_files]
        targets = [to_array(read_picture(folder / "B" / p.name, mode, size), size) for p in a_files]
        return inputs, targets, a_files
    files = images_in(folder) if folder.is_dir() else []
    if not files:
        raise layout_error(folder)
    inputs, targets = [], []
    for path in files:
        picture = read_picture(path, mode, size)
        width, height = picture.size
        if width % 2:
            raise GanzooError(f"'{path}' is {width} pixels wide, an odd width, so it is not an aligned A|B pair "
                              "(input and target side by side, each half as wide)")
        if width != 2 * height:
            raise GanzooError(f"'{path}' is {width}x{height}, not twice as wide as high, so it is not an aligned A|B "
                              "pair (input and target side by side, each half square, e.g. 512x256): this folder "
                              "holds single pictures, not pairs; put the inputs in A/ and their targets in B/ "
                              "under the same names")
        inputs.append(to_array(picture.crop((0, 0, width // 2, height)), size))
        targets.append(to_array(picture.crop((width // 2, 0, width, height)), size))
    return inputs, targets, files


def stack(arrays: List[np.ndarray], files: List[Path], side: str) -> torch.Tensor:
    first = arrays[0].shape[:2]
    for array, path in zip(arrays, files):
        if array.shape[:2] != first:
            raise GanzooError(f"the {side} of '{path}' is {array.shape[1]}x{array.shape[0]} but the {side} of "
                              f"'{files[0]}' is {first[1]}x{first[0]}; all pairs must have one size (or give "
                              "dataset.params.size=N to resize them all)")
    batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    return unit_range(batch)


def load_split(folder: Path, params: PairedFolderParams) -> Tuple[torch.Tensor, torch.Tensor]:
    inputs, targets, files = read_pairs(folder, "RGB" if params.channels == 3 else "L", params.size)
    return stack(inputs, files, "input"), stack(targets, files, "target")


def load_paired_folder(params: PairedFolderParams) -> ImageData:
    if not params.path:
        raise GanzooError("paired-folder needs the folder of pairs: add dataset.params.path=FOLDER")
    root = Path(params.path).expanduser()
    if not root.is_dir():
        raise GanzooError(f"paired folder '{root}' not found; set dataset.params.path to a folder of aligned A|B "
                          "images or with A/ and B/ folders")
    if (root / "train").is_dir():
        images, targets = load_split(root / "train", params)
        test = next((root / name for name in TEST_FOLDERS if (root / name).is_dir()), None)
        if test is None:
            raise GanzooError(f"'{root}' has train/ but no test/ or val/ folder to hold out; add one (same layout)")
        test_images, test_targets = load_split(test, params)
        if test_images.shape[1:] != images.shape[1:] or test_targets.shape[1:] != targets.shape[1:]:
            raise GanzooError(f"the pairs in '{test}' differ in size from those in '{root / 'train'}'; give "
                              "dataset.params.size=N to resize them all")
    else:
        both, both_targets = load_split(root, params)
        if len(both) < 2:
            raise GanzooError(f"'{root}' holds one pair; training and holding out need at least two")
        held = max(1, round(len(both) * params.test_fraction))
        if held >= len(both):
            raise GanzooError(f"'{root}' holds {len(both)} pairs and test_fraction={params.test_fraction} holds out "
                              f"{held} of them: none is left to train on; lower dataset.params.test_fraction or "
                              "add pairs")
        images, targets, test_images, test_targets = both[:-held], both_targets[:-held], both[-held:], both_targets[-held:]
    if params.limit is not None:
        images, targets = images[:params.limit], targets[:params.limit]
    held_out = ImageData(images=test_images, two_sided=TwoSided(targets=test_targets, paired=True))
    return ImageData(images=images, two_sided=TwoSided(targets=targets, paired=True), held_out=held_out)
