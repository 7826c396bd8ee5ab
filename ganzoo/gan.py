"""The default algorithm, ``gan``: alternating discriminator and generator updates.

Goodfellow et al. 2014, as every GAN since has trained it: the discriminator
learns to tell a real batch from a fresh fake one; every ``d_steps``
discriminator steps the generator learns to fool it, with the discriminator's
weights frozen. The adversarial loss (BCE, least squares, hinge, Wasserstein...)
is the recipe's ``loss`` component.

Subclass it to add to the step: ``discriminator_terms`` and ``generator_terms``
add loss terms (an auxiliary classifier, mutual information) computed from the
same forward passes, which the ``LossContext`` holds: the latent, and the
discriminator's extra outputs (``real_extras``, ``fake_extras``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ganzoo.algorithm import Algorithm, Batch, TrainStep
from ganzoo.failures import ContractViolation
from ganzoo.losses import LossContext, scalar
from ganzoo.models import discriminator_outputs, draw_latent, eval_mode, generate


@dataclass
class GANParams:
    d_steps: int = 1  # discriminator steps per generator step (n_critic; 5 for WGAN)

    def __post_init__(self):
        if self.d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {self.d_steps}")


class GAN(Algorithm):
    roles = {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
    scalars = ("d_loss", "g_loss", "d_real", "d_fake")  # D(x) and D(G(z)): sigmoid of the logits, averaged
    generator_roles = ("generator",)  # the roles the generator's update steps

    def __init__(self, params: Optional[GANParams] = None):
        super().__init__(params if params is not None else GANParams())

    def setup(self, models, losses, data) -> None:
        """Check the models against the data once, on two samples, before any step."""
        G, D = models["generator"], models["discriminator"]
        latent = getattr(G, "latent_dim", None)
        if not isinstance(latent, int) or isinstance(latent, bool) or latent < 1:
            raise ContractViolation("has no positive integer latent_dim attribute, which the gan algorithm "
                                    "draws its noise by", G)
        device = next(G.parameters()).device
        labels = torch.zeros(2, dtype=torch.long, device=device) if data.num_classes else None
        with eval_mode(G, D):
            with torch.no_grad():
                images = generate(G, draw_latent(G, 2, torch.Generator(device).manual_seed(0)), labels)
                if tuple(images.shape[1:]) != tuple(data.image_shape):
                    raise ContractViolation(f"makes samples of shape {tuple(images.shape[1:])}, but the data's are "
                                            f"{tuple(data.image_shape)}", G)
                _, extras = discriminator_outputs(D, images, labels)
            self.check_extras(extras, models, data)

    def check_extras(self, extras, models, data) -> None:
        """Called by ``setup`` with the discriminator's extra outputs on two fake images (a dict,
        empty for a discriminator that returns logits alone): a subclass that reads extras checks
        here that they are there, raising ``ganzoo.ContractViolation(message, component)``."""

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        self.discriminator_step(batch, step)
        if self.generator_steps_after(step.index):
            self.generator_step(batch, step)

    def discriminator_step(self, batch: Batch, step: TrainStep) -> None:
        """The real batch against a fresh fake batch."""
        G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
        real, labels = batch.images, batch.labels
        with torch.no_grad():
            z = step.latent()
            fake = generate(G, z, labels)
        (real_logits, real_extras), (fake_logits, fake_extras) = (discriminator_outputs(D, real, labels),
                                                                  discriminator_outputs(D, fake, labels))
        ctx = LossContext(D, real, fake, labels, step.index, z, real_extras, fake_extras)
        d_loss = scalar(loss.discriminator_loss(real_logits, fake_logits, ctx), loss, "discriminator_loss")
        extra = self.discriminator_terms(ctx, step)
        if step.update("discriminator", d_loss if extra is None else d_loss + extra):
            step.log(d_loss=d_loss, d_real=torch.sigmoid(real_logits).mean(), d_fake=torch.sigmoid(fake_logits).mean())

    def generator_step(self, batch: Batch, step: TrainStep) -> None:
        """A fresh fake batch, judged by the discriminator, whose weights get no gradients."""
        G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
        real, labels = batch.images, batch.labels
        with step.frozen("discriminator"):
            z = step.latent()
            fake = generate(G, z, labels)
            fake_logits, fake_extras = discriminator_outputs(D, fake, labels)
            ctx = LossContext(D, real, fake, labels, step.index, z, fake_extras=fake_extras)
            g_loss = scalar(loss.generator_loss(fake_logits, ctx), loss, "generator_loss")
            extra = self.generator_terms(ctx, step)
        if step.update(self.generator_roles, g_loss if extra is None else g_loss + extra):
            step.log(g_loss=g_loss)

    def discriminator_terms(self, ctx: LossContext, step: TrainStep) -> Optional[torch.Tensor]:
        """Loss terms added to the discriminator's (None: none). ``ctx`` holds this step's batches,
        latent and the discriminator's extra outputs; log them with ``step.log``."""
        return None

    def generator_terms(self, ctx: LossContext, step: TrainStep) -> Optional[torch.Tensor]:
        """Loss terms added to the generator's (None: none)."""
        return None

    def generator_steps_after(self, index: int) -> bool:
        """Whether the generator takes a step in training step ``index`` (0-based)."""
        return (index + 1) % self.params.d_steps == 0
