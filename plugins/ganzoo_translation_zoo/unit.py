"""UNIT (Liu, Breuel and Kautz, NIPS 2017): unsupervised image-to-image translation through a
shared latent space.

The network (``unit``): an encoder per domain (E_a, E_b) and a decoder per domain (G_a, G_b),
whose innermost layers are shared: the encoders end in one shared residual block, the decoders
begin with one, so both domains' codes live in one latent space. An encoder gives the mean of a
Gaussian code of unit variance (the VAE of the paper); A -> B is ``G_b(E_a(a))`` and B -> A is
``G_a(E_b(b))``, from the mean (no noise) when translating.

The algorithm (``unit``), as PyTorch-GAN's port of the paper's losses: the generators (all four
parts at once) learn from the two VAEs' reconstructions (``reconstruction_weight`` x L1 of
``G_a(z_a)`` against ``a``), their KL terms (``kl_weight`` x mean(mu^2)), the adversarial loss of
each translation against its domain's discriminator (``adversarial_weight``), and the cycle
through the latent space (``cycle_weight`` x L1 of ``G_a(E_b(G_b(z_a)))`` against ``a``, with
``cycle_kl_weight`` on its codes); then each discriminator learns its domain's real pictures
against the translations. The codes' noise comes from ``step.latent`` (the network's
``sample_latent``): the trainer's seeded stream, kept in checkpoints and drawn for the whole
batch, so a resumed run, or one in ``--nproc N`` processes, draws what one process would.

ganzoo builds one model per role and translates each direction with its own role. The whole
network is the ``generator`` role, trained by this algorithm; ``generator_b2a`` is a second copy of
it, set to translate B -> A, that the algorithm keeps equal to the first after every update (its
own optimiser never steps). So ``ganzoo translate --direction b2a``, ``eval`` and ``export`` work
as for CycleGAN, and the shared layers are shared for real, not by two copies drifting apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

import ganzoo
from ganzoo_translation.cyclegan import UnpairedTranslation
from ganzoo_translation_zoo.common import fooled, judged
from ganzoo_translation.resnet import NORMS, ResidualBlock


# ------------------------------------------------------------------ the network
@dataclass
class UNITNetworkParams:
    base_channels: int = 16  # channels of the first convolution (paper: 64)
    downsamplings: int = 2  # strided convolutions in each encoder (paper: 2); sizes must divide by 2**this
    residual_blocks: int = 2  # each encoder's and decoder's own blocks (paper: 3), besides the shared one each
    norm: str = "instance"  # instance | batch | none
    direction: str = "a2b"  # what forward() translates: a2b (E_a then G_b) or b2a (E_b then G_a)

    def __post_init__(self):
        if self.base_channels < 1 or self.downsamplings < 0 or self.residual_blocks < 0:
            raise ValueError("base_channels must be at least 1, downsamplings and residual_blocks at least 0")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got '{self.norm}'")
        if self.direction not in ("a2b", "b2a"):
            raise ValueError(f"direction must be a2b or b2a, got '{self.direction}'")


def _norm(kind: str, channels: int) -> nn.Module:
    return {"instance": nn.InstanceNorm2d, "batch": nn.BatchNorm2d}.get(kind, lambda _: nn.Identity())(channels)


class UNITNetwork(nn.Module):
    """Both encoders and both decoders, their innermost residual blocks shared. ``forward(x)``
    translates in ``direction``; ``encode(x, side)`` and ``decode(z, side)`` are the parts."""

    def __init__(self, params: UNITNetworkParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None:
            raise ValueError("the unit network translates pictures and needs two-sided data (a dataset of two "
                             "domains, e.g. mnist-unpaired or unpaired-folder)")
        shapes = {"a": tuple(spec.image_shape), "b": tuple(spec.target_shape)}
        if shapes["a"][1:] != shapes["b"][1:]:
            raise ValueError(f"the unit network keeps the picture's size; the domains' pictures are "
                             f"{'x'.join(map(str, shapes['a'][1:]))} and {'x'.join(map(str, shapes['b'][1:]))}")
        scale = 2 ** params.downsamplings
        if shapes["a"][1] % scale or shapes["a"][2] % scale:
            raise ValueError(f"{params.downsamplings} downsamplings need sizes divisible by {scale}, got "
                             f"{'x'.join(map(str, shapes['a'][1:]))}; lower params.downsamplings or resize the "
                             "pictures (dataset.params.size=N)")
        self.direction = params.direction
        inner = params.base_channels * scale
        self.code_shape = (inner, shapes["a"][1] // scale, shapes["a"][2] // scale)
        self.encoders = nn.ModuleDict({side: self._encoder(shape[0], params) for side, shape in shapes.items()})
        self.decoders = nn.ModuleDict({side: self._decoder(shape[0], params) for side, shape in shapes.items()})
        self.shared_encoder = ResidualBlock(inner, params.norm)  # the last layer of both encoders
        self.shared_decoder = ResidualBlock(inner, params.norm)  # the first layer of both decoders

    @staticmethod
    def _encoder(channels: int, params: UNITNetworkParams) -> nn.Sequential:
        c = params.base_channels
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, c, 7), _norm(params.norm, c), nn.LeakyReLU(0.2, True)]
        for _ in range(params.downsamplings):
            layers += [nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), _norm(params.norm, 2 * c), nn.ReLU(True)]
            c *= 2
        return nn.Sequential(*layers, *(ResidualBlock(c, params.norm) for _ in range(params.residual_blocks)))

    @staticmethod
    def _decoder(channels: int, params: UNITNetworkParams) -> nn.Sequential:
        c = params.base_channels * 2 ** params.downsamplings
        layers = [ResidualBlock(c, params.norm) for _ in range(params.residual_blocks)]
        for _ in range(params.downsamplings):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1), _norm(params.norm, c // 2),
                       nn.LeakyReLU(0.2, True)]
            c //= 2
        return nn.Sequential(*layers, nn.ReflectionPad2d(3), nn.Conv2d(c, channels, 7), nn.Tanh())

    def encode(self, x: torch.Tensor, side: str) -> torch.Tensor:
        """The mean of the code of ``side``'s pictures ``x``."""
        return self.shared_encoder(self.encoders[side](x))

    def decode(self, z: torch.Tensor, side: str) -> torch.Tensor:
        """``side``'s pictures from codes ``z``."""
        return self.decoders[side](self.shared_decoder(z))

    def sample_latent(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """Standard normal noise of a code's shape, (n, channels, height, width): what the algorithm adds
        to the encoders' means (drawn by the trainer for the whole batch, through ``step.latent``)."""
        return torch.randn(n, *self.code_shape, device=rng.device, generator=rng)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        source, target = ("a", "b") if self.direction == "a2b" else ("b", "a")
        return self.decode(self.encode(x, source), target)


def make_unit_network(params: UNITNetworkParams, spec: ganzoo.DataSpec) -> UNITNetwork:
    return UNITNetwork(params, spec)


# ------------------------------------------------------------------ the algorithm
@dataclass
class UNITParams:
    # PyTorch-GAN's port of the paper's weights: lambda_0 .. lambda_4
    adversarial_weight: float = 10.0
    kl_weight: float = 0.1
    reconstruction_weight: float = 100.0
    cycle_kl_weight: float = 0.1
    cycle_weight: float = 100.0

    def __post_init__(self):
        if min(self.adversarial_weight, self.kl_weight, self.reconstruction_weight, self.cycle_kl_weight,
               self.cycle_weight) < 0:
            raise ValueError("the loss weights must be at least 0")


def sampled(mu: torch.Tensor, step) -> torch.Tensor:
    """A code drawn from N(mu, 1), its noise from the trainer's stream (``step.latent``): drawn for the
    whole batch, so one process and ``--nproc N`` draw alike, and kept in checkpoints."""
    return mu + step.latent("generator").to(mu.dtype)


class UNIT(UnpairedTranslation):
    name = "unit"
    scalars = ("d_loss", "g_loss", "kl", "reconstruction", "cycle", "d_b", "d_a")

    def __init__(self, params: Optional[UNITParams] = None):
        super().__init__(params if params is not None else UNITParams())

    network = UNITNetwork  # what both generator roles must be (MUNIT: its own network)

    def setup(self, models, losses, data) -> None:
        for role in self.generators:
            if not isinstance(models[role], self.network):
                raise ganzoo.GanzooError(f"{self.name}'s {role} must be the {self.name} network (one network "
                                         f"translates both ways); set {role}.name={self.name}")
        self.mirror(models)
        super().setup(models, losses, data)

    def mirror(self, models) -> None:
        """generator_b2a <- generator: the one network, set to translate the other way."""
        shapes = [tuple(tensor.shape) for tensor in models["generator"].state_dict().values()]
        if [tuple(tensor.shape) for tensor in models["generator_b2a"].state_dict().values()] != shapes:
            raise ganzoo.GanzooError(f"{self.name}'s generator_b2a is the generator translating the other way: give "
                                     "it the generator's params, with direction: b2a")
        with torch.no_grad():
            for mine, theirs in zip(models["generator_b2a"].state_dict().values(),
                                    models["generator"].state_dict().values()):
                mine.copy_(theirs)

    def train_step(self, batch, step) -> None:
        net = step.models["generator"]
        D_b, D_a = step.models["discriminator"], step.models["discriminator_a"]
        loss, p = step.losses["loss"], self.params
        a, b = batch.images, batch.targets

        with step.frozen(*self.discriminators):
            mu_a, mu_b = net.encode(a, "a"), net.encode(b, "b")
            z_a, z_b = sampled(mu_a, step), sampled(mu_b, step)
            fake_b, fake_a = net.decode(z_a, "b"), net.decode(z_b, "a")
            mu_a_, mu_b_ = net.encode(fake_a, "a"), net.encode(fake_b, "b")  # codes of the translations
            adversarial = fooled(loss, step, ((D_b, b, fake_b), (D_a, a, fake_a)))
            kl = mu_a.pow(2).mean() + mu_b.pow(2).mean()
            reconstruction = (net.decode(z_a, "a") - a).abs().mean() + (net.decode(z_b, "b") - b).abs().mean()
            cycle = ((net.decode(sampled(mu_b_, step), "a") - a).abs().mean()
                     + (net.decode(sampled(mu_a_, step), "b") - b).abs().mean())
            total = (p.adversarial_weight * adversarial + p.kl_weight * kl + p.reconstruction_weight * reconstruction
                     + p.cycle_kl_weight * (mu_a_.pow(2).mean() + mu_b_.pow(2).mean()) + p.cycle_weight * cycle)
        if step.update("generator", total):
            step.log(g_loss=adversarial, kl=kl, reconstruction=reconstruction, cycle=cycle)
        self.mirror(step.models)

        fake_b, fake_a = fake_b.detach(), fake_a.detach()
        d_b, d_a = judged(loss, step, ((D_b, b, fake_b), (D_a, a, fake_a)))
        if step.update(self.discriminators, d_b + d_a):
            step.log(d_loss=d_b + d_a, d_b=d_b, d_a=d_a)
