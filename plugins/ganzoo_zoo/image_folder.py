"""Any folder of PNG/JPEG images, resized to a square: bring your own data.

Images are found recursively. When every image sits in a first-level subfolder
(``ROOT/cats/1.png``, ``ROOT/dogs/2.jpg``), the subfolders are the classes, in
sorted order, as in torchvision's ImageFolder; otherwise the data are unlabelled.
Each image is scaled so its shorter side is ``size`` and centre-cropped (or,
with ``crop: false``, stretched) to ``size`` x ``size``. The images are held as
uint8; a folder larger than memory is packed once with ``ganzoo pack`` and
trained from with the ``packed`` dataset.
"""

from dataclasses import dataclass
from typing import Optional

from omegaconf import MISSING

from ganzoo import ImageData, read_image_folder

BAD_IMAGES = ("stop", "skip")  # what an image that cannot be decoded does (read_image_folder's bad_images)


@dataclass
class ImageFolderParams:
    path: str = MISSING  # the folder of images
    size: int = 32  # side of the square images; 28 or 32 suit the DCGAN models
    channels: int = 3  # 3 (RGB) or 1 (grey)
    crop: bool = True  # centre-crop to a square after resizing; false stretches instead
    limit: Optional[int] = None  # keep only the first N images (in sorted path order)
    bad_images: str = "stop"  # stop | skip: an image that cannot be decoded stops the run (naming it), or is left out
    held_out: int = 0  # N > 0: N images drawn with held_out_seed are `ganzoo eval`'s reference set, never trained on
    held_out_seed: int = 0

    def __post_init__(self):
        if self.size < 1:
            raise ValueError(f"size must be at least 1, got {self.size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")
        if self.held_out < 0:
            raise ValueError(f"held_out must be 0 or more images, got {self.held_out}")
        if self.bad_images not in BAD_IMAGES:
            raise ValueError(f"bad_images must be stop or skip, got '{self.bad_images}'")


def load_image_folder(params: ImageFolderParams) -> ImageData:
    return read_image_folder(params.path, size=params.size, channels=params.channels, crop=params.crop,
                             limit=params.limit, bad_images=params.bad_images, held_out=params.held_out,
                             held_out_seed=params.held_out_seed)
