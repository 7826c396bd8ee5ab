"""The autoencoder discriminator of the energy-based GANs (EBGAN, BEGAN).

D(x) encodes a picture to a code and decodes it back; its *energy* is the reconstruction error,
per picture: the mean absolute error (``distance: l1``, BEGAN's) or mean squared error (``l2``,
EBGAN's) over the pixels. Real pictures should get a low energy, fakes a high one.

It keeps ganzoo's discriminator contract: it returns a dict with ``logits`` (minus the energy,
one per picture, so "higher is more real" as for any discriminator) beside its extras
``energy`` (N,), ``code`` (N, code_dim; EBGAN's pulling-away term reads it) and
``reconstruction`` (N, C, H, W). The ``began`` and ``ebgan`` algorithms read the energy.

Layout: two stride-2 convolutions (S -> S/2 -> S/4), a linear bottleneck to ``code_dim``, and
back up with nearest-neighbour upsampling and convolutions (the BEGAN paper's decoder, shorter;
the ``upsampling`` generator is the same decoder with a tanh, as the paper's generator is).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ganzoo import ContractViolation, DataSpec
from ganzoo_classics.common import ACTIVATIONS, device_of, quarter_shape, try_in_eval_mode, upsampling_decoder

DISTANCES = ("l1", "l2")


@dataclass
class AutoencoderParams:
    base_channels: int = 16  # channels of the first feature map (S/2); doubled at S/4
    code_dim: int = 32  # the bottleneck (BEGAN's h)
    distance: str = "l1"  # l1 (BEGAN) | l2 (EBGAN): the energy is this reconstruction error, per picture
    activation: str = "elu"  # elu (BEGAN) | leaky_relu | relu

    def __post_init__(self):
        if self.base_channels < 1 or self.code_dim < 1:
            raise ValueError(f"base_channels and code_dim must be at least 1, got {self.base_channels} and "
                             f"{self.code_dim}")
        if self.distance not in DISTANCES:
            raise ValueError(f"distance must be one of {', '.join(DISTANCES)}, got '{self.distance}'")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got '{self.activation}'")


class AutoencoderDiscriminator(nn.Module):
    def __init__(self, params: AutoencoderParams, data: DataSpec):
        super().__init__()
        channels, height, width = quarter_shape(data.image_shape, "the autoencoder discriminator")
        c, act = params.base_channels, ACTIVATIONS[params.activation]
        small = (2 * c, height // 4, width // 4)
        self.squared = params.distance == "l2"
        self.encode = nn.Sequential(
            nn.Conv2d(channels, c, 3, 1, 1), act(),
            nn.Conv2d(c, c, 4, 2, 1), act(),            # S/2
            nn.Conv2d(c, 2 * c, 4, 2, 1), act(),        # S/4
            nn.Flatten(), nn.Linear(2 * c * small[1] * small[2], params.code_dim))
        self.decode = upsampling_decoder(params.code_dim, c, channels, height, width, act)

    def forward(self, x: torch.Tensor) -> dict:
        code = self.encode(x)
        reconstruction = self.decode(code)
        error = (reconstruction.float() - x.float()).flatten(1)
        energy = (error.pow(2) if self.squared else error.abs()).mean(dim=1)
        return {"logits": -energy, "energy": energy, "code": code, "reconstruction": reconstruction}


def make_autoencoder(params: AutoencoderParams, data: DataSpec) -> AutoencoderDiscriminator:
    return AutoencoderDiscriminator(params, data)


def energy(discriminator, images: torch.Tensor, component=None) -> dict:
    """The autoencoder discriminator's outputs on ``images`` (a dict with ``energy``, (N,) float32);
    a one-line ``ganzoo.ContractViolation`` for a discriminator that reports no energy."""
    out = discriminator(images)
    if not isinstance(out, dict) or not isinstance(out.get("energy"), torch.Tensor) \
            or tuple(out["energy"].shape) != (images.shape[0],):
        raise ContractViolation(
            "returns no 'energy' (one reconstruction error per picture), which the energy-based algorithms "
            "train on", component if component is not None else discriminator,
            remedy="use an autoencoder discriminator (discriminator.name=autoencoder)")
    return out


def check_energy(discriminator, image_shape) -> None:
    """Before the first step: the discriminator reports an energy per picture (else one line)."""
    inputs = torch.zeros(2, *image_shape, device=device_of(discriminator))
    try_in_eval_mode(discriminator, inputs, energy)
