"""The original GAN objective, binary cross-entropy, computed on logits.

D maximises log D(x) + log(1 - D(G(z))). G either minimises log(1 - D(G(z)))
(the minimax form, which saturates early in training) or maximises log D(G(z))
(the non-saturating form the GAN paper recommends in practice, the default).
On logits l: log D = -softplus(-l) and log(1 - D) = -softplus(l), which stays
finite where a sigmoid followed by a log would not.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss, mean_gradient, r1_penalty

_softplus_backward = torch.ops.aten.softplus_backward.default  # F.softplus's own backward (beta 1, threshold 20)


@dataclass
class BCEParams:
    non_saturating: bool = True
    real_label: float = 1.0  # below 1 gives one-sided label smoothing (e.g. 0.9)
    r1_gamma: float = 0.0  # weight of the R1 penalty on real images, gamma / 2 * E||grad D(x)||^2; 0 = off

    def __post_init__(self):
        if not 0.0 < self.real_label <= 1.0:
            raise ValueError(f"real_label must be in (0, 1], got {self.real_label}")
        if self.r1_gamma < 0:
            raise ValueError(f"r1_gamma must be at least 0, got {self.r1_gamma}")


class BCELoss(AdversarialLoss):
    def __init__(self, params: BCEParams):
        self.non_saturating = params.non_saturating
        self.real_label = params.real_label
        self.r1_gamma = params.r1_gamma

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        real_targets = real_logits.new_full(real_logits.shape, self.real_label)
        real_term = F.binary_cross_entropy_with_logits(real_logits, real_targets)
        fake_term = F.softplus(fake_logits).mean()  # -log(1 - D(G(z)))
        if self.r1_gamma > 0:
            return real_term + fake_term + 0.5 * self.r1_gamma * r1_penalty(ctx)
        return real_term + fake_term

    def generator_loss(self, fake_logits, ctx):
        if self.non_saturating:
            return F.softplus(-fake_logits).mean()  # -log D(G(z))
        return -F.softplus(fake_logits).mean()  # log(1 - D(G(z)))

    # The same losses' gradients by the logits without autograd's graph, for the fused MLP step: autograd's
    # own backward formulas in its order (BCE with logits: (sigmoid(x) - target) / n; softplus: its aten
    # backward of the mean's share), so the numbers are autograd's to the bit (tests/test_fused_step.py).
    # The values are the methods above, called on logits without a graph.
    def discriminator_logit_gradients(self, real_logits, fake_logits, ctx):
        if self.r1_gamma > 0:
            return None  # the penalty differentiates D through autograd
        real_grad = (real_logits.sigmoid() - self.real_label).div_(real_logits.numel())
        fake_grad = _softplus_backward(mean_gradient(fake_logits), fake_logits, 1.0, 20.0)
        return self.discriminator_loss(real_logits, fake_logits, ctx), real_grad, fake_grad

    def generator_logit_gradient(self, fake_logits, ctx):
        if self.non_saturating:
            grad = _softplus_backward(mean_gradient(fake_logits), fake_logits.neg(), 1.0, 20.0).neg_()
        else:
            grad = _softplus_backward(mean_gradient(fake_logits, -1.0), fake_logits, 1.0, 20.0)
        return self.generator_loss(fake_logits, ctx), grad


def make_bce(params: BCEParams) -> BCELoss:
    return BCELoss(params)
