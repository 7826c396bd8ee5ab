"""Boundary-seeking GAN (Hjelm et al. 2017, "Boundary-Seeking Generative Adversarial Networks").

D is the usual binary classifier (binary cross-entropy). G is trained to put its samples on
D's decision boundary, where D(G(z)) = 1/2, rather than past it: for a D near its optimum,
D / (1 - D) estimates p_data / p_g, so fakes with D = 1/2 are where the two densities agree.
With logits l = log D - log(1 - D), the paper's generator loss for continuous data is

    L_G = 1/2 E[(log D(G(z)) - log(1 - D(G(z))))^2] = 1/2 E[l^2],

zero exactly on the boundary; the logged D(G(z)) settles near 0.5.
"""

from dataclasses import dataclass

import torch.nn.functional as F

from ganzoo import AdversarialLoss


@dataclass
class BGANParams:
    pass


class BGANLoss(AdversarialLoss):
    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # -log D(x) - log(1 - D(G(z)))

    def generator_loss(self, fake_logits, ctx):
        return 0.5 * fake_logits.pow(2).mean()


def make_bgan(params: BGANParams) -> BGANLoss:
    return BGANLoss()
