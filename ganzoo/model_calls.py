"""Calling models the way training does: labels for conditional models, logits as (N,) float32."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Iterable, Iterator, Optional, Tuple

import torch

from ganzoo.errors import ContractViolation


def is_conditional(module) -> bool:
    """Whether a model (or the model inside a DistributedDataParallel wrapper) takes labels."""
    if isinstance(module, torch.nn.parallel.DistributedDataParallel):
        module = module.module
    return bool(getattr(module, "conditional", False))


def discriminate(discriminator, images: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
    """One logit per image, shape (N,), in float32 (losses are taken in float32, also under bf16
    autocast); labels are passed to a conditional discriminator."""
    return discriminator_outputs(discriminator, images, labels)[0]


def discriminator_outputs(discriminator, images: torch.Tensor,
                          labels: Optional[torch.Tensor]) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """The adversarial logits, (N,) float32, and the discriminator's extra outputs by name.

    A discriminator returns its logits, ``(N,)`` or ``(N, 1)``, or a dict holding them under
    ``"logits"`` beside extra outputs (class logits for ACGAN, code logits for InfoGAN, features),
    which algorithms and losses read (``LossContext.real_extras``).
    """
    out = discriminator(images, labels) if is_conditional(discriminator) else discriminator(images)
    extras: Dict[str, torch.Tensor] = {}
    if isinstance(out, dict):
        if "logits" not in out:
            raise ContractViolation(f"returned a dict without 'logits' (keys: {', '.join(map(str, out)) or 'none'}); "
                                    "put the adversarial logits under 'logits'", discriminator)
        extras = {key: value for key, value in out.items() if key != "logits"}
        out = out["logits"]
    n = images.shape[0]
    if not isinstance(out, torch.Tensor):
        raise ContractViolation(f"returned {type(out).__name__} where a tensor of logits belongs; return one logit per "
                                f"image, shape ({n},) or ({n}, 1), or a dict with them under 'logits'", discriminator)
    if out.shape not in ((n,), (n, 1)):
        raise ContractViolation(f"returned logits of shape {tuple(out.shape)} for {n} images; it must return one "
                                f"logit per image, ({n},) or ({n}, 1) (extra outputs go in a dict beside "
                                "'logits')", discriminator)
    return out.reshape(-1).float(), extras


def generate(generator, z: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
    """The generator's images for latent ``z``; labels are passed to a conditional generator."""
    out = generator(z, labels) if is_conditional(generator) else generator(z)
    if not isinstance(out, torch.Tensor) or out.shape[:1] != z.shape[:1]:
        what = f"shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else type(out).__name__
        raise ContractViolation(f"returned {what} for a latent batch of {z.shape[0]}; a generator returns a tensor "
                                "of images, one per latent", generator)
    return out


@contextmanager
def eval_mode(*models) -> Iterator[None]:
    """``with ganzoo.eval_mode(G, D):`` the models in eval mode (dropout off, batch norm on its running
    statistics), each put back in the mode it had afterwards, also when the block raises: for an
    algorithm's ``setup`` that tries its models on a sample. Gradients are the caller's business
    (``torch.no_grad()``)."""
    modes = [model.training for model in models]
    for model in models:
        model.eval()
    try:
        yield
    finally:
        for model, mode in zip(models, modes):
            model.train(mode)


def set_requires_grad(params: Iterable[torch.nn.Parameter], flag: bool) -> None:
    """``module.requires_grad_(flag)`` on a list of the module's parameters, without walking its
    submodules: cheap enough for every training step."""
    for param in params:
        param.requires_grad_(flag)


def draw_latent(generator, n: int, rng: torch.Generator, code: Optional[int] = None) -> torch.Tensor:
    """``n`` latents for ``generator``: its own ``sample_latent(n, rng)`` when it has one (noise plus
    codes, say), else standard normal noise of its ``latent_dim``; on ``rng``'s device.

    ``code`` fixes the categorical code of a generator that has one (``code_categories``; see
    ``code_categories``) to that value in every row: ``sample_latent(n, rng, code=code)``.
    """
    sample_latent = getattr(generator, "sample_latent", None)
    if code is not None:
        if sample_latent is None or not code_categories(generator):
            raise ContractViolation("has no categorical code to fix (no code_categories and sample_latent)",
                                    generator)
        return sample_latent(n, rng, code=code)
    if sample_latent is not None:
        return sample_latent(n, rng)
    return torch.randn(n, generator.latent_dim, device=rng.device, generator=rng)


def code_categories(generator) -> int:
    """How many values the generator's categorical latent code takes (InfoGAN's c), 0 when it has none.

    A generator with a code says so with an integer attribute ``code_categories`` (K >= 2) and a
    ``sample_latent(n, rng, code=None)`` that fixes the code to ``code`` when given; the code sits
    in the last columns of its latent, one-hot, followed by its ``continuous_codes`` (C >= 0) columns:
    ``z = [noise, one_hot(c, K), continuous (C)]``.
    """
    if isinstance(generator, torch.nn.parallel.DistributedDataParallel):
        generator = generator.module
    count = getattr(generator, "code_categories", 0)
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0
