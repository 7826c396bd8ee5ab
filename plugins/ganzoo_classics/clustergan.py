"""ClusterGAN (Mukherjee, Asnani, Lin and Kannan 2019): a GAN whose latent space clusters.

The generator draws z = [z_n, z_c]: z_n continuous noise of a small spread (sigma 0.1), z_c a
one-hot code of K values (the ``cluster`` generator; ``ganzoo sample --code k`` draws cluster k).
An encoder (a role of kind encoder: the ``encoder`` network) maps a picture back to
[z_n, logits of z_c]. Trained with the
generator, it must recover the latent of each fake:

    L_G,E = adversarial(G) + noise_weight * mean((z_n - E_n(G(z)))^2) + cluster_weight * CE(E_c(G(z)), c)

(the squared error averaged over z_n's numbers, as both authors' code and zhampel's PyTorch port
compute it: summed over them, noise_weight would weigh 30 times the paper's beta_n for its 30 numbers)

so the encoder's argmax over z_c is a clustering of real pictures, found without labels (the
benchmark scores it against the test labels, beside k-means on pixels). The discriminator's update
is the ``gan`` algorithm's; ClusterGAN subclasses ``ganzoo.GAN`` and keeps no state between steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from ganzoo import GAN, ContractViolation, DataSpec, GANParams, Tanh
from ganzoo_classics.common import dcgan_init, device_of, quarter_shape, try_in_eval_mode, upsampling_trunk


@dataclass
class ClusterGANParams(GANParams):
    noise_weight: float = 10.0  # beta_n: the encoder's mean squared error on z_n's numbers (paper: 10)
    cluster_weight: float = 10.0  # beta_c: its cross-entropy on the cluster code (paper: 10)

    def __post_init__(self):
        super().__post_init__()
        for name in ("noise_weight", "cluster_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be at least 0, got {getattr(self, name)}")


class ClusterGAN(GAN):
    roles = {**GAN.roles, "encoder": "encoder"}
    generator_roles = ("generator", "encoder")  # trained together, on the generator's loss and the terms below
    # zn_loss, zc_loss: the encoder's errors on the fakes' z_n and z_c; cluster_acc: how often it recovers c
    scalars = GAN.scalars + ("zn_loss", "zc_loss", "cluster_acc")

    def __init__(self, params: Optional[ClusterGANParams] = None):
        super().__init__(params if params is not None else ClusterGANParams())
        self.noise_dim = self.categories = 0

    def setup(self, models, losses, data) -> None:
        G, E = models["generator"], models["encoder"]
        self.categories = getattr(G, "code_categories", 0)
        if not isinstance(self.categories, int) or self.categories < 2 or not callable(getattr(G, "sample_latent", None)):
            raise ContractViolation("draws no cluster code (code_categories and sample_latent), which cluster_gan "
                                    "clusters by", G, remedy="use the cluster generator (generator.name=cluster)")
        self.noise_dim = G.latent_dim - self.categories
        super().setup(models, losses, data)
        codes = try_in_eval_mode(E, torch.zeros(2, *data.image_shape, device=device_of(E)), lambda m, x: m(x))
        if not isinstance(codes, torch.Tensor) or tuple(codes.shape) != (2, G.latent_dim):
            shape = tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__
            raise ContractViolation(f"makes codes of shape {shape} for 2 pictures; cluster_gan needs (2, "
                                    f"{G.latent_dim}), the generator's whole latent (noise, then cluster logits)", E,
                                    remedy="give the encoder the generator's latent size (encoder.params.latent_dim)")

    def generator_terms(self, ctx, step):
        codes = step.models["encoder"](ctx.fake).float()
        noise, cluster = ctx.latent[:, :self.noise_dim], ctx.latent[:, self.noise_dim:].argmax(1)
        zn_loss = F.mse_loss(codes[:, :self.noise_dim], noise)
        logits = codes[:, self.noise_dim:]
        zc_loss = F.cross_entropy(logits, cluster)
        step.log(zn_loss=zn_loss, zc_loss=zc_loss, cluster_acc=(logits.detach().argmax(1) == cluster).float().mean())
        return self.params.noise_weight * zn_loss + self.params.cluster_weight * zc_loss


@dataclass
class ClusterGeneratorParams:
    noise_dim: int = 30  # z_n (paper: 30 for MNIST)
    clusters: int = 10  # K, the values of the one-hot z_c
    noise_std: float = 0.1  # sigma of z_n (paper: 0.1, small so the clusters stay apart)
    base_channels: int = 32  # channels at S/2; doubled at S/4

    def __post_init__(self):
        if self.noise_dim < 1 or self.base_channels < 1 or self.clusters < 2:
            raise ValueError("noise_dim and base_channels must be at least 1 and clusters at least 2, got "
                             f"{self.noise_dim}, {self.base_channels} and {self.clusters}")
        if not self.noise_std > 0:
            raise ValueError(f"noise_std must be greater than 0, got {self.noise_std}")


class ClusterGenerator(nn.Module):
    """z = [z_n ~ N(0, noise_std^2), one-hot z_c] -> a DCGAN generator (its initialisation too)."""

    def __init__(self, params: ClusterGeneratorParams, data: DataSpec):
        super().__init__()
        channels, height, width = quarter_shape(data.image_shape, "the cluster generator")
        self.noise_dim, self.noise_std = params.noise_dim, params.noise_std
        self.code_categories, self.continuous_codes = params.clusters, 0  # ganzoo's latent code convention
        self.latent_dim = params.noise_dim + params.clusters
        self.net = dcgan_init(nn.Sequential(upsampling_trunk(self.latent_dim, params.base_channels, height, width),
                                            nn.ConvTranspose2d(params.base_channels, channels, 4, 2, 1), Tanh()))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def sample_latent(self, n: int, rng: torch.Generator, code: Optional[int] = None) -> torch.Tensor:
        """[z_n, one-hot z_c (uniform, or ``code`` in every row)], every number from ``rng``."""
        noise = torch.randn(n, self.noise_dim, device=rng.device, generator=rng) * self.noise_std
        clusters = torch.randint(self.code_categories, (n,), device=rng.device, generator=rng)
        if code is not None:
            if not 0 <= code < self.code_categories:
                raise ValueError(f"code must be in 0..{self.code_categories - 1}, got {code}")
            clusters.fill_(code)
        return torch.cat([noise, F.one_hot(clusters, self.code_categories).float()], dim=1)


def make_cluster_generator(params: ClusterGeneratorParams, data: DataSpec) -> ClusterGenerator:
    return ClusterGenerator(params, data)
