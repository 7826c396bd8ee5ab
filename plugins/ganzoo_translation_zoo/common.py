"""What the zoo's two-domain algorithms share beyond the translation plugin's base class."""

from __future__ import annotations

import torch

import ganzoo
from ganzoo_translation.cyclegan import logits


def patch_context(discriminator, real: torch.Tensor, fake: torch.Tensor, step) -> ganzoo.LossContext:
    """The loss context of a patch discriminator: losses that query it again (WGAN-GP's gradient
    penalty, R1, DRAGAN) see one logit per picture, the mean of its patches, which is what the
    losses on ``logits`` average."""
    def per_picture(pictures: torch.Tensor) -> torch.Tensor:
        return discriminator(pictures).flatten(1).float().mean(1)

    return ganzoo.LossContext(per_picture, real, fake, None, step.index)


def fooled(loss, step, domains) -> torch.Tensor:
    """The generators' adversarial loss, summed over ``domains``: (discriminator, its domain's real
    pictures, the translations into that domain) per domain."""
    return sum(loss.generator_loss(logits(D, fake), patch_context(D, real, fake, step)) for D, real, fake in domains)


def judged(loss, step, domains) -> list[torch.Tensor]:
    """Each discriminator's loss on its domain's real pictures against the (detached) translations."""
    return [loss.discriminator_loss(logits(D, real), logits(D, fake), patch_context(D, real, fake, step))
            for D, real, fake in domains]
