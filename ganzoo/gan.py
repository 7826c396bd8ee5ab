"""The default algorithm, ``gan``: alternating discriminator and generator updates.

Goodfellow et al. 2014, as every GAN since has trained it: the discriminator
learns to tell a real batch from a fresh fake one; every ``d_steps``
discriminator steps the generator learns to fool it, with the discriminator's
weights frozen. The adversarial loss (BCE, least squares, hinge, Wasserstein...)
is the recipe's ``loss`` component. Subclass it to change one part of the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ganzoo.algorithm import Algorithm, Batch, TrainStep
from ganzoo.errors import GanzooError
from ganzoo.losses import LossContext
from ganzoo.models import discriminate, generate


@dataclass
class GANParams:
    d_steps: int = 1  # discriminator steps per generator step (n_critic; 5 for WGAN)

    def __post_init__(self):
        if self.d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {self.d_steps}")


class GAN(Algorithm):
    roles = {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
    scalars = ("d_loss", "g_loss", "d_real", "d_fake")  # D(x) and D(G(z)): sigmoid of the logits, averaged

    def __init__(self, params: Optional[GANParams] = None):
        super().__init__(params if params is not None else GANParams())

    def setup(self, models, losses, data) -> None:
        latent = getattr(models["generator"], "latent_dim", None)
        if not isinstance(latent, int) or isinstance(latent, bool) or latent < 1:
            raise GanzooError("the generator has no positive integer latent_dim attribute, which the gan "
                              "algorithm draws its noise by; fix the generator plugin")

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
        real, labels = batch.images, batch.labels

        # Discriminator step: the real batch against a fresh fake batch.
        with torch.no_grad():
            fake = generate(G, step.latent(), labels)
        real_logits, fake_logits = discriminate(D, real, labels), discriminate(D, fake, labels)
        d_loss = loss.discriminator_loss(real_logits, fake_logits, LossContext(D, real, fake, labels, step.index))
        if step.update("discriminator", d_loss):
            step.log(d_loss=d_loss, d_real=torch.sigmoid(real_logits).mean(), d_fake=torch.sigmoid(fake_logits).mean())

        # Generator step, once every d_steps discriminator steps; D's weights get no gradients.
        if self.generator_steps_after(step.index):
            with step.frozen("discriminator"):
                z = step.latent()
                fake = generate(G, z, labels)
                context = LossContext(D, real, fake, labels, step.index, latent=z)
                g_loss = loss.generator_loss(discriminate(D, fake, labels), context)
            if step.update("generator", g_loss):
                step.log(g_loss=g_loss)

    def generator_steps_after(self, index: int) -> bool:
        """Whether the generator takes a step in training step ``index`` (0-based)."""
        return (index + 1) % self.params.d_steps == 0
