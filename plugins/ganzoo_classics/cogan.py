"""CoGAN: Coupled Generative Adversarial Networks (Liu and Tuzel 2016).

Two GANs, one per domain, that share weights: the generators their first layers (the high-level
structure of a picture, drawn from z), the discriminators their last layers (the high-level
judgement). Trained on two *unpaired* piles of pictures (``mnist-unpaired``: digits, and other
digits thickened and inverted), the shared layers make the same z draw the same digit in both
domains: a joint distribution learnt without a single pair.

ganzoo builds one model per role, so each coupled pair is one model: the ``coupled`` generator
(``forward(z)`` draws domain A, as any generator, so grids, ``ganzoo sample`` and ``ganzoo eval``
show domain A; ``pair(z)`` draws both from the same z) and the ``coupled`` discriminator
(``forward(x)`` judges a picture of domain A, ``forward(x, domain="b")`` one of domain B). Each
pair has one optimiser: the shared layers get the gradients of both domains.

Each step: both discriminators on their domain's real batch against the fakes of one z batch
(the recipe's adversarial loss, summed over the domains), then both generators, the
discriminators frozen. CoGAN keeps no state between steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import torch
from torch import nn

from ganzoo import Algorithm, Batch, ContractViolation, DataSpec, GanzooError, LossContext, Tanh, TrainStep
from ganzoo_classics.common import dcgan_init, device_of, quarter_shape, try_in_eval_mode, upsampling_trunk

DOMAINS = ("a", "b")


class CoGAN(Algorithm):
    roles = {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
    # d_a, d_b, g_a, g_b: each domain's share of d_loss and g_loss
    scalars = ("d_loss", "g_loss", "d_a", "d_b", "g_a", "g_b")

    def setup(self, models, losses, data) -> None:
        if not data.two_sided or data.paired:
            raise GanzooError("cogan learns two domains from unpaired pictures; give it a dataset of two unpaired "
                              "domains (dataset.name=mnist-unpaired, or unpaired-folder)")
        G, D = models["generator"], models["discriminator"]
        if not callable(getattr(G, "pair", None)):
            raise ContractViolation("has no pair(z) drawing both domains from one z, which cogan trains", G,
                                    remedy="use the coupled generator (generator.name=coupled)")
        z = torch.zeros(2, G.latent_dim, device=device_of(G))
        a, b = try_in_eval_mode(G, z, lambda model, inputs: model.pair(inputs))
        for side, pictures, shape in (("a", a, data.image_shape), ("b", b, data.target_shape)):
            if tuple(pictures.shape[1:]) != tuple(shape):
                raise ContractViolation(f"draws domain {side.upper()} pictures of shape {tuple(pictures.shape[1:])}; "
                                        f"the data's are {tuple(shape)}", G)
            try:
                try_in_eval_mode(D, pictures, lambda model, inputs: model(inputs, domain=side))
            except TypeError as error:
                raise ContractViolation("takes no domain (forward(x, domain='a' or 'b')), which cogan judges each "
                                        "domain with", D, remedy="use the coupled discriminator "
                                                                 "(discriminator.name=coupled)") from error

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
        reals = {"a": batch.images, "b": batch.targets}

        with torch.no_grad():
            fakes = dict(zip(DOMAINS, G.pair(step.latent())))
        each = {side: loss.discriminator_loss(logits(D, reals[side], side), logits(D, fakes[side], side),
                                              LossContext(D, reals[side], fakes[side], None, step.index))
                for side in DOMAINS}
        d_loss = each["a"] + each["b"]
        if step.update("discriminator", d_loss):
            step.log(d_loss=d_loss, d_a=each["a"], d_b=each["b"])

        with step.frozen("discriminator"):
            fakes = dict(zip(DOMAINS, G.pair(step.latent())))
            each = {side: loss.generator_loss(logits(D, fakes[side], side),
                                              LossContext(D, reals[side], fakes[side], None, step.index))
                    for side in DOMAINS}
            g_loss = each["a"] + each["b"]
        if step.update("generator", g_loss):
            step.log(g_loss=g_loss, g_a=each["a"], g_b=each["b"])


def logits(discriminator, pictures: torch.Tensor, domain: str) -> torch.Tensor:
    """The coupled discriminator's logits for ``pictures`` of ``domain``, (N,) float32. Called directly:
    ``LossContext.discriminate`` has no way to say which domain a picture is of."""
    return discriminator(pictures, domain=domain).reshape(-1).float()


@dataclass
class CoupledGeneratorParams:
    latent_dim: int = 64
    base_channels: int = 32  # channels at S/2 (domain heads); doubled in the shared layers at S/4

    def __post_init__(self):
        if self.latent_dim < 1 or self.base_channels < 1:
            raise ValueError(f"latent_dim and base_channels must be at least 1, got {self.latent_dim} and "
                             f"{self.base_channels}")


class CoupledGenerator(nn.Module):
    """z -> shared (fully connected to S/4, transposed convolution to S/2) -> one head per domain
    (transposed convolution to S, tanh), DCGAN's layers and initialisation. ``forward(z)`` is domain
    A; ``pair(z)`` both."""

    def __init__(self, params: CoupledGeneratorParams, data: DataSpec):
        super().__init__()
        if not data.two_sided:
            raise ValueError("the coupled generator draws two domains; give it a dataset of two (mnist-unpaired)")
        c = params.base_channels
        _, height, width = quarter_shape(data.image_shape, "the coupled generator")
        if tuple(data.target_shape[1:]) != (height, width):
            raise ValueError(f"the coupled generator needs both domains of one size, got {tuple(data.image_shape)} "
                             f"and {tuple(data.target_shape)}")
        self.latent_dim = params.latent_dim
        self.shared = upsampling_trunk(params.latent_dim, c, height, width)
        self.heads = nn.ModuleList(nn.Sequential(nn.ConvTranspose2d(c, shape[0], 4, 2, 1), Tanh())
                                   for shape in (data.image_shape, data.target_shape))
        dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.heads[0](self.shared(z))

    def pair(self, z: torch.Tensor) -> List[torch.Tensor]:
        h = self.shared(z)
        return [head(h) for head in self.heads]


@dataclass
class CoupledDiscriminatorParams:
    base_channels: int = 32  # channels of the domain layers at S/2; doubled in the shared layers at S/4

    def __post_init__(self):
        if self.base_channels < 1:
            raise ValueError(f"base_channels must be at least 1, got {self.base_channels}")


class CoupledDiscriminator(nn.Module):
    """One convolution per domain (to S/2), then shared layers (convolution to S/4, a logit)."""

    def __init__(self, params: CoupledDiscriminatorParams, data: DataSpec):
        super().__init__()
        if not data.two_sided:
            raise ValueError("the coupled discriminator judges two domains; give it a dataset of two (mnist-unpaired)")
        c = params.base_channels
        _, height, width = quarter_shape(data.image_shape, "the coupled discriminator")
        self.domains = nn.ModuleList(nn.Sequential(nn.Conv2d(shape[0], c, 4, 2, 1), nn.LeakyReLU(0.2))
                                     for shape in (data.image_shape, data.target_shape))
        self.shared = nn.Sequential(nn.Conv2d(c, 2 * c, 4, 2, 1), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2),
                                    nn.Flatten(), nn.Linear(2 * c * (height // 4) * (width // 4), 1))
        dcgan_init(self)

    def forward(self, x: torch.Tensor, domain: str = "a") -> torch.Tensor:
        if domain not in DOMAINS:
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        return self.shared(self.domains[DOMAINS.index(domain)](x)).reshape(-1)


def make_coupled_generator(params: CoupledGeneratorParams, data: DataSpec) -> CoupledGenerator:
    return CoupledGenerator(params, data)


def make_coupled_discriminator(params: CoupledDiscriminatorParams, data: DataSpec) -> CoupledDiscriminator:
    return CoupledDiscriminator(params, data)
