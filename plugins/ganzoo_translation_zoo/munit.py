"""MUNIT (Huang, Liu, Belongie and Kautz, ECCV 2018): multimodal unsupervised image-to-image
translation, a picture split into a content code and a style code.

The network (``munit``): per domain, a content encoder (strided convolutions and residual blocks:
a spatial code), a style encoder (convolutions pooled to a vector of ``style_dim``) and a
decoder (residual blocks whose adaptive instance norms take their scales and shifts from an MLP
of the style, then upsampling). A -> B is ``decode_b(content_a(a), style)``: ``forward(x)`` uses
the style prior's mean (0), so ``ganzoo translate``, ``eval`` and ``export`` see one
deterministic translator; ``forward(x, style)`` draws a style of the target domain (``(N,
style_dim)``), and ``reference_style(pictures)`` reads one from pictures of the target domain:
``ganzoo translate --reference PICTURE``.

The algorithm (``munit``), as PyTorch-GAN's port (weights: GAN 1, image 10, style 1, content 1,
cycle 0): the networks learn to rebuild each picture from its own codes (L1 x
``image_weight``), to fool each domain's discriminator with translations of the other domain's
content in a style drawn from N(0, I), and to read back from each translation the style drawn
(``style_weight``) and the content it came from (``content_weight``); ``cycle_weight`` adds the
round trip back to the picture through its own style (0 in the port). Then both discriminators
learn. The drawn styles come from ``step.latent`` (the network's ``sample_latent``: the trainer's
seeded stream, kept in checkpoints), so a resumed run draws what an uninterrupted one would.
As UNIT, the whole network is the ``generator`` role and ``generator_b2a`` the same network set
to translate B -> A, kept equal to it after every update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

import ganzoo
from ganzoo_translation.resnet import ResidualBlock
from ganzoo_translation_zoo.common import fooled, judged
from ganzoo_translation_zoo.unit import UNIT


# ------------------------------------------------------------------ the network
@dataclass
class MUNITNetworkParams:
    base_channels: int = 16  # (paper: 64)
    downsamplings: int = 2  # (paper: 2); sizes must divide by 2**this
    residual_blocks: int = 2  # in each content encoder and decoder (paper: 4)
    style_dim: int = 8  # (paper: 8)
    mlp_dim: int = 64  # the style MLP's width (paper: 256)
    direction: str = "a2b"  # what forward() translates

    def __post_init__(self):
        if self.base_channels < 1 or self.downsamplings < 0 or self.residual_blocks < 1 or self.style_dim < 1 \
                or self.mlp_dim < 1:
            raise ValueError("base_channels, residual_blocks, style_dim and mlp_dim must be at least 1, "
                             "downsamplings at least 0")
        if self.direction not in ("a2b", "b2a"):
            raise ValueError(f"direction must be a2b or b2a, got '{self.direction}'")


class AdaINBlock(nn.Module):
    """A residual block whose two instance norms take their scale and shift from the style."""

    def __init__(self, channels: int):
        super().__init__()
        self.channels = channels
        self.conv1 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3))
        self.conv2 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3))
        self.norm = nn.InstanceNorm2d(channels)

    def adain(self, x: torch.Tensor, scale_shift: torch.Tensor) -> torch.Tensor:
        scale, shift = scale_shift[:, :, None, None].chunk(2, dim=1)
        return self.norm(x) * (1 + scale) + shift

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        first, second = params.chunk(2, dim=1)
        h = torch.relu(self.adain(self.conv1(x), first))
        return x + self.adain(self.conv2(h), second)


class Decoder(nn.Module):
    def __init__(self, channels: int, out_channels: int, params: MUNITNetworkParams):
        super().__init__()
        self.blocks = nn.ModuleList(AdaINBlock(channels) for _ in range(params.residual_blocks))
        self.mlp = nn.Sequential(nn.Linear(params.style_dim, params.mlp_dim), nn.ReLU(True),
                                 nn.Linear(params.mlp_dim, 4 * channels * params.residual_blocks))
        layers, c = [], channels
        for _ in range(params.downsamplings):
            layers += [nn.Upsample(scale_factor=2), nn.ReflectionPad2d(2), nn.Conv2d(c, c // 2, 5),
                       nn.GroupNorm(1, c // 2), nn.ReLU(True)]  # GroupNorm(1, c): the paper's layer norm
            c //= 2
        self.up = nn.Sequential(*layers, nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Tanh())

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        params = self.mlp(style.to(content.dtype)).chunk(len(self.blocks), dim=1)
        for block, block_params in zip(self.blocks, params):
            content = block(content, block_params)
        return self.up(content)


class MUNITNetwork(nn.Module):
    """Both domains' content encoders, style encoders and decoders."""

    def __init__(self, params: MUNITNetworkParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None:
            raise ValueError("the munit network translates pictures and needs two-sided data (e.g. mnist-unpaired)")
        shapes = {"a": tuple(spec.image_shape), "b": tuple(spec.target_shape)}
        scale = 2 ** params.downsamplings
        if shapes["a"][1:] != shapes["b"][1:] or shapes["a"][1] % scale or shapes["a"][2] % scale:
            raise ValueError(f"the munit network needs both domains' pictures of one size divisible by {scale} "
                             f"({params.downsamplings} downsamplings), got {shapes['a']} and {shapes['b']}")
        self.direction, self.style_dim = params.direction, params.style_dim
        c = params.base_channels
        inner = c * scale
        self.content = nn.ModuleDict({side: self._content(shape[0], params) for side, shape in shapes.items()})
        self.style = nn.ModuleDict({side: self._style(shape[0], params) for side, shape in shapes.items()})
        self.decoders = nn.ModuleDict({side: Decoder(inner, shape[0], params) for side, shape in shapes.items()})

    @staticmethod
    def _content(channels: int, params: MUNITNetworkParams) -> nn.Sequential:
        c = params.base_channels
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, c, 7), nn.InstanceNorm2d(c), nn.ReLU(True)]
        for _ in range(params.downsamplings):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1), nn.InstanceNorm2d(2 * c), nn.ReLU(True)]
            c *= 2
        return nn.Sequential(*layers, *(ResidualBlock(c, "instance") for _ in range(params.residual_blocks)))

    @staticmethod
    def _style(channels: int, params: MUNITNetworkParams) -> nn.Sequential:
        c = params.base_channels
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, c, 7), nn.ReLU(True)]
        for _ in range(params.downsamplings):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1), nn.ReLU(True)]
            c *= 2
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, params.style_dim))

    def encode(self, x: torch.Tensor, side: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(content code, style code) of ``side``'s pictures ``x``."""
        return self.content[side](x), self.style[side](x)

    def decode(self, content: torch.Tensor, style: torch.Tensor, side: str) -> torch.Tensor:
        return self.decoders[side](content, style)

    def sides(self) -> tuple[str, str]:
        return ("a", "b") if self.direction == "a2b" else ("b", "a")

    def reference_style(self, pictures: torch.Tensor) -> torch.Tensor:
        """The style codes of ``pictures`` of the domain this network translates into."""
        return self.style[self.sides()[1]](pictures)

    def sample_latent(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """Styles drawn from N(0, I) for both domains, (n, 2 x style_dim): A's, then B's."""
        return torch.randn(n, 2 * self.style_dim, device=rng.device, generator=rng)

    def forward(self, x: torch.Tensor, style: Optional[torch.Tensor] = None) -> torch.Tensor:
        source, target = self.sides()
        if style is None:
            style = x.new_zeros(x.shape[0], self.style_dim)
        return self.decode(self.content[source](x), style, target)


def make_munit_network(params: MUNITNetworkParams, spec: ganzoo.DataSpec) -> MUNITNetwork:
    return MUNITNetwork(params, spec)


# ------------------------------------------------------------------ the algorithm
@dataclass
class MUNITParams:
    # PyTorch-GAN's port: lambda_gan 1, lambda_id 10, lambda_style 1, lambda_cont 1, lambda_cyc 0
    adversarial_weight: float = 1.0
    image_weight: float = 10.0
    style_weight: float = 1.0
    content_weight: float = 1.0
    cycle_weight: float = 0.0

    def __post_init__(self):
        if min(self.adversarial_weight, self.image_weight, self.style_weight, self.content_weight,
               self.cycle_weight) < 0:
            raise ValueError("the loss weights must be at least 0")


class MUNIT(UNIT):
    name = "munit"
    scalars = ("d_loss", "g_loss", "image", "style", "content", "cycle", "d_b", "d_a")
    network = MUNITNetwork

    def __init__(self, params: Optional[MUNITParams] = None):
        super(UNIT, self).__init__(params if params is not None else MUNITParams())

    def train_step(self, batch, step) -> None:
        net = step.models["generator"]
        D_b, D_a = step.models["discriminator"], step.models["discriminator_a"]
        loss, p = step.losses["loss"], self.params
        a, b = batch.images, batch.targets

        with step.frozen(*self.discriminators):
            (content_a, style_a), (content_b, style_b) = net.encode(a, "a"), net.encode(b, "b")
            drawn_a, drawn_b = step.latent("generator").to(a.dtype).chunk(2, dim=1)
            fake_a, fake_b = net.decode(content_b, drawn_a, "a"), net.decode(content_a, drawn_b, "b")
            (content_b_, style_a_), (content_a_, style_b_) = net.encode(fake_a, "a"), net.encode(fake_b, "b")
            adversarial = fooled(loss, step, ((D_b, b, fake_b), (D_a, a, fake_a)))
            image = (net.decode(content_a, style_a, "a") - a).abs().mean() \
                + (net.decode(content_b, style_b, "b") - b).abs().mean()
            style = (style_a_ - drawn_a).abs().mean() + (style_b_ - drawn_b).abs().mean()
            content = (content_a_ - content_a.detach()).abs().mean() + (content_b_ - content_b.detach()).abs().mean()
            total = (p.adversarial_weight * adversarial + p.image_weight * image + p.style_weight * style
                     + p.content_weight * content)
            logged = dict(g_loss=adversarial, image=image, style=style, content=content)
            if p.cycle_weight:
                logged["cycle"] = (net.decode(content_a_, style_a, "a") - a).abs().mean() \
                    + (net.decode(content_b_, style_b, "b") - b).abs().mean()
                total = total + p.cycle_weight * logged["cycle"]
        if step.update("generator", total):
            step.log(**logged)
        self.mirror(step.models)

        d_b, d_a = judged(loss, step, ((D_b, b, fake_b.detach()), (D_a, a, fake_a.detach())))
        if step.update(self.discriminators, d_b + d_a):
            step.log(d_loss=d_b + d_a, d_b=d_b, d_a=d_a)
