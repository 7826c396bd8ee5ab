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

import functools
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

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

    # Optional. The trainer's fused steps (ganzoo.fused_step) differentiate the loss by the
    # logits; a loss that knows those gradients in closed form saves them a pass through
    # autograd. ``ganzoo.testing.check_loss`` checks them against autograd. They are used only
    # where the class defining them also defines (or inherits from the definer of) the loss
    # method: see ``closed_form_covers``.
    def discriminator_logit_gradients(self, real_logits: torch.Tensor, fake_logits: torch.Tensor,
                                      ctx: LossContext) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        """d discriminator_loss / d real_logits and / d fake_logits, computed without autograd;
        None when the loss needs autograd for them (e.g. it has a penalty), as by default."""
        return None

    def generator_logit_gradients(self, fake_logits: torch.Tensor, ctx: LossContext) -> Optional[torch.Tensor]:
        """d generator_loss / d fake_logits, computed without autograd; None (the default) for autograd."""
        return None


def closed_form_covers(loss, loss_method: str, gradients_method: str) -> bool:
    """Whether ``loss``'s ``gradients_method`` (e.g. ``discriminator_logit_gradients``) belongs to its
    ``loss_method``: defined by the class that defines the loss method, or by a subclass of it. A
    subclass that changes the loss but not the gradients must not get its parent's gradients."""
    cls = type(loss)
    return _covers(cls, loss_method, gradients_method)


@functools.lru_cache(maxsize=None)
def _covers(cls: type, loss_method: str, gradients_method: str) -> bool:
    def owner(name):
        return next((klass for klass in cls.__mro__ if name in vars(klass)), None)

    loss_owner, gradients_owner = owner(loss_method), owner(gradients_method)
    return gradients_owner is not None and loss_owner is not None and issubclass(gradients_owner, loss_owner)


def gradient_penalty(ctx: LossContext) -> torch.Tensor:
    """WGAN-GP's penalty: mean of (||grad_x D(x)|| - 1)^2 on random interpolates of real and fake.

    Zero for a discriminator that is 1-Lipschitz with unit gradient norm everywhere.
    Each pair (real[i], fake[i]) is mixed with its own uniform weight.
    """
    real, fake = ctx.real.detach(), ctx.fake.detach()
    weight = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    mixed = (weight * real + (1.0 - weight) * fake).requires_grad_(True)
    grad = _input_gradient(ctx, mixed)
    norm = grad.flatten(1).pow(2).sum(1).add(1e-12).sqrt()  # the epsilon keeps the gradient finite at 0
    return (norm - 1.0).pow(2).mean()


def r1_penalty(ctx: LossContext) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): mean of ||grad_x D(x)||^2 on the real batch.

    A loss adds ``gamma / 2 * r1_penalty(ctx)`` to the discriminator's loss.
    """
    real = ctx.real.detach().requires_grad_(True)
    return _input_gradient(ctx, real).flatten(1).pow(2).sum(1).mean()


def _input_gradient(ctx: LossContext, images: torch.Tensor) -> torch.Tensor:
    logits = ctx.discriminate(images)
    (grad,) = torch.autograd.grad(logits.sum(), images, create_graph=True)
    return grad
