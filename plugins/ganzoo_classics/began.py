"""BEGAN: Boundary Equilibrium GAN (Berthelot, Schumm and Metz 2017).

The discriminator is an autoencoder (``discriminator.name=autoencoder``, L1 energy): L(v) is how
badly it reconstructs v. It learns to reconstruct real pictures and not fakes, the generator to
make pictures it reconstructs well:

    L_D = L(x) - k_t L(G(z_D))        L_G = L(G(z_G))
    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)

k_t, the weight of the fakes in D's loss, is a proportional controller that holds the balance
E[L(G(z))] = gamma E[L(x)]; gamma (the diversity ratio) trades quality (low) for variety (high).
The convergence measure M = L(x) + |gamma L(x) - L(G(z))| falls as training converges.

The paper updates D and G at once from losses of the same D_t, so k_t's step compares L(x) and
L(G(z)) measured by one discriminator. Here D steps first; the balance reads L(x) and L(G(z_D)) of
D's update (both D_t's, detached), not L_G, which D_{t+1} measures after D's step has pushed the
fakes' energy up by k_t (a small bias of k_t's every step downwards).

k_t is the algorithm's state: in every checkpoint, so a run resumed after kill -9 goes on with the
k_t it had; computed from whole-batch means, so ``--nproc N`` keeps the same k_t in every process
as one process does. ``metrics.jsonl`` logs ``k`` at its value at the log step (not a mean over
the window) and ``convergence`` (M, averaged over the window like the losses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ganzoo import Algorithm, Batch, TrainStep, whole_batch
from ganzoo_classics.autoencoder import check_energy, energy
from ganzoo_classics.common import device_of


@dataclass
class BEGANParams:
    gamma: float = 0.5  # diversity ratio E[L(G(z))] / E[L(x)] the balance holds (paper: 0.3 to 0.7)
    lambda_k: float = 0.001  # k_t's learning rate (paper: 0.001)
    k_initial: float = 0.0  # k_0 (paper: 0)

    def __post_init__(self):
        if not 0 < self.gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1], got {self.gamma}")
        if not self.lambda_k >= 0:
            raise ValueError(f"lambda_k must be at least 0, got {self.lambda_k}")
        if not 0 <= self.k_initial <= 1:
            raise ValueError(f"k_initial must be in [0, 1], got {self.k_initial}")


class BEGAN(Algorithm):
    roles = {"generator": "generator", "discriminator": "discriminator"}
    # d_loss, g_loss: L_D and L_G; d_real, d_fake: the energies L(x) and L(G(z_D)) of D's update;
    # k: k_t after the step; convergence: M (from d_real and d_fake)
    scalars = ("d_loss", "g_loss", "d_real", "d_fake", "k", "convergence")

    def __init__(self, params: Optional[BEGANParams] = None):
        super().__init__(params if params is not None else BEGANParams())
        self.k = torch.tensor(float(self.params.k_initial))

    def setup(self, models, losses, data) -> None:
        self.k = self.k.to(device_of(models["discriminator"]))
        check_energy(models["discriminator"], data.image_shape)

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        G, D = step.models["generator"], step.models["discriminator"]
        real = batch.images
        p = self.params

        with torch.no_grad():
            fake = G(step.latent())
        real_energies, fake_energies = energy(D, real)["energy"], energy(D, fake)["energy"]
        real_energy, fake_energy = real_energies.mean(), fake_energies.mean()
        d_loss = real_energy - self.k * fake_energy
        d_applied = step.update("discriminator", d_loss)
        if d_applied:
            step.log(d_loss=d_loss, d_real=real_energy, d_fake=fake_energy)

        with step.frozen("discriminator"):
            g_loss = energy(D, G(step.latent()))["energy"].mean()
        if step.update("generator", g_loss):
            step.log(g_loss=g_loss)
            if d_applied:  # the controller moves on the losses of applied updates only
                self.balance(real_energies, fake_energies, step)

    def balance(self, real_energies: torch.Tensor, fake_energies: torch.Tensor, step: TrainStep) -> None:
        """k_t's step, and the convergence measure, from the whole batch's energies (one D's): every
        process's under ``--nproc`` (``ganzoo.whole_batch``), so all keep one process's k_t."""
        real_energy = whole_batch(real_energies.detach()).mean().float()
        fake_energy = whole_batch(fake_energies.detach()).mean().float()
        gap = self.params.gamma * real_energy - fake_energy
        self.k = (self.k + self.params.lambda_k * gap).clamp(0.0, 1.0)
        step.log(convergence=real_energy + gap.abs())
        step.log_latest(k=self.k)

    def state_dict(self):
        return {"k": self.k.detach().cpu().clone()}

    def load_state_dict(self, state) -> None:
        self.k = state["k"].to(self.k.device, self.k.dtype)
