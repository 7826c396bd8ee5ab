"""Folders of PNG/JPEG images: finding them, their classes, and reading one as a uint8 square.

The image-folder dataset and ``ganzoo pack`` read folders alike. Images are found recursively.
When every image sits in a first-level subfolder (``ROOT/cats/1.png``, ``ROOT/dogs/2.jpg``), the
subfolders are the classes, in sorted order, as in torchvision's ImageFolder; otherwise the data
are unlabelled. Each image is scaled so its shorter side is ``size`` and centre-cropped (or, with
``crop=False``, stretched) to ``size`` x ``size``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from ganzoo.errors import GanzooError

EXTENSIONS = (".png", ".jpg", ".jpeg")
BAD_IMAGES = ("stop", "skip")  # what an image that cannot be decoded does: stop naming it, or skip it


def find_images(folder: Path) -> List[Path]:
    """The PNG/JPEG files under ``folder``, in sorted path order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())


def image_files(folder: Path) -> List[Path]:
    """``find_images``, or a one-line error when ``folder`` is missing or holds no images."""
    if folder.is_file():
        raise GanzooError(f"'{folder}' is a file; give the folder that holds the images (e.g. '{folder.parent}'), "
                          "whose subfolders, if any, are the classes")
    if not folder.is_dir():
        raise GanzooError(f"image folder '{folder}' not found; give a folder of PNG/JPEG files")
    files = find_images(folder)
    if not files:
        raise GanzooError(f"no PNG or JPEG images in '{folder}' (searched its subfolders too)")
    return files


def classes_of(folder: Path, files: List[Path]) -> Tuple[Optional[List[str]], Optional[List[int]]]:
    """(class names, each file's class index) when every file sits in a first-level subfolder; else (None, None)."""
    parts = [p.relative_to(folder).parts for p in files]
    if not all(len(part) > 1 for part in parts):
        return None, None
    classes = sorted({part[0] for part in parts})
    index = {name: i for i, name in enumerate(classes)}
    return classes, [index[part[0]] for part in parts]


class UnreadableImage(Exception):
    """An image file that cannot be decoded; ``reason`` says why in a few words."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def read_image(path: Path, size: int, channels: int, crop: bool = True) -> np.ndarray:
    """The image at ``path`` as uint8 (size, size, channels); ``UnreadableImage`` when it cannot be decoded."""
    from PIL import Image, UnidentifiedImageError

    mode = "RGB" if channels == 3 else "L"
    try:
        with Image.open(path) as image:
            array = np.asarray(_square(image.convert(mode), size, crop), dtype=np.uint8)
    except Image.DecompressionBombError as error:
        found = re.search(r"\((\d+) pixels\)", str(error))
        pixels = f" ({int(found.group(1)):,} pixels)" if found else ""
        raise GanzooError(f"image '{path}' is too large to read safely{pixels}; it may be a decompression "
                          "bomb: remove it, or scale it down first") from error
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise UnreadableImage(path, str(error).splitlines()[0] if str(error) else type(error).__name__) from error
    return array.reshape(size, size, channels)


def unreadable(error: UnreadableImage, setting: str) -> GanzooError:
    """The one-line error of an image that cannot be decoded, naming the setting that skips such images."""
    return GanzooError(f"cannot read image '{error.path}': {error.reason}; remove it or replace it, "
                       f"or give {setting}=skip to leave such images out")


def _square(image, size: int, crop: bool):
    from PIL import Image

    if not crop:
        return image.resize((size, size), Image.Resampling.BICUBIC)
    width, height = image.size
    scale = size / min(width, height)
    resized = image.resize((max(size, round(width * scale)), max(size, round(height * scale))),
                           Image.Resampling.BICUBIC)
    left, top = (resized.width - size) // 2, (resized.height - size) // 2
    return resized.crop((left, top, left + size, top + size))
