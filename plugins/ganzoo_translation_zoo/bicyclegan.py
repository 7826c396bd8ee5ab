"""BicycleGAN (Zhu, Zhang, Pathak, Darrell, Efros, Wang and Shechtman, NIPS 2017): one input,
many outputs, a latent code ``z`` choosing among them.

- ``bicycle`` (generator): pix2pix's U-Net that also takes a code ``z`` of ``latent_dim``,
  repeated over the picture and stacked on the input's channels (the paper's "add to input").
  ``forward(x)`` translates with ``z = 0``, the prior's mean, so ``ganzoo translate``, ``eval``
  and ``export`` see one deterministic translator; ``forward(x, z)`` draws the style ``z``.
- ``bicycle-encoder`` (a network, for the ``encoder`` role): a target picture -> the mean and
  log-variance of its code, ``(N, 2 * latent_dim)`` (not an encoder's ``(N, latent_dim)`` code).
- ``bicyclegan`` (algorithm), as PyTorch-GAN's port: the generator and the encoder learn together
  from cVAE-GAN (the encoder's code of the real target, drawn by reparametrisation, must rebuild
  it: L1 x ``pixel_weight``, KL x ``kl_weight``, and fool ``discriminator``) and cLR-GAN (a code
  drawn from N(0, I) must give a picture that fools ``discriminator_lr``); then the generator
  alone learns to let the encoder read the drawn code back (L1 x ``latent_weight``); then both
  discriminators learn the real targets against their fakes. Codes and the reparametrisation's
  noise come from ``step.latent``: the trainer's seeded noise stream, kept in checkpoints and drawn
  for the whole batch, so a resumed run, or one in ``--nproc N`` processes, draws what one
  uninterrupted process would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

import ganzoo
from ganzoo_translation.models import UNetParams, make_unet
from ganzoo_translation_zoo.common import fooled, judged


# ------------------------------------------------------------------ the networks
@dataclass
class BicycleGeneratorParams:
    latent_dim: int = 8  # the style code (paper: 8)
    base_channels: int = 16  # the U-Net's (paper: 64)
    depth: int = 2
    norm: str = "batch"

    def __post_init__(self):
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be at least 1, got {self.latent_dim}")


class BicycleGenerator(nn.Module):
    """``G(x, z)``: a U-Net on the input with the code ``z`` stacked on its channels; ``z = 0`` when not given."""

    def __init__(self, params: BicycleGeneratorParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None:
            raise ValueError("the bicycle generator translates pictures and needs two-sided data (e.g. mnist-edges)")
        channels, height, width = spec.image_shape
        self.latent_dim = params.latent_dim
        widened = ganzoo.DataSpec(image_shape=(channels + params.latent_dim, height, width),
                                  num_classes=spec.num_classes, target_shape=spec.target_shape, paired=spec.paired)
        self.unet = make_unet(UNetParams(base_channels=params.base_channels, depth=params.depth, norm=params.norm),
                              widened)

    def forward(self, x: torch.Tensor, z: Optional[torch.Tensor] = None) -> torch.Tensor:
        if z is None:
            z = x.new_zeros(x.shape[0], self.latent_dim)
        planes = z.to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return self.unet(torch.cat([x, planes], dim=1))


def make_bicycle_generator(params: BicycleGeneratorParams, spec: ganzoo.DataSpec) -> BicycleGenerator:
    return BicycleGenerator(params, spec)


@dataclass
class BicycleEncoderParams:
    latent_dim: int = 8  # the generator's latent_dim
    base_channels: int = 16

    def __post_init__(self):
        if self.latent_dim < 1 or self.base_channels < 1:
            raise ValueError("latent_dim and base_channels must be at least 1")


class BicycleEncoder(nn.Module):
    """A target picture -> (mean, log-variance) of its code: two strided convolutions, pooled, linear."""

    def __init__(self, params: BicycleEncoderParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None:
            raise ValueError("the bicycle-encoder reads target pictures and needs two-sided data (e.g. mnist-edges)")
        c = params.base_channels
        self.latent_dim = params.latent_dim
        self.body = nn.Sequential(
            nn.Conv2d(spec.target_shape[0], c, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.InstanceNorm2d(2 * c), nn.LeakyReLU(0.2, True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * c, 2 * params.latent_dim))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """(N, 2 * latent_dim): the means, then the log-variances."""
        return self.body(y)


def make_bicycle_encoder(params: BicycleEncoderParams, spec: ganzoo.DataSpec) -> BicycleEncoder:
    return BicycleEncoder(params, spec)


# ------------------------------------------------------------------ the algorithm
@dataclass
class BicycleGANParams:
    # PyTorch-GAN's port: lambda_pixel 10, lambda_latent 0.5, lambda_kl 0.01
    pixel_weight: float = 10.0
    latent_weight: float = 0.5
    kl_weight: float = 0.01

    def __post_init__(self):
        if min(self.pixel_weight, self.latent_weight, self.kl_weight) < 0:
            raise ValueError("the loss weights must be at least 0")


class BicycleGAN(ganzoo.Algorithm):
    roles = {"generator": "generator", "encoder": "network", "discriminator": "discriminator",
             "discriminator_lr": "discriminator", "loss": "loss"}
    scalars = ("d_loss", "g_loss", "g_l1", "kl", "latent", "d_vae", "d_lr")
    directions = {"a2b": "generator"}
    discriminators = ("discriminator", "discriminator_lr")

    def __init__(self, params: Optional[BicycleGANParams] = None):
        super().__init__(params if params is not None else BicycleGANParams())
        self.latent_dim = None

    def setup(self, models, losses, data) -> None:
        if not data.paired:
            raise ganzoo.GanzooError("bicyclegan learns from paired data (each input with its right output); this "
                                     "dataset's two sides are unpaired")
        G, E = models["generator"], models["encoder"]
        if not isinstance(G, BicycleGenerator) or not isinstance(E, BicycleEncoder):
            raise ganzoo.GanzooError("bicyclegan's generator must be 'bicycle' (it takes a code) and its encoder "
                                     "'bicycle-encoder'; set generator.name=bicycle and encoder.name=bicycle-encoder")
        if G.latent_dim != E.latent_dim:
            raise ganzoo.GanzooError(f"bicyclegan's encoder makes codes of {E.latent_dim} but the generator takes "
                                     f"{G.latent_dim}; set encoder.params.latent_dim: ${{generator.params.latent_dim}}")
        for role in self.discriminators:
            if getattr(models[role], "conditional_on_input", False):
                raise ganzoo.GanzooError(f"bicyclegan's {role} judges pictures alone; set "
                                         f"{role}.params.conditional_on_input=false")
        self.latent_dim = G.latent_dim

    def train_step(self, batch, step) -> None:
        G, E = step.models["generator"], step.models["encoder"]
        D_vae, D_lr = step.models["discriminator"], step.models["discriminator_lr"]
        loss, p = step.losses["loss"], self.params
        x, y = batch.images, batch.targets

        drawn = step.latent("generator")  # this process's share of the global batch's codes, as any world size draws
        with step.frozen(*self.discriminators):
            mu, logvar = E(y).float().chunk(2, dim=1)
            encoded = mu + step.latent("generator").to(mu.dtype) * torch.exp(0.5 * logvar)  # reparametrised
            rebuilt, from_prior = G(x, encoded), G(x, drawn)
            l1 = (rebuilt - y).abs().mean()
            kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1).mean()
            adversarial = fooled(loss, step, ((D_vae, y, rebuilt), (D_lr, y, from_prior)))
            total = adversarial + p.pixel_weight * l1 + p.kl_weight * kl
        if step.update(("generator", "encoder"), total):
            step.log(g_loss=adversarial, g_l1=l1, kl=kl)

        with step.frozen("encoder", *self.discriminators):  # the code read back teaches the generator alone
            read_back = E(G(x, drawn)).float().chunk(2, dim=1)[0]
            latent = (read_back - drawn).abs().mean()
        if step.update("generator", p.latent_weight * latent):
            step.log(latent=latent)

        rebuilt, from_prior = rebuilt.detach(), from_prior.detach()
        d_vae, d_lr = judged(loss, step, ((D_vae, y, rebuilt), (D_lr, y, from_prior)))
        if step.update(self.discriminators, d_vae + d_lr):
            step.log(d_loss=d_vae + d_lr, d_vae=d_vae, d_lr=d_lr)
