"""EBGAN: Energy-Based GAN (Zhao, Mathieu and LeCun 2016).

The discriminator is an autoencoder (``discriminator.name=autoencoder``, usually with
``distance: l2``) whose reconstruction error is an energy: low for real pictures, high for fakes.
With a margin m:

    L_D = D(x) + max(0, m - D(G(z)))     L_G = D(G(z)) + pt_weight * PT(S)

PT, the pulling-away term, is the mean squared cosine similarity between the codes S the
autoencoder gives the fakes of a batch, over every pair of distinct fakes: the generator is
pushed to make fakes whose codes point different ways, against mode collapse.

EBGAN keeps no state between steps. Under ``--nproc N`` the pulling-away term is taken over each
process's share of the batch (its pairs within the share), so such a run is close to, not the
same as, one process's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch.nn import functional as F

from ganzoo import Algorithm, Batch, TrainStep, whole_batch
from ganzoo_classics.autoencoder import check_energy, energy


@dataclass
class EBGANParams:
    margin: float = 1.0  # m: fakes whose energy is above it cost D nothing (in the energy's units)
    pt_weight: float = 0.1  # weight of the pulling-away term in G's loss (paper: 0.1; 0 turns it off)

    def __post_init__(self):
        if not self.margin > 0:
            raise ValueError(f"margin must be greater than 0, got {self.margin}")
        if not self.pt_weight >= 0:
            raise ValueError(f"pt_weight must be at least 0, got {self.pt_weight}")


class EBGAN(Algorithm):
    roles = {"generator": "generator", "discriminator": "discriminator"}
    # d_real, d_fake: the mean energies of the real and the fake batch in D's update; pt: the
    # pulling-away term of G's fakes (the mean squared cosine similarity of their codes; 1 when all align)
    scalars = ("d_loss", "g_loss", "d_real", "d_fake", "pt")

    def __init__(self, params: Optional[EBGANParams] = None):
        super().__init__(params if params is not None else EBGANParams())

    def setup(self, models, losses, data) -> None:
        check_energy(models["discriminator"], data.image_shape)

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        G, D = step.models["generator"], step.models["discriminator"]
        with torch.no_grad():
            fake = G(step.latent())
        real_energy = energy(D, batch.images)["energy"]
        fake_energy = energy(D, fake)["energy"]
        d_loss = real_energy.mean() + F.relu(self.params.margin - fake_energy).mean()
        if step.update("discriminator", d_loss):
            step.log(d_loss=d_loss, d_real=real_energy.mean(), d_fake=fake_energy.mean())

        with step.frozen("discriminator"):
            out = energy(D, G(step.latent()))
            pt = pulling_away(out["code"])
            g_loss = out["energy"].mean() + self.params.pt_weight * pt
        if step.update("generator", g_loss):
            step.log(g_loss=g_loss, pt=pt)


def pulling_away(codes: torch.Tensor) -> torch.Tensor:
    """The mean squared cosine similarity of the rows of ``codes`` (N, d), over the N(N-1) ordered
    pairs of distinct rows (the paper's f_PT); 0 for fewer than two rows. The rows are the whole
    batch's: every process's under ``--nproc`` (``ganzoo.whole_batch``), as in one process."""
    codes = whole_batch(codes)
    n = codes.shape[0]
    if n < 2:
        return codes.sum() * 0.0
    unit = F.normalize(codes.float().flatten(1), dim=1)
    similarity = unit @ unit.t()
    return (similarity.pow(2).sum() - similarity.diagonal().pow(2).sum()) / (n * (n - 1))
