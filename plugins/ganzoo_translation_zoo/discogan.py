"""DiscoGAN (Kim, Cha, Kim, Lee and Kim, ICML 2017): discovering relations between two domains
from unpaired pictures.

The same two generators and two discriminators as CycleGAN (``generator`` A -> B,
``generator_b2a`` B -> A, ``discriminator`` judges B, ``discriminator_a`` judges A), learned
together at one weight: each generator fools its domain's discriminator and each picture comes
back from the round trip, ``reconstruction_weight * (d(F(G(a)), a) + d(G(F(b)), b))`` with the
paper's squared distance (``distance: mse``; ``l1`` as PyTorch-GAN's port). Unlike CycleGAN: no
factor of 10 on the reconstruction, no identity loss, no pool of past fakes (the discriminators
see the latest outputs), and the paper's encoder-decoder generators (the recipe uses the U-Net,
as PyTorch-GAN's port does). The algorithm keeps no state of its own: the models and optimisers
are the whole of a resumable run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch.nn.functional as F

from ganzoo_translation.cyclegan import UnpairedTranslation
from ganzoo_translation_zoo.common import fooled, judged

DISTANCES = {"mse": F.mse_loss, "l1": F.l1_loss}


@dataclass
class DiscoGANParams:
    reconstruction_weight: float = 1.0  # the paper adds the reconstruction and GAN losses at one weight
    distance: str = "mse"  # the reconstruction distance: mse (paper) | l1 (PyTorch-GAN's port)

    def __post_init__(self):
        if self.reconstruction_weight < 0:
            raise ValueError(f"reconstruction_weight must be at least 0, got {self.reconstruction_weight}")
        if self.distance not in DISTANCES:
            raise ValueError(f"distance must be one of {', '.join(DISTANCES)}, got '{self.distance}'")


class DiscoGAN(UnpairedTranslation):
    name = "discogan"
    scalars = ("d_loss", "g_loss", "reconstruction", "d_b", "d_a")

    def __init__(self, params: Optional[DiscoGANParams] = None):
        super().__init__(params if params is not None else DiscoGANParams())

    def train_step(self, batch, step) -> None:
        G, F_ = step.models["generator"], step.models["generator_b2a"]
        D_b, D_a = step.models["discriminator"], step.models["discriminator_a"]
        loss, distance = step.losses["loss"], DISTANCES[self.params.distance]
        a, b = batch.images, batch.targets

        with step.frozen(*self.discriminators):
            fake_b, fake_a = G(a), F_(b)
            adversarial = fooled(loss, step, ((D_b, b, fake_b), (D_a, a, fake_a)))
            reconstruction = distance(F_(fake_b), a) + distance(G(fake_a), b)
            total = adversarial + self.params.reconstruction_weight * reconstruction
        if step.update(self.generators, total):
            step.log(g_loss=adversarial, reconstruction=reconstruction)

        fake_b, fake_a = fake_b.detach(), fake_a.detach()
        d_b, d_a = judged(loss, step, ((D_b, b, fake_b), (D_a, a, fake_a)))
        if step.update(self.discriminators, d_b + d_a):
            step.log(d_loss=d_b + d_a, d_b=d_b, d_a=d_a)
