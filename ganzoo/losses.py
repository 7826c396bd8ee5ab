"""The adversarial loss interface.

The training algorithm (``ganzoo.GAN`` by default) computes the discriminator's
logits on the real and fake batches and hands them to the loss, together with a ``LossContext`` that holds the
discriminator and the batches themselves. That is enough for every loss in
common use: BCE, least-squares, hinge and Wasserstein read the logits; gradient
penalties (WGAN-GP, R1) call ``ctx.discriminator`` on interpolates or on real
images; conditional losses read ``ctx.labels``. How many discriminator steps run
per generator step is the algorithm's business (``algorithm.params.d_steps``), not the loss's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

import torch

from ganzoo.errors import ContractViolation
from ganzoo.model_calls import discriminate


@dataclass
class LossContext:
    discriminator: Callable[..., torch.Tensor]
    real: torch.Tensor
    fake: torch.Tensor
    labels: Optional[torch.Tensor] = None
    step: int = 0
    latent: Optional[torch.Tensor] = None  # the generator's input for ``fake``, where the algorithm gives it
    real_extras: Dict[str, torch.Tensor] = field(default_factory=dict)  # D's extra outputs on ``real``
    fake_extras: Dict[str, torch.Tensor] = field(default_factory=dict)  # and on ``fake`` (e.g. class logits)

    def discriminate(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of the discriminator on ``images`` (labels passed when it is conditional)."""
        return discriminate(self.discriminator, images, self.labels)


def scalar(value, loss, method: str) -> torch.Tensor:
    """``value``, returned by ``loss.<method>``, if it is the scalar tensor losses return."""
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        what = f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__
        raise ContractViolation(f"{method} returned {what}; it must return a scalar tensor (e.g. .mean())", loss)
    return value


class AdversarialLoss:
    """Base class for losses; subclasses implement both methods."""

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor,
                           ctx: LossContext) -> torch.Tensor:
        raise NotImplementedError

    def generator_loss(self, fake_logits: torch.Tensor, ctx: LossContext) -> torch.Tensor:
        raise NotImplementedError

    # Optional, for speed. ganzoo.fast's fused step (MLP models on the CPU) differentiates the loss by the
    # logits alone; it asks these first and runs autograd on the two methods above when they return None.
    def discriminator_logit_gradients(self, real_logits: torch.Tensor, fake_logits: torch.Tensor,
                                      ctx: LossContext) -> Optional[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """``(loss, d loss / d real_logits, d loss / d fake_logits)``: ``discriminator_loss``'s value and the
        gradients autograd would take of it, computed without a graph; or None (the default), and autograd
        differentiates ``discriminator_loss``. Only for a loss that depends on the logits alone under these
        settings (return None where a penalty calls the discriminator). ``ganzoo.testing.check_loss`` compares
        them with autograd's."""
        return None

    def generator_logit_gradient(self, fake_logits: torch.Tensor,
                                 ctx: LossContext) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        """``(loss, d loss / d fake_logits)``: ``generator_loss``'s value and its gradient by the logits, as
        ``discriminator_logit_gradients`` gives the discriminator's; or None (the default: autograd)."""
        return None


def mean_gradient(values: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """The gradient autograd hands to ``values`` from ``scale * values.mean()``: ``scale`` spread over the
    elements the way its mean's backward spreads it (divided by their number, in ``values``' dtype), so a
    closed-form gradient built on it equals autograd's to the bit."""
    return values.new_full((), scale).expand(values.shape).div(values.numel())


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
