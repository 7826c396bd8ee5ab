"""Folders of PNG/JPEG images: finding them, their classes, and reading one as a uint8 square.

The image-folder dataset and ``ganzoo pack`` read folders alike. Images are found recursively.
When every image sits in a first-level subfolder (``ROOT/cats/1.png``, ``ROOT/dogs/2.jpg``), the
subfolders are the classes, in sorted order, as in torchvision's ImageFolder; otherwise the data
are unlabelled. Each image is scaled so its shorter side is ``size`` and centre-cropped (or, with
``crop=False``, stretched) to ``size`` x ``size``.

Every pixel mode becomes 8 bits by its own value range, never by clipping: 16-bit greyscale (PIL's
``I;16`` modes, and ``I`` holding 0..65535) is scaled by 255/65535; transparent images (an alpha channel,
or a palette or grey level marked transparent) are composited onto black; CMYK goes through RGB.
Images whose range is not known (32-bit float ``F``, 32-bit integers outside 0..65535) are refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from ganzoo.errors import GanzooError, first_line

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
            array = np.asarray(_square(eight_bit(image, mode), size, crop), dtype=np.uint8)
    except Image.DecompressionBombError as error:
        found = re.search(r"\((\d+) pixels\)", str(error))
        pixels = f" ({int(found.group(1)):,} pixels)" if found else ""
        raise GanzooError(f"image '{path}' is too large to read safely{pixels}; it may be a decompression "
                          "bomb: remove it, or scale it down first") from error
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise UnreadableImage(path, first_line(error) or type(error).__name__) from error
    return array.reshape(size, size, channels)


SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
TRANSPARENT = ("LA", "La", "PA", "RGBA", "RGBa")


def eight_bit(image, mode: str):
    """``image`` as 8-bit ``mode`` ("L" or "RGB"), each source mode scaled by its value range (module doc).

    Raises ValueError, with the reason, for an image whose range is not known."""
    from PIL import Image

    if image.mode == "F":
        raise ValueError("a 32-bit floating-point image (PIL mode F) has no known value range; save it as an 8- or "
                         "16-bit PNG")
    if image.mode in SIXTEEN_BIT or image.mode == "I":
        values = np.asarray(image)
        if values.size and (int(values.min()) < 0 or int(values.max()) > 65535):
            raise ValueError(f"a 32-bit integer image (PIL mode {image.mode}) with values from {int(values.min())} to "
                             f"{int(values.max())}, outside 16 bits' 0 to 65535; save it as an 8- or 16-bit PNG")
        scaled = np.rint(values.astype(np.float64) * (255 / 65535)).astype(np.uint8)
        return Image.fromarray(scaled, "L").convert(mode)
    if image.mode in TRANSPARENT or "transparency" in image.info:
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert(mode)
    if image.mode == "CMYK":
        return image.convert("RGB").convert(mode)
    return image.convert(mode)


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


def read_image_folder(path, size: int = 32, channels: int = 3, crop: bool = True, limit: Optional[int] = None,
                      bad_images: str = "stop", setting: str = "dataset.params.bad_images", held_out: int = 0,
                      held_out_seed: int = 0) -> "ImageData":
    """Every PNG/JPEG image under ``path`` as ``ganzoo.ImageData``: uint8 (N, channels, size, size),
    found recursively in sorted path order (the first ``limit`` when given), labelled by their
    first-level subfolders when every image sits in one. An image that cannot be decoded stops the
    reading with a one-line error that names it and ``setting`` (``bad_images="stop"``), or is left
    out with a warning (``"skip"``). ``held_out`` N > 0: N images drawn with ``held_out_seed`` are its
    ``held_out`` reference set (what ``ganzoo eval`` scores against), never trained on. The
    ``image-folder`` dataset is this function."""
    import torch

    from ganzoo.data import ImageData

    folder = Path(path).expanduser()
    files = image_files(folder)
    if limit is not None:
        files = files[: limit]
    arrays, kept = [], []
    for image in files:
        try:
            arrays.append(read_image(image, size, channels, crop))
            kept.append(image)
        except UnreadableImage as error:
            if bad_images == "stop":
                raise unreadable(error, setting) from error
    if len(kept) < len(files):
        import warnings

        warnings.warn(f"left out {len(files) - len(kept)} of {len(files)} images in '{folder}' that cannot be "
                      f"decoded ({setting}=skip)")
    if not kept:
        raise GanzooError(f"none of the {len(files)} images in '{folder}' can be decoded")
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()  # uint8 (N, C, H, W)
    classes, labels = classes_of(folder, kept)
    if classes is not None:
        data = ImageData(images=images, labels=torch.tensor(labels), num_classes=len(classes))
    else:
        data = ImageData(images=images)
    return held_out_split(data, held_out, held_out_seed)


def held_out_split(data: "ImageData", count: int, seed: int) -> "ImageData":
    """``data`` with ``count`` images drawn with ``seed`` held out (``ganzoo.data.hold_out``); as it is for 0."""
    if not count:
        return data
    if count < 0:
        raise ValueError(f"held_out must be 0 or more images, got {count}")
    from ganzoo.data import hold_out

    return hold_out(data, count, seed)
