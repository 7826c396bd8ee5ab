"""A synthetic dataset: one filled shape per image, drawn with tensor ops (no files, no download)."""

from dataclasses import dataclass

import torch

from ganzoo import ImageData

CLASSES = ("circle", "square", "triangle")


@dataclass
class ShapesParams:
    n: int = 6000  # number of images
    size: int = 28  # images are 1 x size x size (28 matches MNIST recipes)
    seed: int = 0  # the same seed draws the same images

    def __post_init__(self):
        if self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if self.size < 8:
            raise ValueError(f"size must be at least 8, got {self.size}")


def load_shapes(params: ShapesParams) -> ImageData:
    rng = torch.Generator().manual_seed(params.seed)
    n, size = params.n, params.size
    labels = torch.randint(0, len(CLASSES), (n,), generator=rng)
    radius = (0.2 + 0.15 * torch.rand(n, generator=rng)) * size
    room = size / 2 - radius  # keep every shape inside the picture
    cx = size / 2 + (2 * torch.rand(n, generator=rng) - 1) * room
    cy = size / 2 + (2 * torch.rand(n, generator=rng) - 1) * room

    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    dx = xs - cx.view(-1, 1, 1)
    dy = ys - cy.view(-1, 1, 1)
    r = radius.view(-1, 1, 1)
    circle = dx ** 2 + dy ** 2 <= r ** 2
    square = (dx.abs() <= 0.8 * r) & (dy.abs() <= 0.8 * r)
    triangle = (dy >= -r) & (dy <= 0.8 * r) & (dx.abs() <= 0.6 * (dy + r))  # apex at the top
    shape = labels.view(-1, 1, 1)
    mask = torch.where(shape == 0, circle, torch.where(shape == 1, square, triangle))
    images = mask.float().mul_(2).sub_(1).unsqueeze(1)  # 1 inside the shape, -1 outside
    return ImageData(images=images, labels=labels, num_classes=len(CLASSES))
