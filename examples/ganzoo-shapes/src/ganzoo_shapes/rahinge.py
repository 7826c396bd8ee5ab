"""The relativistic average hinge loss (RaHinge), from Jolicoeur-Martineau, "The relativistic
discriminator: a key element missing from standard GAN" (2018).

Instead of judging each image alone, D judges how much more real a real image looks
than the average fake one (and the reverse):

    r~ = D(x_r) - mean D(x_f)        f~ = D(x_f) - mean D(x_r)
    L_D = mean relu(margin - r~) + mean relu(margin + f~)
    L_G = mean relu(margin + r~) + mean relu(margin - f~)

G's loss needs D's logits on the real batch too. The trainer hands G's loss only the
fake logits, so it asks the ``ganzoo.LossContext`` for the rest: ``ctx.discriminate(ctx.real)``.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss


@dataclass
class RaHingeParams:
    margin: float = 1.0  # the hinge's margin; 1 in the paper

    def __post_init__(self):
        if not self.margin > 0:
            raise ValueError(f"margin must be greater than 0, got {self.margin}")


class RaHingeLoss(AdversarialLoss):
    def __init__(self, params: RaHingeParams):
        self.margin = params.margin

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        real_rel = real_logits - fake_logits.mean()
        fake_rel = fake_logits - real_logits.mean()
        return F.relu(self.margin - real_rel).mean() + F.relu(self.margin + fake_rel).mean()

    def generator_loss(self, fake_logits, ctx):
        with torch.no_grad():  # D is frozen during G's step; the real logits are constants for G
            real_logits = ctx.discriminate(ctx.real)
        real_rel = real_logits - fake_logits.mean()
        fake_rel = fake_logits - real_logits.mean()
        return F.relu(self.margin + real_rel).mean() + F.relu(self.margin - fake_rel).mean()


def make_rahinge(params: RaHingeParams) -> RaHingeLoss:
    return RaHingeLoss(params)
