"""BigGAN's generator and discriminator (Brock et al. 2019), sized for 28x28 and 32x32 images.

Generator: z is split into one chunk per block plus one for the first layer (hierarchical
latents); a shared class embedding (one for all blocks), concatenated with a block's chunk, gives
the gains and biases of that block's conditional batch norms (de Vries et al. 2017; for an
unconditional model the chunk alone). Residual up-blocks: CBN, ReLU, nearest upsampling, 3x3
convolution, CBN, ReLU, 3x3 convolution, beside a 1x1 convolution of the upsampled input.
With ``class_input: true`` the shared embedding also goes into the first linear layer beside z's
first chunk (as BigGAN-deep gives [z, embedding] to its first layer), so the label shapes the
smallest feature map and not only the norms' per-channel gains and biases: biggan_mnist's
generator did not learn its labels in an epoch without it (15% of --label k samples read as k).

Discriminator: residual down-blocks (ReLU, 3x3, ReLU, 3x3, 2x2 average pooling; a 1x1 shortcut),
one more block at the smallest side, ReLU, a sum over positions, a linear logit; class-conditional
by projection (Miyato & Koyama 2018): logit += <embed(y), features>, or, with ``conditioning:
contrastive`` (ContraGAN's 2C, Kang & Park 2020), no projection but two extra outputs for the
``contrastive`` loss: ``embedding``, a linear map of the features, and ``proxy``, a learned
embedding of the label, both (N, embed_dim).

Spectral normalisation in both and orthogonal initialisation of every weight, as BigGAN. Sides: a start of 4..7 pixels doubled per block
(28: 7 -> 14 -> 28; 32: 4 -> 8 -> 16 -> 32).
"""

from dataclasses import dataclass
from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganzoo import DataSpec, Tanh


CONDITIONINGS = ("projection", "contrastive")


@dataclass
class BigGANGeneratorParams:
    latent_dim: int = 64  # split into (blocks + 1) chunks: the first feeds the first layer
    base_channels: int = 32  # channels of the last block; doubled per block towards z
    shared_dim: int = 32  # the shared class embedding's size (conditional only)
    conditional: bool = True  # class-conditional batch norm from the shared embedding; needs labels
    class_input: bool = False  # conditional: the shared embedding also feeds the first layer beside z's first chunk
    spectral_norm: bool = True

    def __post_init__(self):
        _check_positive(self, "latent_dim", "base_channels", "shared_dim")


@dataclass
class BigGANDiscriminatorParams:
    base_channels: int = 32  # channels of the first block; doubled per block down
    conditional: bool = True  # class-conditional; needs labels
    conditioning: str = "projection"  # projection | contrastive (2C: embedding and proxy outputs)
    embed_dim: int = 64  # contrastive: size of the embedding and the class proxies
    spectral_norm: bool = True

    def __post_init__(self):
        _check_positive(self, "base_channels", "embed_dim")
        if self.conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {', '.join(CONDITIONINGS)}, got '{self.conditioning}'")


def _check_positive(params, *names: str) -> None:
    for name in names:
        if getattr(params, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(params, name)}")


def _layout(data: DataSpec) -> tuple:
    """(channels, start side, blocks) for square images whose side is 4..7 times a power of 2."""
    if len(data.image_shape) != 3 or data.image_shape[1] != data.image_shape[2]:
        raise ValueError(f"BigGAN needs square images (C, S, S), got shape {tuple(data.image_shape)}")
    channels, side, _ = data.image_shape
    start, blocks = side, 0
    while start % 2 == 0 and start // 2 >= 4:
        start, blocks = start // 2, blocks + 1
    if blocks == 0 or start > 7:
        raise ValueError(f"BigGAN needs a side of 4..7 pixels times a power of 2 (e.g. 28 or 32), got {side}")
    return channels, start, blocks


def _wrapper(use_spectral_norm: bool):
    """What each layer goes through: BigGAN's orthogonal initialisation (zero biases), then spectral norm."""
    def wrap(layer: nn.Module) -> nn.Module:
        nn.init.orthogonal_(layer.weight)
        if getattr(layer, "bias", None) is not None:
            nn.init.zeros_(layer.bias)
        return spectral_norm(layer) if use_spectral_norm else layer
    return wrap


def _classes(conditional: bool, data: DataSpec) -> Optional[int]:
    if not conditional:
        return None
    if not data.num_classes:
        raise ValueError("conditional: true needs a dataset with class labels (or set conditional: false)")
    return data.num_classes


class ConditionalBatchNorm(nn.Module):
    """Batch norm without its own affine; gain 1 + g(c) and bias b(c) from the condition c."""

    def __init__(self, channels: int, condition_dim: int, wrap):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain, self.bias = wrap(nn.Linear(condition_dim, channels)), wrap(nn.Linear(condition_dim, channels))

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        gain, bias = 1 + self.gain(condition), self.bias(condition)
        return self.norm(x) * gain[:, :, None, None] + bias[:, :, None, None]


class UpBlock(nn.Module):
    def __init__(self, width_in: int, width_out: int, condition_dim: int, wrap):
        super().__init__()
        self.norm1 = ConditionalBatchNorm(width_in, condition_dim, wrap)
        self.conv1 = wrap(nn.Conv2d(width_in, width_out, 3, 1, 1))
        self.norm2 = ConditionalBatchNorm(width_out, condition_dim, wrap)
        self.conv2 = wrap(nn.Conv2d(width_out, width_out, 3, 1, 1))
        self.shortcut = wrap(nn.Conv2d(width_in, width_out, 1))

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.norm1(x, condition)), scale_factor=2)
        h = self.conv2(F.relu(self.norm2(self.conv1(h), condition)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class BigGANGenerator(nn.Module):
    def __init__(self, params: BigGANGeneratorParams, data: DataSpec):
        super().__init__()
        channels, start, blocks = _layout(data)
        classes = _classes(params.conditional, data)
        wrap = _wrapper(params.spectral_norm)
        self.latent_dim, self.conditional = params.latent_dim, classes is not None
        chunk = params.latent_dim // (blocks + 1)
        if chunk < 1:
            raise ValueError(f"latent_dim must be at least {blocks + 1} (one value per chunk), got {params.latent_dim}")
        self.chunks = [params.latent_dim - chunk * blocks] + [chunk] * blocks  # the first takes the remainder
        widths = [params.base_channels * 2 ** (blocks - i) for i in range(blocks + 1)]
        self.start, self.first_width = start, widths[0]
        self.shared = _wrapper(False)(nn.Embedding(classes, params.shared_dim)) if classes else None
        condition_dim = chunk + (params.shared_dim if classes else 0)
        self.class_input = bool(classes and params.class_input)
        self.linear = wrap(nn.Linear(self.chunks[0] + (params.shared_dim if self.class_input else 0),
                                     widths[0] * start * start))
        self.blocks = nn.ModuleList(UpBlock(a, b, condition_dim, wrap) for a, b in zip(widths, widths[1:]))
        self.out = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.ReLU(), wrap(nn.Conv2d(widths[-1], channels, 3, 1, 1)),
                                 Tanh())

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        first, *rest = torch.split(z, self.chunks, dim=1)
        shared = self.shared(labels) if self.conditional else None
        h = self.linear(torch.cat([shared, first], dim=1) if self.class_input else first)
        h = h.view(-1, self.first_width, self.start, self.start)
        for block, chunk in zip(self.blocks, rest):
            h = block(h, chunk if shared is None else torch.cat([shared, chunk], dim=1))
        return self.out(h)


class DownBlock(nn.Module):
    def __init__(self, width_in: int, width_out: int, wrap, downsample: bool, first: bool):
        super().__init__()
        self.conv1 = wrap(nn.Conv2d(width_in, width_out, 3, 1, 1))
        self.conv2 = wrap(nn.Conv2d(width_out, width_out, 3, 1, 1))
        self.shortcut = wrap(nn.Conv2d(width_in, width_out, 1)) if width_in != width_out or downsample else None
        self.downsample, self.first = downsample, first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))  # no ReLU on the image itself
        skip = x if self.shortcut is None else self.shortcut(x)
        if self.downsample:
            h, skip = F.avg_pool2d(h, 2), F.avg_pool2d(skip, 2)
        return h + skip


class BigGANDiscriminator(nn.Module):
    def __init__(self, params: BigGANDiscriminatorParams, data: DataSpec):
        super().__init__()
        channels, _, blocks = _layout(data)
        classes = _classes(params.conditional, data)
        wrap = _wrapper(params.spectral_norm)
        self.conditional = classes is not None
        widths = [params.base_channels * 2 ** i for i in range(blocks)]
        layers: List[nn.Module] = []
        width_in = channels
        for index, width in enumerate(widths):
            layers.append(DownBlock(width_in, width, wrap, downsample=True, first=index == 0))
            width_in = width
        layers.append(DownBlock(width_in, width_in, wrap, downsample=False, first=False))
        self.blocks = nn.Sequential(*layers)
        self.logit = wrap(nn.Linear(width_in, 1))
        contrastive = classes is not None and params.conditioning == "contrastive"
        self.project = wrap(nn.Embedding(classes, width_in)) if classes and not contrastive else None
        self.embed = wrap(nn.Linear(width_in, params.embed_dim)) if contrastive else None
        self.proxies = wrap(nn.Embedding(classes, params.embed_dim)) if contrastive else None

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor] = None):
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))
        out = self.logit(h).view(-1)
        if self.project is not None:
            out = out + (self.project(labels) * h).sum(dim=1)
        if self.embed is not None:
            return {"logits": out, "embedding": self.embed(h), "proxy": self.proxies(labels)}
        return out


def make_biggan_generator(params: BigGANGeneratorParams, data: DataSpec) -> BigGANGenerator:
    return BigGANGenerator(params, data)


def make_biggan_discriminator(params: BigGANDiscriminatorParams, data: DataSpec) -> BigGANDiscriminator:
    return BigGANDiscriminator(params, data)
