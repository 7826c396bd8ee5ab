"""Relativistic GAN losses (Jolicoeur-Martineau 2018, "The relativistic discriminator: a key
element missing from standard GAN"): RSGAN, RaGAN and RaLSGAN.

D no longer judges each image alone; its logit C(x) is read relative to the other batch's, as
how much more real a real image is than a fake one (and the reverse). G's loss then pulls the
real images' scores down as well as the fakes' up, which the paper argues a GAN should do
(half the batch it sees is real). With the logits C:

    RSGAN   (relative, paired)  L_D = E[softplus(-(C(x_r) - C(x_f)))]
                                L_G = E[softplus(-(C(x_f) - C(x_r)))]
    RaGAN   (relative average)  r = C(x_r) - mean C(x_f),  f = C(x_f) - mean C(x_r)
                                L_D = E[softplus(-r)] + E[softplus(f)]
                                L_G = E[softplus(r)] + E[softplus(-f)]
    RaLSGAN (least squares)     L_D = E[(r - 1)^2] + E[(f + 1)^2]
                                L_G = E[(f - 1)^2] + E[(r + 1)^2]

softplus(-y) = -log sigmoid(y): RSGAN and RaGAN are binary cross-entropy on the relative
logits. RSGAN pairs the i-th real image with the i-th fake. G's loss needs D's logits on the
real batch: it reads them through ``ctx.discriminate(ctx.real)``, without gradients (D is
frozen in G's step, and the real images do not depend on G). The relativistic average hinge
loss is examples/ganzoo-shapes' ``rahinge``.

The averages are over the whole batch: under ``ganzoo run --nproc N``, where each process holds
1/N of it, they are taken of ``ganzoo.whole_batch``, every process's logits with gradients
reaching each, so N processes train what one does (a mean over each process's share would not).
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss, whole_batch

VARIANTS = ("rsgan", "ragan", "ralsgan")


@dataclass
class RelativisticParams:
    variant: str = "ragan"  # rsgan | ragan | ralsgan

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got '{self.variant}'")


class RelativisticLoss(AdversarialLoss):
    def __init__(self, params: RelativisticParams):
        self.variant = params.variant

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return self.relative_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits, ctx):
        with torch.no_grad():  # constants for G
            real_logits = ctx.discriminate(ctx.real)
        return self.relative_loss(fake_logits, real_logits)  # the same game, the roles swapped

    def relative_loss(self, winner, loser) -> torch.Tensor:
        """The loss of making ``winner``'s images look more real than ``loser``'s."""
        if self.variant == "rsgan":
            n = min(winner.shape[0], loser.shape[0])
            return F.softplus(loser[:n] - winner[:n]).mean()
        ahead, behind = winner - whole_batch(loser).mean(), loser - whole_batch(winner).mean()
        if self.variant == "ragan":
            return F.softplus(-ahead).mean() + F.softplus(behind).mean()
        return (ahead - 1).pow(2).mean() + (behind + 1).pow(2).mean()


def make_relativistic(params: RelativisticParams) -> RelativisticLoss:
    return RelativisticLoss(params)
