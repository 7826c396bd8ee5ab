"""Networks on the latent side: an encoder from pictures to codes, and a discriminator of codes.

The encoder is a component of kind ``encoder`` (``encoder``: its ``latent_dim`` is the width of the
codes it makes) and the critic of codes one of kind ``network`` (``code-mlp``: it judges a batch of
codes (N, code_dim), not pictures; AAE calls it directly). The algorithms that use them (``aae``,
``cluster_gan``) check their sizes against each other before the first step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

import torch
from torch import nn

from ganzoo import DataSpec
from ganzoo_classics.common import quarter_shape


@dataclass
class EncoderParams:
    latent_dim: int = 8  # the size of the codes it makes (match the decoder's latent_dim)
    base_channels: int = 32  # channels at S/2; doubled at S/4
    hidden: int = 256  # the fully connected layer before the code
    batch_norm: bool = True  # after the second convolution and the hidden layer

    def __post_init__(self):
        for name in ("latent_dim", "base_channels", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


class Encoder(nn.Module):
    """Pictures (N, C, S, S) -> codes (N, latent_dim): two stride-2 convolutions and an MLP."""

    def __init__(self, params: EncoderParams, data: DataSpec):
        super().__init__()
        channels, height, width = quarter_shape(data.image_shape, "the encoder")
        c, bn = params.base_channels, params.batch_norm
        self.latent_dim = params.latent_dim  # the width of the codes
        self.net = nn.Sequential(
            nn.Conv2d(channels, c, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1), *([nn.BatchNorm2d(2 * c)] if bn else []), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * c * (height // 4) * (width // 4), params.hidden),
            *([nn.BatchNorm1d(params.hidden)] if bn else []), nn.LeakyReLU(0.2),
            nn.Linear(params.hidden, params.latent_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


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
