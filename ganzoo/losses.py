"""The adversarial loss interface.

The trainer computes the discriminator's logits on the real and fake batches and
hands them to the loss, together with a ``LossContext`` that holds the
discriminator and the batches themselves. That is enough for every loss in
common use: BCE, least-squares, hinge and Wasserstein read the logits; gradient
penalties (WGAN-GP, R1) call ``ctx.discriminator`` on interpolates or on real
images; conditional losses read ``ctx.labels``. How many discriminator steps run
per generator step is the recipe's ``train.d_steps``, not the loss's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch


@dataclass
class LossContext:
    discriminator: Callable[..., torch.Tensor]
    real: torch.Tensor
    fake: torch.Tensor
    labels: Optional[torch.Tensor] = None
    step: int = 0

    def discriminate(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of the discriminator on ``images`` (labels passed when it is conditional)."""
        return discriminate(self.discriminator, images, self.labels)


def is_conditional(module) -> bool:
    """Whether a model (or the model inside a DistributedDataParallel wrapper) takes labels."""
    if isinstance(module, torch.nn.parallel.DistributedDataParallel):
        module = module.module
    return bool(getattr(module, "conditional", False))


def discriminate(discriminator, images: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
    """One logit per image, shape (N,); labels are passed to a conditional discriminator."""
    out = discriminator(images, labels) if is_conditional(discriminator) else discriminator(images)
    return out.reshape(-1)


class AdversarialLoss:
    """Base class for losses; subclasses implement both methods."""

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor,
                           ctx: LossContext) -> torch.Tensor:
        raise NotImplementedError

    def generator_loss(self, fake_logits: torch.Tensor, ctx: LossContext) -> torch.Tensor:
        raise NotImplementedError
