"""DualGAN (Yi, Zhang, Tan and Gong, ICCV 2017): unsupervised dual learning for image-to-image
translation.

Two generators (``generator`` A -> B, ``generator_b2a`` B -> A, U-Nets in the paper) and two
Wasserstein critics (``discriminator`` scores B, ``discriminator_a`` scores A). Each training
step both critics learn (the recipe's ``loss``: ``wgan-gp`` as PyTorch-GAN's port; the paper
clips weights, ``wasserstein``); every ``d_steps``-th step (n_critic, 5) the generators learn too:
``-critic(output)`` for each plus ``reconstruction_weight`` times the L1 reconstruction errors of
the round trips, ``|F(G(a)) - a| + |G(F(b)) - b|``. The step count is the trainer's, so the
algorithm keeps no state of its own: a resumed run takes its generator steps where the
uninterrupted one would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ganzoo_translation.cyclegan import UnpairedTranslation
from ganzoo_translation_zoo.common import fooled, judged


@dataclass
class DualGANParams:
    reconstruction_weight: float = 10.0  # lambda of the L1 reconstruction losses (PyTorch-GAN: 10; the paper 100-1000)
    d_steps: int = 5  # critic steps per generator step (n_critic; paper: 5)

    def __post_init__(self):
        if self.reconstruction_weight < 0:
            raise ValueError(f"reconstruction_weight must be at least 0, got {self.reconstruction_weight}")
        if self.d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {self.d_steps}")


class DualGAN(UnpairedTranslation):
    name = "dualgan"
    scalars = ("d_loss", "g_loss", "reconstruction", "d_b", "d_a")

    def __init__(self, params: Optional[DualGANParams] = None):
        super().__init__(params if params is not None else DualGANParams())

    def train_step(self, batch, step) -> None:
        G, F_ = step.models["generator"], step.models["generator_b2a"]
        D_b, D_a = step.models["discriminator"], step.models["discriminator_a"]
        loss = step.losses["loss"]
        a, b = batch.images, batch.targets

        with torch.no_grad():
            fake_b, fake_a = G(a), F_(b)
        d_b, d_a = judged(loss, step, ((D_b, b, fake_b), (D_a, a, fake_a)))
        if step.update(self.discriminators, d_b + d_a):
            step.log(d_loss=d_b + d_a, d_b=d_b, d_a=d_a)

        if (step.index + 1) % self.params.d_steps:
            return
        with step.frozen(*self.discriminators):
            fake_b, fake_a = G(a), F_(b)
            adversarial = fooled(loss, step, ((D_b, b, fake_b), (D_a, a, fake_a)))
            reconstruction = (F_(fake_b) - a).abs().mean() + (G(fake_a) - b).abs().mean()
            total = adversarial + self.params.reconstruction_weight * reconstruction
        if step.update(self.generators, total):
            step.log(g_loss=adversarial, reconstruction=reconstruction)
