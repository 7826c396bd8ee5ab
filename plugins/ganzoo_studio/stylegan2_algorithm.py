"""StyleGAN2's regularisers as an algorithm (Karras et al. 2020): ``gan`` with lazy R1 on the
discriminator and lazy path-length regularisation of the generator.

Lazy regularisation: a regulariser runs only every k-th training step, its term multiplied by k,
so its strength is that of running it every step at a fraction of the cost:

- R1 (Mescheder et al. 2018) every ``r1_every`` steps (16): D's loss += ``r1_gamma`` / 2 *
  E||grad_x D(x)||^2 * r1_every, on the real batch (through whatever the discriminator is: a
  ``diffaugment`` wrapper's augmentations included, as StyleGAN2-ADA);
- path length every ``pl_every`` steps (4), on ``1 / pl_batch_shrink`` of a fresh latent batch:
  with y a random image of unit-variance pixels / sqrt(H W), a = ||d (G(w) . y) / d w|| (the
  gradient over all of w's copies, its squares summed per copy and averaged over copies), G's
  loss += ``pl_weight`` * (a - mean_a)^2 * pl_every, where mean_a moves towards each batch's
  mean of a by ``pl_decay`` (0.01): the running mean, state of the algorithm, saved in
  checkpoints and restored on resume (in a data-parallel run, the mean over all processes' batches).

The regularised terms are added to the step's own loss rather than taken as separate optimiser
steps, and the paper's Adam adjustment for lazy steps is left out. Any generator and
discriminator and any loss of ``gan`` compose with it (the logistic loss of the paper is ``bce``);
the path-length term needs a generator with ``mapping(z)`` and ``synthesis(ws)`` (the
``stylegan2`` one); with another, set ``pl_weight: 0``.

    algorithm: {name: stylegan2, params: {r1_gamma: 0.05, pl_weight: 2.0}}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch

from ganzoo import GAN, ContractViolation, GANParams, r1_penalty, whole_batch


@dataclass
class StyleGAN2Params(GANParams):
    r1_gamma: float = 0.05  # R1's gamma (the paper's 0.01 to 10 by data: small for 32x32 digits)
    r1_every: int = 16  # k of lazy R1: run every k-th step, times k
    pl_weight: float = 2.0  # path-length weight (the paper's 2); 0 switches it off
    pl_every: int = 4  # k of lazy path-length regularisation
    pl_decay: float = 0.01  # how far mean_a moves towards each batch's mean
    pl_batch_shrink: int = 2  # the regularised batch is this many times smaller than the training batch

    def __post_init__(self):
        super().__post_init__()
        for name in ("r1_gamma", "pl_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be at least 0, got {getattr(self, name)}")
        for name in ("r1_every", "pl_every", "pl_batch_shrink"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 < self.pl_decay <= 1.0:
            raise ValueError(f"pl_decay must be in (0, 1], got {self.pl_decay}")


def path_lengths(ws: torch.Tensor, images: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """a per image: sqrt of the mean over w's copies of the squared gradient of sum(images * noise)
    / sqrt(H W) with respect to that copy (``ws`` (N, copies, dim) must require grad)."""
    scale = 1 / math.sqrt(images.shape[2] * images.shape[3])
    (grad,) = torch.autograd.grad((images * noise * scale).sum(), ws, create_graph=True)
    return grad.square().sum(dim=2).mean(dim=1).sqrt()


class StyleGAN2(GAN):
    scalars = (*GAN.scalars, "r1", "path_length", "pl_mean")

    def __init__(self, params: Optional[StyleGAN2Params] = None):
        super().__init__(params if params is not None else StyleGAN2Params())
        self.pl_mean = torch.zeros(())

    def setup(self, models, losses, data) -> None:
        super().setup(models, losses, data)
        G = models["generator"]
        if self.params.pl_weight > 0 and not all(callable(getattr(G, name, None)) for name in ("mapping", "synthesis")):
            raise ContractViolation("has no mapping(z) and synthesis(ws), which path-length regularisation needs",
                                    G, remedy="use generator.name=stylegan2, or algorithm.params.pl_weight=0")

    def discriminator_terms(self, ctx, step) -> Optional[torch.Tensor]:
        p = self.params
        if p.r1_gamma == 0 or step.index % p.r1_every:
            return None
        penalty = r1_penalty(ctx)
        step.log(r1=penalty)
        return 0.5 * p.r1_gamma * p.r1_every * penalty

    def generator_terms(self, ctx, step) -> Optional[torch.Tensor]:
        p = self.params
        if p.pl_weight == 0 or step.index % p.pl_every:
            return None
        G = step.models["generator"]
        z = step.latent()
        z = z[:max(1, z.shape[0] // p.pl_batch_shrink)]
        ws = G.mapping(z)
        images = G.synthesis(ws)
        lengths = path_lengths(ws, images, torch.randn_like(images))
        self.pl_mean = self.pl_mean.to(lengths.device)
        self.pl_mean = self.pl_mean.lerp(whole_batch(lengths.detach()).mean(), p.pl_decay)  # every process's
        step.log(path_length=lengths.mean())
        step.log_latest(pl_mean=self.pl_mean)
        return p.pl_weight * p.pl_every * (lengths - self.pl_mean).square().mean()

    def state_dict(self) -> dict:
        return {**super().state_dict(), "pl_mean": self.pl_mean.detach().cpu()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if "pl_mean" in state:
            self.pl_mean = state["pl_mean"].clone()
