"""Turning generator output in [-1, 1] into bytes and pictures."""

from __future__ import annotations

import io
import math
from pathlib import Path

import torch

from ganzoo.output.files import write_atomic


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) floats in [-1, 1] -> uint8 in [0, 255]."""
    return images.detach().float().add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)


def grid_picture(images: torch.Tensor, nrow: int | None = None) -> torch.Tensor:
    """(N, C, H, W) images in [-1, 1] as one picture: a uint8 RGB grid (3, H', W'), rows of ``nrow``."""
    nrow = nrow or max(1, int(math.ceil(math.sqrt(images.shape[0]))))
    pictures = to_uint8(images.cpu())
    if pictures.shape[1] == 1:  # grey made RGB
        pictures = pictures.expand(-1, 3, -1, -1)
    if pictures.shape[0] == 1:
        return pictures[0].clone()
    # torchvision's make_grid(padding=2, pad_value=0), pixel for pixel, without importing torchvision
    # (whose import, pulling in torch._dynamo, took about as long again as importing torch: docs/performance.md)
    count, channels, height, width = pictures.shape
    columns = min(nrow, count)
    rows = int(math.ceil(count / columns))
    grid = pictures.new_zeros((channels, (height + 2) * rows + 2, (width + 2) * columns + 2))
    for k in range(count):
        y, x = divmod(k, columns)
        grid[:, y * (height + 2) + 2:(y + 1) * (height + 2), x * (width + 2) + 2:(x + 1) * (width + 2)] = pictures[k]
    return grid


def save_picture(picture: torch.Tensor, path: str | Path) -> None:
    """Write a uint8 picture (C, H, W), C 1 or 3, as a PNG, atomically."""
    from PIL import Image

    array = picture.permute(1, 2, 0).numpy()
    image = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # 2 ms instead of 11, for files 14% larger
    write_atomic(path, lambda handle: handle.write(buffer.getvalue()))


def read_picture(png: bytes) -> torch.Tensor:
    """A PNG's pixels as a uint8 RGB picture (3, H, W)."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        array = np.asarray(image.convert("RGB"))
    return torch.from_numpy(array.copy()).permute(2, 0, 1)


def save_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> torch.Tensor:
    """Write a PNG grid of (N, C, H, W) images in [-1, 1], atomically; returns the picture (``grid_picture``)."""
    picture = grid_picture(images, nrow)
    save_picture(picture, path)
    return picture


def save_translation_grid(columns: list[torch.Tensor], path: str | Path) -> torch.Tensor:
    """Write a PNG of examples side by side, one column per tensor (input | output | target), atomically;
    returns the picture (``grid_picture``).

    Each tensor is (N, C, H, W) in [-1, 1]; smaller pictures (a super-resolution input) are
    scaled up to the largest size, nearest-neighbour, and grey ones made RGB beside colour ones.
    """
    import torch.nn.functional as F

    height = max(column.shape[2] for column in columns)
    width = max(column.shape[3] for column in columns)
    channels = max(column.shape[1] for column in columns)
    shown = []
    for column in columns:
        column = column.detach().float().cpu()
        if column.shape[2:] != (height, width):
            column = F.interpolate(column, size=(height, width), mode="nearest")
        if column.shape[1] != channels:
            column = column.expand(-1, channels, -1, -1)
        shown.append(column)
    n = shown[0].shape[0]
    per_row = max(1, round(math.sqrt(n / len(shown))))  # examples per row: a roughly square picture
    rows = torch.stack(shown, dim=1).reshape(n * len(shown), channels, height, width)
    return save_grid(rows, path, nrow=per_row * len(shown))
