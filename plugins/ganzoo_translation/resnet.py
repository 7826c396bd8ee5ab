"""CycleGAN's ResNet generator (Zhu et al. 2017, after Johnson et al. 2016).

A 7x7 convolution, ``downsamplings`` strided 3x3 convolutions (channels doubling), residual
blocks at the lowest resolution, as many transposed convolutions back up, a 7x7 convolution to
the output's channels and tanh; reflection padding and instance norm throughout. It maps the
pictures of one side of two-sided data to the other's, of the same size: ``direction: a2b``
(images -> targets) or ``b2a`` (targets -> images), so a recipe builds CycleGAN's two
generators from one component.

The paper's sizes, for 256x256 pictures on a GPU: ``base_channels: 64``, ``downsamplings: 2``,
``residual_blocks: 9`` (6 at 128x128). The defaults are sized for 28x28 digits on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

import ganzoo

NORMS = ("instance", "batch", "none")


@dataclass
class ResNetGeneratorParams:
    base_channels: int = 16  # channels of the first convolution, doubled at each downsampling (paper: 64)
    downsamplings: int = 2  # strided convolutions before the residual blocks (paper: 2); sizes must divide by 2**it
    residual_blocks: int = 3  # at the lowest resolution (paper: 9 at 256x256, 6 at 128x128)
    norm: str = "instance"  # instance (paper) | batch | none
    direction: str = "a2b"  # a2b: images -> targets; b2a: targets -> images

    def __post_init__(self):
        if self.base_channels < 1 or self.downsamplings < 0 or self.residual_blocks < 0:
            raise ValueError("base_channels must be at least 1, downsamplings and residual_blocks at least 0")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got '{self.norm}'")
        if self.direction not in ganzoo.DataSpec.DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(ganzoo.DataSpec.DIRECTIONS)}, got '{self.direction}'")


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.Identity()


class ResidualBlock(nn.Module):
    """Two reflection-padded 3x3 convolutions with a norm between, added to the input."""

    def __init__(self, channels: int, norm: str):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(norm, channels), nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(norm, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResNetGenerator(nn.Module):
    """``G(x)``: pictures of one side to pictures of the other side, the same size, in [-1, 1]."""

    def __init__(self, params: ResNetGeneratorParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None:
            raise ValueError("the resnet generator translates pictures and needs two-sided data (a dataset with "
                             "targets, e.g. mnist-unpaired or unpaired-folder)")
        (cin, height, width), (cout, out_h, out_w) = spec.sides(params.direction)
        if (height, width) != (out_h, out_w):
            raise ValueError(f"the resnet generator keeps the picture's size; input {height}x{width} and output "
                             f"{out_h}x{out_w} differ")
        scale = 2 ** params.downsamplings
        if height % scale or width % scale:
            raise ValueError(f"{params.downsamplings} downsamplings need sizes divisible by {scale}, got "
                             f"{height}x{width}; lower the generators' params.downsamplings or resize the pictures "
                             "(dataset.params.size=N)")
        c = params.base_channels
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(cin, c, 7), _norm(params.norm, c), nn.ReLU(inplace=True)]
        for _ in range(params.downsamplings):
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), _norm(params.norm, 2 * c), nn.ReLU(inplace=True)]
            c *= 2
        layers += [ResidualBlock(c, params.norm) for _ in range(params.residual_blocks)]
        for _ in range(params.downsamplings):
            layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1),
                       _norm(params.norm, c // 2), nn.ReLU(inplace=True)]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, cout, 7), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def make_resnet_generator(params: ResNetGeneratorParams, spec: ganzoo.DataSpec) -> ResNetGenerator:
    return ResNetGenerator(params, spec)
