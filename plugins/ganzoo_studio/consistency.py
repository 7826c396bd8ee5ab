"""Consistency regularisation around any loss: CR (Zhang et al. 2020) and balanced CR, bCR
(Zhao et al. 2021). The discriminator should give an image and a semantics-preserving
augmentation of it, T(x), the same output:

    D's loss += real_weight * E[(D(x) - D(T(x)))^2] + fake_weight * E[(D(G(z)) - D(T(G(z))))^2]

CR is ``fake_weight: 0`` (reals only); bCR weighs both (the papers: 10 and 10). T shifts each
image by up to ``shift`` pixels in each direction (zero fill), the papers' translation; their
horizontal flip is left out, as it does not keep a digit a digit. G's loss is the wrapped one's.
No state of its own: T draws from torch's generator, which checkpoints keep.

    loss:
      name: consistency
      params: {real_weight: 10.0, fake_weight: 10.0, loss: {name: hinge}}
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss, ComponentSpec, build_component, component_field


@dataclass
class ConsistencyParams:
    loss: ComponentSpec = component_field("loss", default="hinge")  # the loss it regularises
    real_weight: float = 10.0  # lambda_real (CR's lambda)
    fake_weight: float = 10.0  # lambda_fake: 0 for CR, > 0 for bCR
    shift: int = 2  # T's largest translation, in pixels

    def __post_init__(self):
        for name in ("real_weight", "fake_weight", "shift"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be at least 0, got {getattr(self, name)}")


def translate(images: torch.Tensor, shift: int) -> torch.Tensor:
    """Each image moved by its own (dy, dx) in [-shift, shift]^2, the uncovered border zero."""
    if shift == 0:
        return images
    n, _, h, w = images.shape
    padded = F.pad(images, [shift] * 4)
    dy = torch.randint(0, 2 * shift + 1, (n,), device=images.device)
    dx = torch.randint(0, 2 * shift + 1, (n,), device=images.device)
    rows = (dy[:, None] + torch.arange(h, device=images.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=images.device))[:, None, None, :]
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channels = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, channels, rows, cols]


class Consistency(AdversarialLoss):
    def __init__(self, inner: AdversarialLoss, params: ConsistencyParams):
        self.inner, self.params = inner, params

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        p = self.params
        loss = self.inner.discriminator_loss(real_logits, fake_logits, ctx)
        if p.real_weight > 0:
            loss = loss + p.real_weight * (real_logits - ctx.discriminate(translate(ctx.real, p.shift))).pow(2).mean()
        if p.fake_weight > 0:
            fake = ctx.fake.detach()
            loss = loss + p.fake_weight * (fake_logits - ctx.discriminate(translate(fake, p.shift))).pow(2).mean()
        return loss

    def generator_loss(self, fake_logits, ctx):
        return self.inner.generator_loss(fake_logits, ctx)


def make_consistency(params: ConsistencyParams) -> Consistency:
    return Consistency(build_component(params.loss), params)
