"""WGAN-div (Wu et al. 2018, "Wasserstein Divergence for GANs").

The Wasserstein critic loss with the W-div penalty in place of WGAN-GP's: instead of pulling
the critic's gradient norm to 1, it penalises its p-th power,

    L_D = E[D(G(z))] - E[D(x)] + k E[||grad D(x^)||^p],   x^ = a x + (1 - a) G(z),  a ~ U[0, 1]
    L_G = -E[D(G(z))]

which makes the objective a true divergence without the 1-Lipschitz constraint (no need
to approximate the Wasserstein-1 distance). The paper's best setting is k = 2, p = 6, and
the points x^ are drawn between real and fake images as its Algorithm 1 does.
"""

from dataclasses import dataclass

import torch

from ganzoo import AdversarialLoss


@dataclass
class WGANDivParams:
    k: float = 2.0  # the penalty's weight
    p: float = 6.0  # the power of the gradient's norm

    def __post_init__(self):
        if self.k < 0:
            raise ValueError(f"k must be at least 0, got {self.k}")
        if not self.p >= 1:
            raise ValueError(f"p must be at least 1, got {self.p}")


class WGANDivLoss(AdversarialLoss):
    def __init__(self, params: WGANDivParams):
        self.params = params

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        loss = fake_logits.mean() - real_logits.mean()
        if self.params.k > 0:
            loss = loss + self.params.k * divergence_penalty(ctx, self.params.p)
        return loss

    def generator_loss(self, fake_logits, ctx):
        return -fake_logits.mean()


def divergence_penalty(ctx, p: float) -> torch.Tensor:
    """Mean of ||grad_x D(x)||^p on random interpolates of the real and fake batches."""
    real, fake = ctx.real.detach(), ctx.fake.detach()
    weight = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    mixed = (weight * real + (1.0 - weight) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(ctx.discriminate(mixed).sum(), mixed, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).pow(p / 2).mean()


def make_wgan_div(params: WGANDivParams) -> WGANDivLoss:
    return WGANDivLoss(params)
