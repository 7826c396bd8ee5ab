"""The two networks BiGAN needs besides a generator: an encoder (x -> z) and a joint critic D(x, z).

Neither is a generator nor a discriminator, so neither is registered as one: the encoder is of kind
``encoder`` (a module with ``latent_dim`` whose ``forward(x)`` gives codes ``(N, latent_dim)``), the
critic of kind ``network`` (a module the algorithm calls as it documents: here ``forward(x, z)``).
"""

from dataclasses import dataclass
from math import prod

import torch
from torch import nn

from ganzoo import DataSpec


@dataclass
class EncoderParams:
    latent_dim: int = 32  # the width of the codes: the generator's latent_dim
    hidden: int = 256  # the hidden layer

    def __post_init__(self):
        if self.latent_dim < 1 or self.hidden < 1:
            raise ValueError(f"latent_dim and hidden must be at least 1, got {self.latent_dim} and {self.hidden}")


class Encoder(nn.Module):
    """Pictures (N, C, H, W) -> codes (N, latent_dim): an MLP."""

    def __init__(self, params: EncoderParams, data: DataSpec):
        super().__init__()
        self.latent_dim = params.latent_dim  # ganzoo's encoder contract: the width of its codes
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(prod(data.image_shape), params.hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(params.hidden, params.latent_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def make_encoder(params: EncoderParams, data: DataSpec) -> Encoder:
    return Encoder(params, data)


@dataclass
class JointCriticParams:
    latent_dim: int = 32  # the width of the codes it reads: the generator's latent_dim
    hidden: int = 256  # each branch's width, and the joint layer's

    def __post_init__(self):
        if self.latent_dim < 1 or self.hidden < 1:
            raise ValueError(f"latent_dim and hidden must be at least 1, got {self.latent_dim} and {self.hidden}")


class JointCritic(nn.Module):
    """D(x, z): a branch for the picture, one for the code, joined; one logit per pair, (N,)."""

    def __init__(self, params: JointCriticParams, data: DataSpec):
        super().__init__()
        self.latent_dim = params.latent_dim
        self.picture = nn.Sequential(nn.Flatten(), nn.Linear(prod(data.image_shape), params.hidden), nn.LeakyReLU(0.2))
        self.code = nn.Sequential(nn.Linear(params.latent_dim, params.hidden), nn.LeakyReLU(0.2))
        self.joint = nn.Sequential(nn.Linear(2 * params.hidden, params.hidden), nn.LeakyReLU(0.2),
                                   nn.Linear(params.hidden, 1))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.joint(torch.cat([self.picture(x), self.code(z)], dim=1)).reshape(-1)


def make_joint_critic(params: JointCriticParams, data: DataSpec) -> JointCritic:
    return JointCritic(params, data)
