"""Networks on the latent side: an encoder from pictures to codes, and a discriminator of codes.

The encoder is a component of kind ``encoder`` (``encoder``: its ``latent_dim`` is the width of the
codes it makes) and the critic of codes one of kind ``network`` (``code-mlp``: it judges a batch of
codes (N, code_dim), not pictures; AAE calls it directly). The algorithms that use them (``aae``,
``cluster_gan``) check their sizes against each other before the first step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List

import torch
from torch import nn
from torch.nn import functional as F

from ganzoo import DataSpec
from ganzoo_classics.common import quarter_shape


@dataclass
class EncoderParams:
    latent_dim: int = 8  # the size of the codes it makes (match the decoder's latent_dim)
    base_channels: int = 32  # channels at S/2; doubled at S/4
    hidden: int = 256  # the fully connected layer before the code
    batch_norm: bool = True  # after the second convolution and the hidden layer
    # While training only, each picture it reads changed at random (see jitter; 0 and false: as it is),
    # so that codes it learns from fakes do not hang on a stroke's exact place, width, brightness, slant or size:
    shift: int = 0  # moved by up to this many pixels each way
    strokes: bool = False  # its strokes thickened or thinned by a pixel (3x3 max or min), or kept
    dim: float = 0.0  # its brightness above its darkest value times 1 - U(0, dim), dim in [0, 1)
    rotate: float = 0.0  # turned by up to this many degrees each way (a digit's slant), in [0, 90]
    scale: float = 0.0  # resized by a factor in [1 - scale, 1 + scale] about its centre, scale in [0, 1)

    def __post_init__(self):
        for name in ("latent_dim", "base_channels", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.shift < 0:
            raise ValueError(f"shift must be at least 0, got {self.shift}")
        if not 0 <= self.dim < 1:
            raise ValueError(f"dim must be in [0, 1), got {self.dim}")
        if not 0 <= self.rotate <= 90:
            raise ValueError(f"rotate must be in [0, 90] degrees, got {self.rotate}")
        if not 0 <= self.scale < 1:
            raise ValueError(f"scale must be in [0, 1), got {self.scale}")


class Encoder(nn.Module):
    """Pictures (N, C, S, S) -> codes (N, latent_dim): two stride-2 convolutions and an MLP. While
    training it reads them through ``jitter`` (its shift, strokes, dim, rotate and scale); in eval mode as
    they are."""

    def __init__(self, params: EncoderParams, data: DataSpec):
        super().__init__()
        channels, height, width = quarter_shape(data.image_shape, "the encoder")
        c, bn = params.base_channels, params.batch_norm
        self.latent_dim = params.latent_dim  # the width of the codes
        self.shift, self.strokes, self.dim = params.shift, params.strokes, params.dim
        self.rotate, self.scale = params.rotate, params.scale
        self.net = nn.Sequential(
            nn.Conv2d(channels, c, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1), *([nn.BatchNorm2d(2 * c)] if bn else []), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * c * (height // 4) * (width // 4), params.hidden),
            *([nn.BatchNorm1d(params.hidden)] if bn else []), nn.LeakyReLU(0.2),
            nn.Linear(params.hidden, params.latent_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            x = jitter(x, self.shift, self.strokes, self.dim, self.rotate, self.scale)
        return self.net(x)


def jitter(x: torch.Tensor, shift: int = 0, strokes: bool = False, dim: float = 0.0, rotate: float = 0.0,
           scale: float = 0.0) -> torch.Tensor:
    """Each picture of (N, C, H, W) turned by up to ``rotate`` degrees and resized by up to ``scale``
    about its centre, moved by up to ``shift`` pixels, its strokes thickened, thinned or kept
    (``strokes``), and its brightness above its darkest value scaled by 1 - U(0, ``dim``), each drawn
    per picture; differentiable, so a generator learns through what the encoder reads."""
    if rotate or scale:
        x = random_turn(x, rotate, scale)
    if shift:
        x = random_shift(x, shift)
    if strokes:  # pooled only where picked (a third of the pooling's time each, itself most of the jitter's)
        pick = torch.randint(0, 3, (x.shape[0],), device=x.device)
        thick, thin = (pick == 0).nonzero().squeeze(1), (pick == 1).nonzero().squeeze(1)
        x = x.index_put((thick,), F.max_pool2d(x[thick], 3, 1, 1))
        x = x.index_put((thin,), -F.max_pool2d(-x[thin], 3, 1, 1))
    if dim:
        low = x.detach().amin(dim=(1, 2, 3), keepdim=True)
        x = (x - low) * (1 - dim * torch.rand(x.shape[0], 1, 1, 1, device=x.device)) + low
    return x


def random_turn(x: torch.Tensor, degrees: float, scale: float) -> torch.Tensor:
    """Each picture of (N, C, H, W) turned by U(-degrees, degrees) and resized by U(1 - scale, 1 + scale)
    about its centre (bilinear; the uncovered border repeats the edge; differentiable)."""
    n = x.shape[0]
    angle = (torch.rand(n, device=x.device) * 2 - 1) * math.radians(degrees)
    size = 1 + (torch.rand(n, device=x.device) * 2 - 1) * scale
    cos, sin = torch.cos(angle) / size, torch.sin(angle) / size  # the grid maps output to input: the inverse
    zero = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def random_shift(x: torch.Tensor, pixels: int) -> torch.Tensor:
    """Each picture of (N, C, H, W) moved by its own random whole number of pixels in [-pixels,
    pixels] down and across, the uncovered border filled by repeating the edge (differentiable)."""
    n, _, h, w = x.shape
    padded = F.pad(x, [pixels] * 4, mode="replicate")
    dy = torch.randint(0, 2 * pixels + 1, (n, 1, 1, 1), device=x.device)
    dx = torch.randint(0, 2 * pixels + 1, (n, 1, 1, 1), device=x.device)
    rows = (torch.arange(h, device=x.device).view(1, 1, h, 1) + dy).expand(-1, padded.shape[1], -1, padded.shape[3])
    picked = padded.gather(2, rows)
    cols = (torch.arange(w, device=x.device).view(1, 1, 1, w) + dx).expand(-1, picked.shape[1], h, -1)
    return picked.gather(3, cols)


def make_encoder(params: EncoderParams, data: DataSpec) -> Encoder:
    return Encoder(params, data)


@dataclass
class CodeMLPParams:
    code_dim: int = 8  # the size of the codes it judges (match the encoder's latent_dim)
    hidden: List[int] = field(default_factory=lambda: [128, 128])

    def __post_init__(self):
        if self.code_dim < 1 or not self.hidden or any(width < 1 for width in self.hidden):
            raise ValueError(f"code_dim and every hidden width must be at least 1, got {self.code_dim} and "
                             f"{list(self.hidden)}")


class CodeMLP(nn.Module):
    """Codes (N, code_dim) -> one logit each: an MLP with leaky ReLUs."""

    def __init__(self, params: CodeMLPParams, data: DataSpec):
        super().__init__()
        self.code_dim = params.code_dim
        layers: List[nn.Module] = []
        width = params.code_dim
        for hidden in params.hidden:
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            width = hidden
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.net(codes.flatten(1)).reshape(-1)


def make_code_mlp(params: CodeMLPParams, data: DataSpec) -> CodeMLP:
    return CodeMLP(params, data)
