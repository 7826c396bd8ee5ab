"""Any folder of PNG/JPEG images, resized to a square: bring your own data.

Images are found recursively. When every image sits in a first-level subfolder
(``ROOT/cats/1.png``, ``ROOT/dogs/2.jpg``), the subfolders are the classes, in
sorted order, as in torchvision's ImageFolder; otherwise the data are unlabelled.
Each image is scaled so its shorter side is ``size`` and centre-cropped (or,
with ``crop: false``, stretched) to ``size`` x ``size``.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np
import torch
from omegaconf import MISSING

from ganzoo import GanzooError, ImageData

EXTENSIONS = (".png", ".jpg", ".jpeg")


@dataclass
class ImageFolderParams:
    path: str = MISSING  # the folder of images
    size: int = 32  # side of the square images; 28 or 32 suit the DCGAN models
    channels: int = 3  # 3 (RGB) or 1 (grey)
    crop: bool = True  # centre-crop to a square after resizing; false stretches instead
    limit: Optional[int] = None  # keep only the first N images (in sorted path order)

    def __post_init__(self):
        if self.size < 1:
            raise ValueError(f"size must be at least 1, got {self.size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")


def find_images(folder: Path) -> List[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())


def load_image_folder(params: ImageFolderParams) -> ImageData:
    from PIL import Image, UnidentifiedImageError

    folder = Path(params.path).expanduser()
    if not folder.is_dir():
        raise GanzooError(f"image folder '{folder}' not found; set dataset.params.path to a folder of PNG/JPEG files")
    files = find_images(folder)
    if not files:
        raise GanzooError(f"no PNG or JPEG images in '{folder}' (searched its subfolders too)")
    if params.limit is not None:
        files = files[: params.limit]

    mode = "RGB" if params.channels == 3 else "L"
    arrays = []
    for path in files:
        try:
            with Image.open(path) as image:
                arrays.append(np.asarray(_square(image.convert(mode), params.size, params.crop), dtype=np.uint8))
        except Image.DecompressionBombError as error:
            size = re.search(r"\((\d+) pixels\)", str(error))
            pixels = f" ({int(size.group(1)):,} pixels)" if size else ""
            raise GanzooError(f"image '{path}' is too large to read safely{pixels}; it may be a decompression "
                              "bomb: remove it, or scale it down first") from error
        except (OSError, UnidentifiedImageError) as error:
            raise GanzooError(f"cannot read image '{path}': {str(error).splitlines()[0]}; "
                              "remove it or replace it") from error
    batch = torch.from_numpy(np.stack(arrays))
    batch = batch.unsqueeze(1) if params.channels == 1 else batch.permute(0, 3, 1, 2)
    images = batch.float().div_(127.5).sub_(1.0).contiguous()

    classes = sorted({p.relative_to(folder).parts[0] for p in files})
    if all(len(p.relative_to(folder).parts) > 1 for p in files):
        index = {name: i for i, name in enumerate(classes)}
        labels = torch.tensor([index[p.relative_to(folder).parts[0]] for p in files])
        return ImageData(images=images, labels=labels, num_classes=len(classes))
    return ImageData(images=images)


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
