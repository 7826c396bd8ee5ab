"""StyleGAN2's generator and discriminator (Karras et al. 2020), scaled down to small images (32x32:
MNIST padded by 2 pixels, ``dataset.params.pad: 2``).

Generator: a mapping network (``mapping_layers`` fully connected layers, leaky ReLU, learning rate
times ``mapping_lr``) turns z, normalised to unit second moment, into a style w. The synthesis network starts from a
learned 4x4 constant; each later side (8, 16, 32) is a bilinear 2x upsampling, two modulated and
demodulated 3x3 convolutions, and a modulated 1x1 "toRGB" convolution added to the upsampled image
of the side before (the skip architecture). Every convolution reads its own copy of w, through an
affine map to one scale per input channel (the style); after each 3x3 convolution a per-pixel
noise image, times a learned strength per layer (starting at 0), is added. In training, with
probability ``mixing``, a second z's w replaces the first from a random layer on (style mixing, the
paper's regulariser); in eval mode there is no mixing and the noise is a fixed image per layer
(StyleGAN2's ``noise_mode='const'``), so a latent always gives the same image. ``mapping(z)`` and
``synthesis(ws)`` are the two halves, which path-length regularisation (the ``stylegan2``
algorithm) and style-mixing grids (benchmarks/style_mixing.py) call.

Discriminator: residual (fromRGB 1x1, then per side two 3x3 convolutions and a 2x average pooling
beside a pooled 1x1 shortcut, summed and scaled by 1/sqrt(2)), down to 4x4, where the minibatch
standard deviation (over groups of ``mbstd_group`` consecutive images) is appended as one feature
map before a 3x3 convolution and two fully connected layers.

Both use the paper's equalised learning rate (weights drawn N(0, 1) and scaled by 1/sqrt(fan-in) at
run time) and leaky ReLU (0.2) times sqrt(2). Left out at this scale: the FIR (blur) filters of
up- and downsampling (plain bilinear and average pooling here), conditioning, and the truncation
trick's tracked mean w. Images end with tanh, as ganzoo's data lie in [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo import DataSpec, Tanh

SQRT2 = math.sqrt(2.0)


@dataclass
class StyleGAN2GeneratorParams:
    latent_dim: int = 64  # z and w
    mapping_layers: int = 4  # the paper: 8
    mapping_lr: float = 0.01  # the mapping network's learning-rate multiplier (the paper's)
    channels: int = 32  # of every synthesis layer up to 16x16
    last_channels: int = 16  # of the layers at the largest side (the costliest on a CPU)
    mixing: float = 0.9  # probability of style mixing in training (the paper's 0.9)

    def __post_init__(self):
        for name in ("latent_dim", "mapping_layers", "channels", "last_channels"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.mapping_lr > 0:
            raise ValueError(f"mapping_lr must be greater than 0, got {self.mapping_lr}")
        if not 0.0 <= self.mixing <= 1.0:
            raise ValueError(f"mixing must be in [0, 1], got {self.mixing}")


@dataclass
class StyleGAN2DiscriminatorParams:
    channels: int = 32  # of every residual block below the largest side
    first_channels: int = 16  # of fromRGB and the block at the largest side
    mbstd_group: int = 4  # images per minibatch-stddev group (fewer when the batch does not divide)

    def __post_init__(self):
        for name in ("channels", "first_channels", "mbstd_group"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


def _sides(data: DataSpec) -> List[int]:
    """4, 8, ..., the image's side, for square images of a side 4 times a power of 2 (8 or more)."""
    shape = tuple(data.image_shape)
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"StyleGAN2 needs square images (C, S, S), got shape {shape}")
    side = shape[1]
    sides = [4]
    while sides[-1] < side:
        sides.append(sides[-1] * 2)
    if side < 8 or sides[-1] != side:
        raise ValueError(f"StyleGAN2 needs a side of 4 times a power of 2 (8, 16, 32, ...), got {side}; "
                         "pad MNIST to 32x32 with dataset.params.pad: 2")
    return sides


class EqualLinear(nn.Module):
    """A linear layer with the equalised learning rate: weight N(0, 1/lr) scaled by lr/sqrt(fan-in)."""

    def __init__(self, features_in: int, features_out: int, bias_init: float = 0.0, lr: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(features_out, features_in) / lr)
        self.bias = nn.Parameter(torch.full((features_out,), float(bias_init)) / lr)
        self.scale, self.lr = lr / math.sqrt(features_in), lr

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr)


class EqualConv(nn.Module):
    """A convolution with the equalised learning rate (stride 1, 'same' padding)."""

    def __init__(self, channels_in: int, channels_out: int, kernel: int, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(channels_out, channels_in, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(channels_out)) if bias else None
        self.scale, self.padding = 1 / math.sqrt(channels_in * kernel * kernel), kernel // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


def lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2) * SQRT2


def modulated_conv(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool) -> torch.Tensor:
    """StyleGAN2's convolution: ``weight`` (O, I, k, k) scaled per image by ``styles`` (N, I) on its
    input channels, then (``demodulate``) each output channel's weights rescaled to unit norm, as a
    grouped convolution, one group per image."""
    n, channels_in, h, w = x.shape
    weights = weight[None] * styles[:, None, :, None, None]  # (N, O, I, k, k)
    if demodulate:
        weights = weights * (weights.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8).rsqrt()
    out_channels, kernel = weight.shape[0], weight.shape[-1]
    out = F.conv2d(x.reshape(1, n * channels_in, h, w), weights.reshape(n * out_channels, channels_in, kernel, kernel),
                   padding=kernel // 2, groups=n)
    return out.reshape(n, out_channels, h, w)


class StyledConv(nn.Module):
    """A modulated, demodulated 3x3 convolution (after a 2x upsampling when ``up``), noise, bias, leaky ReLU."""

    def __init__(self, w_dim: int, channels_in: int, channels_out: int, side: int, up: bool):
        super().__init__()
        self.affine = EqualLinear(w_dim, channels_in, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(channels_out, channels_in, 3, 3))
        self.scale = 1 / math.sqrt(channels_in * 9)
        self.bias = nn.Parameter(torch.zeros(channels_out))
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.register_buffer("noise_const", torch.randn(1, 1, side, side))
        self.up = up

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = modulated_conv(x, self.weight * self.scale, self.affine(w), demodulate=True)
        noise = (torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype) if self.training
                 else self.noise_const)
        return lrelu(x + noise * self.noise_strength + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    """A modulated 1x1 convolution to the image's channels, without demodulation, plus a bias."""

    def __init__(self, w_dim: int, channels_in: int, channels_out: int):
        super().__init__()
        self.affine = EqualLinear(w_dim, channels_in, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(channels_out, channels_in, 1, 1))
        self.scale = 1 / math.sqrt(channels_in)
        self.bias = nn.Parameter(torch.zeros(channels_out))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return modulated_conv(x, self.weight, self.affine(w) * self.scale, demodulate=False) + \
            self.bias[None, :, None, None]


class StyleGAN2Generator(nn.Module):
    def __init__(self, params: StyleGAN2GeneratorParams, data: DataSpec):
        super().__init__()
        sides = _sides(data)
        channels = data.image_shape[0]
        self.latent_dim, self.mixing = params.latent_dim, params.mixing
        widths = [params.channels] * (len(sides) - 1) + [params.last_channels]
        self.mapping_net = nn.ModuleList(EqualLinear(params.latent_dim, params.latent_dim, lr=params.mapping_lr)
                                         for _ in range(params.mapping_layers))
        self.const = nn.Parameter(torch.randn(1, widths[0], 4, 4))
        convs, rgbs = [StyledConv(params.latent_dim, widths[0], widths[0], 4, up=False)], []
        rgbs.append(ToRGB(params.latent_dim, widths[0], channels))
        for side, width_in, width in zip(sides[1:], widths, widths[1:]):
            convs += [StyledConv(params.latent_dim, width_in, width, side, up=True),
                      StyledConv(params.latent_dim, width, width, side, up=False)]
            rgbs.append(ToRGB(params.latent_dim, width, channels))
        self.convs, self.rgbs = nn.ModuleList(convs), nn.ModuleList(rgbs)
        #: the copies of w synthesis reads: one per convolution, and the last toRGB's own
        self.num_ws = len(convs) + 1
        self.tanh = Tanh()

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, latent_dim) -> ws (N, num_ws, latent_dim), one w repeated; in training, with
        probability ``mixing``, a second latent's w from a random layer on (style mixing)."""
        ws = self._w(z)[:, None].repeat(1, self.num_ws, 1)
        if self.training and self.mixing > 0 and torch.rand(()).item() < self.mixing:
            cutoff = int(torch.randint(1, self.num_ws, ()).item())
            ws[:, cutoff:] = self._w(torch.randn_like(z))[:, None]
        return ws

    def _w(self, z: torch.Tensor) -> torch.Tensor:
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        for layer in self.mapping_net:
            x = lrelu(layer(x))
        return x

    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        """ws (N, num_ws, latent_dim) -> images in [-1, 1]: convolution i reads ws[:, i]; a side's
        toRGB reads the w of the convolution after it (the last: ws[:, -1])."""
        x = self.const.expand(ws.shape[0], -1, -1, -1)
        x = self.convs[0](x, ws[:, 0])
        image = self.rgbs[0](x, ws[:, 1])
        for index, rgb in enumerate(self.rgbs[1:]):
            first = 1 + 2 * index
            x = self.convs[first + 1](self.convs[first](x, ws[:, first]), ws[:, first + 1])
            image = F.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False) + rgb(x, ws[:, first + 2])
        return self.tanh(image)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.synthesis(self.mapping(z))


def minibatch_stddev(x: torch.Tensor, group: int) -> torch.Tensor:
    """``x`` with one more feature map: the standard deviation of each feature over a group of
    consecutive images (of at most ``group``, a divisor of the batch), averaged over features and positions."""
    n = x.shape[0]
    size = max(g for g in range(1, min(group, n) + 1) if n % g == 0)
    grouped = x.reshape(n // size, size, *x.shape[1:])
    std = (grouped.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # one per group
    return torch.cat([x, std.repeat_interleave(size)[:, None, None, None].expand(n, 1, *x.shape[2:])], dim=1)


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions and a 2x average pooling, beside a pooled 1x1 shortcut; summed / sqrt(2)."""

    def __init__(self, channels_in: int, channels_out: int):
        super().__init__()
        self.conv1, self.conv2 = EqualConv(channels_in, channels_in, 3), EqualConv(channels_in, channels_out, 3)
        self.skip = EqualConv(channels_in, channels_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.avg_pool2d(lrelu(self.conv2(lrelu(self.conv1(x)))), 2)
        return (h + self.skip(F.avg_pool2d(x, 2))) / SQRT2


class StyleGAN2Discriminator(nn.Module):
    def __init__(self, params: StyleGAN2DiscriminatorParams, data: DataSpec):
        super().__init__()
        sides = _sides(data)
        widths = [params.first_channels] + [params.channels] * (len(sides) - 1)  # the largest side first
        self.from_rgb = EqualConv(data.image_shape[0], widths[0], 1)
        self.blocks = nn.Sequential(*(ResidualBlock(a, b) for a, b in zip(widths, widths[1:])))
        self.group = params.mbstd_group
        self.conv = EqualConv(widths[-1] + 1, widths[-1], 3)
        self.fc = EqualLinear(widths[-1] * 16, widths[-1])
        self.out = EqualLinear(widths[-1], 1)

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.blocks(lrelu(self.from_rgb(x)))
        h = lrelu(self.conv(minibatch_stddev(h, self.group)))
        return self.out(lrelu(self.fc(h.flatten(1)))).view(-1)


def make_stylegan2_generator(params: StyleGAN2GeneratorParams, data: DataSpec) -> StyleGAN2Generator:
    return StyleGAN2Generator(params, data)


def make_stylegan2_discriminator(params: StyleGAN2DiscriminatorParams, data: DataSpec) -> StyleGAN2Discriminator:
    return StyleGAN2Discriminator(params, data)
