"""Least-squares, hinge and Wasserstein (gradient penalty) losses, each with an R1 option.

All read the discriminator's raw outputs (logits, or critic scores), never a
sigmoid of them. ``r1_gamma > 0`` adds ``gamma / 2 * E||grad_x D(x)||^2`` on the
real batch to the discriminator's loss (Mescheder et al. 2018).
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss, gradient_penalty, r1_penalty


def _check_r1(params) -> None:
    if params.r1_gamma < 0:
        raise ValueError(f"r1_gamma must be at least 0, got {params.r1_gamma}")


class _PenalisedLoss(AdversarialLoss):
    """Adds the optional R1 penalty to ``critic_loss``, which subclasses implement."""

    def __init__(self, r1_gamma: float):
        self.r1_gamma = r1_gamma

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        loss = self.critic_loss(real_logits, fake_logits, ctx)
        if self.r1_gamma > 0:
            loss = loss + 0.5 * self.r1_gamma * r1_penalty(ctx)
        return loss

    def critic_loss(self, real_logits, fake_logits, ctx) -> torch.Tensor:
        raise NotImplementedError


# ------------------------------------------------------------------ LSGAN
@dataclass
class LSGANParams:
    # Mao et al. 2017: D pulls real outputs to real_target and fake ones to
    # fake_target; G pulls fake outputs to generator_target. 1, 0, 1 is the
    # usual 0-1 coding; -1, 1, 0 minimises the Pearson chi^2 divergence.
    real_target: float = 1.0
    fake_target: float = 0.0
    generator_target: float = 1.0
    r1_gamma: float = 0.0

    def __post_init__(self):
        if self.real_target == self.fake_target:
            raise ValueError("real_target and fake_target must differ")
        _check_r1(self)


class LSGANLoss(_PenalisedLoss):
    def __init__(self, params: LSGANParams):
        super().__init__(params.r1_gamma)
        self.params = params

    def critic_loss(self, real_logits, fake_logits, ctx):
        p = self.params
        return 0.5 * ((real_logits - p.real_target).pow(2).mean() + (fake_logits - p.fake_target).pow(2).mean())

    def generator_loss(self, fake_logits, ctx):
        return 0.5 * (fake_logits - self.params.generator_target).pow(2).mean()


# ------------------------------------------------------------------ hinge
@dataclass
class HingeParams:
    r1_gamma: float = 0.0

    def __post_init__(self):
        _check_r1(self)


class HingeLoss(_PenalisedLoss):
    """D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; G: -E[D(G(z))] (Lim & Ye 2017; Miyato et al. 2018)."""

    def __init__(self, params: HingeParams):
        super().__init__(params.r1_gamma)

    def critic_loss(self, real_logits, fake_logits, ctx):
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()

    def generator_loss(self, fake_logits, ctx):
        return -fake_logits.mean()


# ------------------------------------------------------------------ WGAN-GP
@dataclass
class WGANGPParams:
    # Gulrajani et al. 2017: critic loss E[D(G(z))] - E[D(x)] + gp_weight * GP,
    # trained with several critic steps per generator step (algorithm.params.d_steps: 5)
    # and Adam(lr 1e-4, betas [0, 0.9]). Avoid batch norm in the critic.
    gp_weight: float = 10.0
    drift: float = 0.0  # weight of E[D(x)^2], which keeps the scores near 0 (Karras et al. 2018 use 0.001)
    r1_gamma: float = 0.0

    def __post_init__(self):
        if self.gp_weight < 0:
            raise ValueError(f"gp_weight must be at least 0, got {self.gp_weight}")
        if self.drift < 0:
            raise ValueError(f"drift must be at least 0, got {self.drift}")
        _check_r1(self)


class WGANGPLoss(_PenalisedLoss):
    def __init__(self, params: WGANGPParams):
        super().__init__(params.r1_gamma)
        self.params = params

    def critic_loss(self, real_logits, fake_logits, ctx):
        loss = fake_logits.mean() - real_logits.mean()
        if self.params.gp_weight > 0:
            loss = loss + self.params.gp_weight * gradient_penalty(ctx)
        if self.params.drift > 0:
            loss = loss + self.params.drift * real_logits.pow(2).mean()
        return loss

    def generator_loss(self, fake_logits, ctx):
        return -fake_logits.mean()


# ------------------------------------------------------------------ WGAN (weight clipping)
@dataclass
class WassersteinParams:
    # Arjovsky et al. 2017: critic loss E[D(G(z))] - E[D(x)], generator loss -E[D(G(z))]. The
    # critic must be kept Lipschitz by other means: the clip-weights callback (the paper's),
    # or use wgan-gp. RMSprop lr 5e-5 and 5 critic steps per generator step in the paper.
    drift: float = 0.0  # weight of E[D(x)^2]

    def __post_init__(self):
        if self.drift < 0:
            raise ValueError(f"drift must be at least 0, got {self.drift}")


def make_wasserstein(params: WassersteinParams) -> "WGANGPLoss":
    return WGANGPLoss(WGANGPParams(gp_weight=0.0, drift=params.drift))


def make_lsgan(params: LSGANParams) -> LSGANLoss:
    return LSGANLoss(params)


def make_hinge(params: HingeParams) -> HingeLoss:
    return HingeLoss(params)


def make_wgan_gp(params: WGANGPParams) -> WGANGPLoss:
    return WGANGPLoss(params)
