"""Calling models the way training does: labels for conditional models, logits as (N,) float32."""

from __future__ import annotations

from typing import Iterable, Optional

import torch


def is_conditional(module) -> bool:
    """Whether a model (or the model inside a DistributedDataParallel wrapper) takes labels."""
    if isinstance(module, torch.nn.parallel.DistributedDataParallel):
        module = module.module
    return bool(getattr(module, "conditional", False))


def discriminate(discriminator, images: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
    """One logit per image, shape (N,), in float32 (losses are taken in float32, also under bf16
    autocast); labels are passed to a conditional discriminator."""
    out = discriminator(images, labels) if is_conditional(discriminator) else discriminator(images)
    return out.reshape(-1).float()


def generate(generator, z: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
    """The generator's images for latent ``z``; labels are passed to a conditional generator."""
    return generator(z, labels) if is_conditional(generator) else generator(z)


def set_requires_grad(params: Iterable[torch.nn.Parameter], flag: bool) -> None:
    """``module.requires_grad_(flag)`` on a list of the module's parameters, without walking its
    submodules: cheap enough for every training step."""
    for param in params:
        param.requires_grad_(flag)


def draw_latent(generator, n: int, rng: torch.Generator) -> torch.Tensor:
    """``n`` latents for ``generator``: its own ``sample_latent(n, rng)`` when it has one (noise plus
    codes, say), else standard normal noise of its ``latent_dim``; on ``rng``'s device."""
    sample_latent = getattr(generator, "sample_latent", None)
    if sample_latent is not None:
        return sample_latent(n, rng)
    return torch.randn(n, generator.latent_dim, device=rng.device, generator=rng)
