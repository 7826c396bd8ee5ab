"""The upsampling generator: the BEGAN paper's generator (its discriminator's decoder, with a tanh),
shorter, for CPU-sized runs of the energy-based algorithms.

z -> fully connected to (2c, S/4, S/4) -> [nearest-neighbour upsampling, 3x3 convolution] twice ->
a 3x3 convolution to the picture's channels -> tanh. Upsampling and a convolution, where DCGAN's
generator has transposed convolutions, draw no checkerboard pattern: an autoencoder discriminator
(BEGAN, EBGAN) reconstructs its own decoder's kind of picture, and the generator starts there.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ganzoo import DataSpec, Tanh
from ganzoo_classics.common import ACTIVATIONS, quarter_shape, upsampling_decoder


@dataclass
class UpsamplingGeneratorParams:
    latent_dim: int = 64
    base_channels: int = 32  # channels at S and S/2; doubled at S/4
    activation: str = "elu"  # elu (BEGAN) | leaky_relu | relu
    batch_norm: bool = False  # after every hidden layer (BEGAN's generator has none)

    def __post_init__(self):
        if self.latent_dim < 1 or self.base_channels < 1:
            raise ValueError(f"latent_dim and base_channels must be at least 1, got {self.latent_dim} and "
                             f"{self.base_channels}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got '{self.activation}'")


class UpsamplingGenerator(nn.Module):
    def __init__(self, params: UpsamplingGeneratorParams, data: DataSpec):
        super().__init__()
        channels, height, width = quarter_shape(data.image_shape, "the upsampling generator")
        self.latent_dim = params.latent_dim
        self.net = nn.Sequential(upsampling_decoder(params.latent_dim, params.base_channels, channels, height, width,
                                                    ACTIVATIONS[params.activation], params.batch_norm), Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def make_upsampling_generator(params: UpsamplingGeneratorParams, data: DataSpec) -> UpsamplingGenerator:
    return UpsamplingGenerator(params, data)
