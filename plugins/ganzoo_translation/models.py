"""Translation models: the U-Net generator and PatchGAN discriminator of pix2pix, SRGAN's generator.

Each generator maps a batch of images to a batch of images, ``G(x)``, from the data's
``image_shape`` (the input side) to its ``target_shape``; ``direction: b2a`` builds one that maps
back (CycleGAN's second generator). Outputs are in [-1, 1] (tanh).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

import ganzoo

DIRECTIONS = ganzoo.DataSpec.DIRECTIONS


def sides(spec: ganzoo.DataSpec, direction: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(input shape, output shape) of a generator for ``direction`` on two-sided data."""
    if spec.target_shape is None:
        raise ValueError("this model translates images and needs two-sided data (a dataset with targets, "
                         "e.g. mnist-edges or paired-folder)")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be a2b or b2a, got '{direction}'")
    return spec.sides(direction)


def norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


NORMS = ("batch", "instance", "none")


@dataclass
class UNetParams:
    base_channels: int = 32  # channels after the first downsampling (pix2pix: 64)
    depth: int = 2  # downsamplings by 2 (pix2pix at 256x256: 8); the size must divide by 2**depth
    norm: str = "batch"  # batch | instance | none
    dropout: float = 0.0  # in the innermost decoder blocks (pix2pix's noise: 0.5)
    direction: str = "a2b"  # a2b: images -> targets; b2a: targets -> images

    def __post_init__(self):
        if self.base_channels < 1 or self.depth < 1:
            raise ValueError("base_channels and depth must be at least 1")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got '{self.norm}'")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


class UNet(nn.Module):
    """Encoder of strided 4x4 convolutions, decoder of transposed ones, skip connections between them."""

    def __init__(self, params: UNetParams, spec: ganzoo.DataSpec):
        super().__init__()
        (cin, height, width), (cout, out_h, out_w) = sides(spec, params.direction)
        if (height, width) != (out_h, out_w):
            raise ValueError(f"the U-Net keeps the picture's size; input {height}x{width} and output {out_h}x{out_w} "
                             "differ (use the sr generator to upsample)")
        if height % 2 ** params.depth or width % 2 ** params.depth:
            raise ValueError(f"a U-Net of depth {params.depth} needs sizes divisible by {2 ** params.depth}, "
                             f"got {height}x{width}; lower generator.params.depth")
        widths = [min(params.base_channels * 2 ** i, params.base_channels * 8) for i in range(params.depth)]
        self.down = nn.ModuleList()
        previous = cin
        for i, width_i in enumerate(widths):
            self.down.append(nn.Sequential(
                nn.Conv2d(previous, width_i, 4, stride=2, padding=1, bias=False),
                norm(params.norm, width_i) if i > 0 else nn.Identity(), nn.LeakyReLU(0.2, inplace=True)))
            previous = width_i
        self.up = nn.ModuleList()
        for i in reversed(range(params.depth)):
            out = widths[i - 1] if i > 0 else params.base_channels
            inner = i == params.depth - 1
            self.up.append(nn.Sequential(
                nn.ConvTranspose2d(widths[i] * (1 if inner else 2), out, 4, stride=2, padding=1, bias=False),
                norm(params.norm, out), *([nn.Dropout(params.dropout)] if params.dropout and i >= params.depth - 2 else []),
                nn.ReLU(inplace=True)))
        self.out = nn.Sequential(nn.Conv2d(params.base_channels + cin, cout, 3, padding=1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips, h = [], x
        for block in self.down:
            h = block(h)
            skips.append(h)
        skips.pop()
        for block in self.up:
            h = block(h)
            if skips:
                h = torch.cat([h, skips.pop()], dim=1)
        return self.out(torch.cat([h, x], dim=1))


def make_unet(params: UNetParams, spec: ganzoo.DataSpec) -> UNet:
    return UNet(params, spec)


@dataclass
class SRGeneratorParams:
    channels: int = 32  # feature channels (SRGAN: 64)
    residual_blocks: int = 4  # SRGAN: 16
    kernel_size: int = 3  # of the first and last convolutions (SRGAN: 9; 3 is ~10x cheaper on a CPU)
    norm: str = "none"  # in the residual blocks: none (EDSR, ESRGAN: better for SR) | batch (SRGAN) | instance
    direction: str = "a2b"

    def __post_init__(self):
        if self.channels < 1 or self.residual_blocks < 0:
            raise ValueError("channels must be at least 1 and residual_blocks at least 0")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got '{self.norm}'")


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, kind: str):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), norm(kind, channels),
                                  nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(channels, channels, 3, padding=1),
                                  norm(kind, channels))

    def forward(self, x):
        return x + self.body(x)


class SRGenerator(nn.Module):
    """SRGAN's generator (Ledig et al. 2017): residual blocks, then sub-pixel convolutions (pixel
    shuffle) up by 2 at a time (or by the factor itself when it is odd, e.g. 7), and the bicubic
    upsampling of the input added (in tanh's pre-activation), so the network learns the detail
    bicubic misses. LeakyReLU where the paper has PReLU: its backward pass is 3x cheaper on a CPU."""

    def __init__(self, params: SRGeneratorParams, spec: ganzoo.DataSpec):
        super().__init__()
        (cin, height, width), (cout, out_h, out_w) = sides(spec, params.direction)
        factor = out_h // height
        if factor < 1 or (height * factor, width * factor) != (out_h, out_w):
            raise ValueError(f"the sr generator upsamples by a whole factor; input {height}x{width} and output "
                             f"{out_h}x{out_w} are not in one")
        self.size = (out_h, out_w)
        self.cout = cout
        c = params.channels
        self.head = nn.Sequential(nn.Conv2d(cin, c, params.kernel_size, padding="same"), nn.LeakyReLU(0.2, inplace=True))
        self.body = nn.Sequential(*[ResidualBlock(c, params.norm) for _ in range(params.residual_blocks)],
                                  nn.Conv2d(c, c, 3, padding=1), norm(params.norm, c))
        ups = []
        while factor > 1:
            step = 2 if factor % 2 == 0 else factor
            ups += [nn.Conv2d(c, c * step * step, 3, padding=1), nn.PixelShuffle(step), nn.LeakyReLU(0.2, inplace=True)]
            factor //= step
        self.up = nn.Sequential(*ups)
        self.out = nn.Conv2d(c, cout, params.kernel_size, padding="same")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        h = self.up(h + self.body(h))
        base = F.interpolate(x, size=self.size, mode="bicubic", align_corners=False)
        if base.shape[1] != self.cout:
            base = base.mean(1, keepdim=True).expand(-1, self.cout, -1, -1)
        return torch.tanh(torch.atanh(base.clamp(-0.999, 0.999)) + self.out(h))


def make_sr_generator(params: SRGeneratorParams, spec: ganzoo.DataSpec) -> SRGenerator:
    return SRGenerator(params, spec)


@dataclass
class PatchGANParams:
    base_channels: int = 32  # pix2pix: 64
    layers: int = 2  # strided convolutions (pix2pix's 70x70 PatchGAN at 256x256: 3)
    norm: str = "batch"  # batch | instance | none
    conditional_on_input: bool = True  # pix2pix: D sees (input, output) together; SRGAN: the output alone
    direction: str = "a2b"  # judges outputs of this direction (a2b: pictures of the target side)

    def __post_init__(self):
        if self.base_channels < 1 or self.layers < 1:
            raise ValueError("base_channels and layers must be at least 1")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got '{self.norm}'")


class PatchGAN(nn.Module):
    """Scores overlapping patches: one logit per patch, (N, 1, h, w). ``forward(y, x=None)`` judges
    output ``y``; a discriminator conditional on the input gets ``x`` too (scaled to ``y``'s size)."""

    def __init__(self, params: PatchGANParams, spec: ganzoo.DataSpec):
        super().__init__()
        (cin, _, _), (cout, height, width) = sides(spec, params.direction)
        self.conditional_on_input = params.conditional_on_input
        self.size = (height, width)
        previous = cout + (cin if self.conditional_on_input else 0)
        blocks = []
        for i in range(params.layers):
            width_i = min(params.base_channels * 2 ** i, params.base_channels * 8)
            blocks += [nn.Conv2d(previous, width_i, 4, stride=2, padding=1, bias=i == 0),
                       norm(params.norm, width_i) if i > 0 else nn.Identity(), nn.LeakyReLU(0.2, inplace=True)]
            previous = width_i
        width_last = min(params.base_channels * 2 ** params.layers, params.base_channels * 8)
        blocks += [nn.Conv2d(previous, width_last, 3, padding=1, bias=False), norm(params.norm, width_last),
                   nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(width_last, 1, 3, padding=1)]
        self.body = nn.Sequential(*blocks)

    def forward(self, y: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if self.conditional_on_input:
            if x is None:
                raise ValueError("this PatchGAN is conditional on the input: call it with (output, input)")
            if x.shape[2:] != y.shape[2:]:
                x = F.interpolate(x, size=y.shape[2:], mode="nearest")
            y = torch.cat([y, x], dim=1)
        return self.body(y)


def make_patchgan(params: PatchGANParams, spec: ganzoo.DataSpec) -> PatchGAN:
    return PatchGAN(params, spec)
