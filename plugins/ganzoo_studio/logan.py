"""LOGAN: latent optimisation (Wu et al. 2019). Before each use of a latent batch, in the
discriminator's update and in the generator's, every z takes one natural-gradient step towards
what the discriminator rates more real:

    g = d D(G(z)) / dz,    z' = z + alpha * g / (beta + ||g||^2)    (per latent; alpha 0.9, beta 5)

and G(z') is what both updates see. The gradient reaches z only; neither network's weights are
changed by the step (G learns through G(z') as usual). It is the ``gan`` algorithm otherwise
(``d_steps``, top-k...): any generator, discriminator and loss of it compose with it.

    algorithm: {name: logan, params: {alpha: 0.9, beta: 5.0}}

The paper also lets G's update reach through the latent step (second-order terms); here z' is
taken as a constant, its first-order form. No state of its own.
"""

from dataclasses import dataclass
from typing import Callable

import torch

from ganzoo import GAN, GANParams, discriminate, generate


@dataclass
class LOGANParams(GANParams):
    alpha: float = 0.9  # the natural-gradient step's size
    beta: float = 5.0  # its damping: steps for small gradients are shrunk

    def __post_init__(self):
        super().__post_init__()
        if not self.alpha > 0:
            raise ValueError(f"alpha must be greater than 0, got {self.alpha}")
        if not self.beta > 0:
            raise ValueError(f"beta must be greater than 0, got {self.beta}")


def natural_gradient_step(z: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor], alpha: float,
                          beta: float) -> torch.Tensor:
    """z + alpha g / (beta + ||g||^2) for each row, g the gradient of ``score`` (one value per row)
    with respect to that row; detached."""
    with torch.enable_grad():
        leaf = z.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(score(leaf).sum(), leaf)
    norm = g.flatten(1).pow(2).sum(1).view(-1, *([1] * (z.dim() - 1)))
    return (z.detach() + alpha * g / (beta + norm)).detach()


class _OptimisedLatents:
    """The trainer's step, whose ``latent()`` hands out latents after LOGAN's step."""

    def __init__(self, step, labels, alpha: float, beta: float):
        self._step, self._labels, self._alpha, self._beta = step, labels, alpha, beta

    def latent(self, role: str = "generator") -> torch.Tensor:
        G, D = self._step.models[role], self._step.models["discriminator"]
        return natural_gradient_step(self._step.latent(role),
                                     lambda z: discriminate(D, generate(G, z, self._labels), self._labels),
                                     self._alpha, self._beta)

    def __getattr__(self, name):
        return getattr(self._step, name)


class LOGAN(GAN):
    def __init__(self, params: LOGANParams = None):
        super().__init__(params if params is not None else LOGANParams())

    def train_step(self, batch, step) -> None:
        super().train_step(batch, _OptimisedLatents(step, batch.labels, self.params.alpha, self.params.beta))
