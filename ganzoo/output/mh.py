"""Metropolis-Hastings sampling with a calibrated discriminator (MH-GAN, Turner et al. 2019):
``ganzoo sample RUN --mh K``.

A trained discriminator D estimates how likely an image is real; with it calibrated,
D/(1 - D) estimates p_data/p_G, and an independent Metropolis-Hastings chain whose proposals are
the generator's samples draws from p_data (as far as D is right) instead of p_G. Each sample
is the end of its own chain of K proposals x_1..x_K: the chain starts at x_1 and moves to x_k
with probability min(1, (1/D(x) - 1) / (1/D(x_k) - 1)).

Calibration is Platt scaling: D's probability is taken as sigmoid(a l + b) of its logit l, with a
and b fitted by logistic regression on D's logits of real images (the dataset's held-out part
when it has one, else its training images: the paper calibrates on held-out data, which ganzoo's
MNIST dataset does not keep) against as many of the generator's. With D = sigmoid(a l + b) the
acceptance ratio is exp(a (l_k - l)): b cancels, and a sets how sharply the chain prefers what
D rates as real.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch

from ganzoo.data import DataSpec, unit_range
from ganzoo.model_calls import discriminate, draw_latent, generate
from ganzoo.output.images import to_uint8


def fit_calibration(real_logits: torch.Tensor, fake_logits: torch.Tensor, steps: int = 100) -> Tuple[float, float]:
    """(a, b) of the logistic regression of real (1) against fake (0) on the logits, by Newton's method."""
    x = torch.cat([real_logits, fake_logits]).double()
    y = torch.cat([torch.ones(len(real_logits)), torch.zeros(len(fake_logits))]).double()
    features = torch.stack([x, torch.ones_like(x)], dim=1)
    w = torch.zeros(2, dtype=torch.float64)
    for _ in range(steps):
        p = torch.sigmoid(features @ w)
        gradient = features.t() @ (p - y)
        hessian = features.t() @ (features * (p * (1 - p))[:, None]) + 1e-6 * torch.eye(2, dtype=torch.float64)
        update = torch.linalg.solve(hessian, gradient)
        w -= update
        if update.abs().max() < 1e-10:
            break
    return float(w[0]), float(w[1])


def chain_ends(scores: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """The index of where each chain ends: ``scores`` (chains, K) calibrated logits a l of the
    proposals in order, ``uniforms`` (chains, K) in [0, 1); proposal k is accepted when
    u_k < exp(score_k - score of the current state)."""
    current = torch.zeros(scores.shape[0], dtype=torch.long)
    for k in range(1, scores.shape[1]):
        now = scores.gather(1, current[:, None])[:, 0]
        accept = uniforms[:, k] < torch.exp(scores[:, k] - now)
        current = torch.where(accept, torch.full_like(current, k), current)
    return current


@torch.no_grad()
def calibrate(generator, discriminator, spec: DataSpec, reals, real_labels, seed: int) -> Tuple[float, float]:
    """Platt scaling of ``discriminator`` on ``reals`` (uint8 or [-1, 1]) against as many fakes."""
    device = next(generator.parameters()).device
    rng = torch.Generator(device).manual_seed(seed + 1_000_003)  # not the sampling stream
    real_logits, fake_logits = [], []
    for start in range(0, len(reals), 500):
        images = unit_range(reals[start:start + 500]).to(device)
        labels = real_labels[start:start + 500].to(device) if spec.num_classes and real_labels is not None else None
        real_logits.append(discriminate(discriminator, images, labels).cpu())
        fake_logits.append(discriminate(discriminator, generate(generator, draw_latent(generator, len(images), rng),
                                                                labels), labels).cpu())
    return fit_calibration(torch.cat(real_logits), torch.cat(fake_logits))


@torch.no_grad()
def mh_images(generator, discriminator, spec: DataSpec, n: int, k: int, scale: float, seed: int = 0,
              label: Optional[int] = None, chains_per_batch: int = 50) -> torch.Tensor:
    """``n`` images, uint8 (N, C, H, W), each the end of a chain of ``k`` proposals judged by the
    calibrated logits ``scale * D(x)``. Chains of a conditional generator keep one label: ``label``,
    or one drawn per chain."""
    device = next(generator.parameters()).device
    rng = torch.Generator(device).manual_seed(seed)
    out = []
    for start in range(0, n, chains_per_batch):
        chains = min(chains_per_batch, n - start)
        labels = None
        if spec.num_classes:
            labels = (torch.full((chains,), label, device=device) if label is not None
                      else torch.randint(spec.num_classes, (chains,), generator=rng, device=device))
            labels = labels.repeat_interleave(k)
        images = generate(generator, draw_latent(generator, chains * k, rng), labels)
        scores = scale * discriminate(discriminator, images, labels).float().view(chains, k).cpu()
        uniforms = torch.rand(chains, k, generator=rng, device=device).cpu()
        ends = chain_ends(scores, uniforms)
        picked = images.view(chains, k, *images.shape[1:])[torch.arange(chains, device=device), ends.to(device)]
        out.append(to_uint8(picked.float()).cpu())
    return torch.cat(out)
