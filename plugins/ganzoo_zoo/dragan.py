"""DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs").

The binary cross-entropy GAN with a gradient penalty *around the real data* only: D's input
gradient is pulled to norm 1 on points between each real image x and a perturbed copy of it,

    x_p = x + c * std(x) * u,  u ~ U[0, 1] per value;   x^ = a x + (1 - a) x_p,  a ~ U[0, 1]
    L_D = BCE + lambda * E[(||grad D(x^)|| - 1)^2],

which keeps D from forming the sharp gradients around real points that the paper links to
mode collapse. std(x) is the standard deviation of the whole real batch; c = 0.5 and
lambda = 10 as in the authors' code. G's loss is the non-saturating -log D(G(z)).
"""

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss, gradient_penalty, whole_batch


@dataclass
class DRAGANParams:
    weight: float = 10.0  # lambda, the penalty's weight
    perturbation: float = 0.5  # c: the perturbation's size, in standard deviations of the real batch

    def __post_init__(self):
        if self.weight < 0:
            raise ValueError(f"weight must be at least 0, got {self.weight}")
        if not self.perturbation > 0:
            raise ValueError(f"perturbation must be greater than 0, got {self.perturbation}")


class DRAGANLoss(AdversarialLoss):
    def __init__(self, params: DRAGANParams):
        self.params = params

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        if self.params.weight > 0:
            loss = loss + self.params.weight * perturbed_penalty(ctx, self.params.perturbation)
        return loss

    def generator_loss(self, fake_logits, ctx):
        return F.softplus(-fake_logits).mean()


def perturbed_penalty(ctx, perturbation: float):
    """WGAN-GP's penalty on points between the real batch and its perturbed copy (not the fakes)."""
    real = ctx.real.detach()
    noise = torch.rand(real.shape, device=real.device, dtype=real.dtype)
    perturbed = real + perturbation * whole_batch(real).std() * noise  # every process's batch under --nproc
    return gradient_penalty(dataclasses.replace(ctx, fake=perturbed))


def make_dragan(params: DRAGANParams) -> DRAGANLoss:
    return DRAGANLoss(params)
