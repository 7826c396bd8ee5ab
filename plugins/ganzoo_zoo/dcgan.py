"""DCGAN generator and discriminator (Radford et al. 2016), optionally class-conditional.

Both work on square images of any channel count whose side halves down to 4-7
pixels: 28 (7 -> 14 -> 28), 32 (4 -> 8 -> 16 -> 32), 64 and so on. The
generator maps z through a linear layer to a small feature map and doubles its
side with 4x4 stride-2 transposed convolutions; the discriminator mirrors it
with 4x4 stride-2 convolutions and ends in one linear logit.

Conditioning (labels come from the dataset through the trainer):
- the generator concatenates a learned label embedding to z;
- the discriminator either projects (Miyato & Koyama 2018: logit += <embed(y), features>)
  or concatenates one-hot label planes to the input image (the classic cDCGAN).

Heads and codes for the zoo's algorithms:
- ``class_head``: the discriminator also returns ``class_logits`` (N, classes), ACGAN's
  auxiliary classifier, from the same features;
- ``attention``: a self-attention block (SAGAN, Zhang et al. 2019; ganzoo_zoo.attention) after the
  hidden feature map of that side, e.g. 14 on 28x28 images, in the generator or the discriminator;
- ``code_categories`` / ``continuous_codes``: the generator draws InfoGAN's latent,
  z = [noise, one-hot categorical code, continuous codes in [-1, 1]], and the
  discriminator gets InfoGAN's Q head on its features, returning ``code_logits`` (N, K)
  and ``code_values`` (N, C), the predicted codes.
"""

from dataclasses import dataclass
from typing import List, Optional

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganzoo import DataSpec, Tanh
from ganzoo_zoo.attention import SelfAttention

NORMS = ("batch", "layer", "instance", "none")
INITS = ("normal", "default")
CONDITIONINGS = ("projection", "concat")


@dataclass
class DCGANGeneratorParams:
    latent_dim: int = 100
    base_channels: int = 64  # channels of the last hidden feature map; doubled per step towards z
    batch_norm: bool = True
    init: str = "normal"  # normal: N(0, 0.02) as in the DCGAN paper | default: PyTorch's
    conditional: bool = False  # class-conditional: forward(z, labels); needs a labelled dataset
    embed_dim: int = 32  # size of the label embedding concatenated to z
    code_categories: int = 0  # InfoGAN: values of a categorical code appended to z one-hot (0: none)
    continuous_codes: int = 0  # InfoGAN: continuous codes, uniform in [-1, 1], appended after it
    attention: int = 0  # SAGAN: self-attention after the feature map of this side (e.g. 14 on 28x28; 0: none)

    def __post_init__(self):
        _check_positive(self, "latent_dim", "base_channels", "embed_dim")
        _check_choice("init", self.init, INITS)
        _check_codes(self)


@dataclass
class DCGANDiscriminatorParams:
    base_channels: int = 64  # channels of the first feature map; doubled per step down
    norm: str = "batch"  # batch | layer | instance | none (after every convolution but the first)
    spectral_norm: bool = False  # spectral normalisation of every weight (Miyato et al. 2018)
    negative_slope: float = 0.2  # of the LeakyReLUs
    dropout: float = 0.0  # 2-D dropout after every block
    init: str = "normal"
    conditional: bool = False  # class-conditional: forward(x, labels); needs a labelled dataset
    conditioning: str = "projection"  # projection | concat
    class_head: bool = False  # ACGAN: also return class_logits (N, classes); needs a labelled dataset
    code_categories: int = 0  # InfoGAN's Q head: predict a categorical code of this many values (0: none)
    continuous_codes: int = 0  # and this many continuous codes; match the generator's
    code_hidden: int = 128  # width of the Q head's hidden layer
    attention: int = 0  # SAGAN: self-attention after the feature map of this side (e.g. 14 on 28x28; 0: none)

    def __post_init__(self):
        _check_positive(self, "base_channels", "code_hidden")
        _check_choice("norm", self.norm, NORMS)
        _check_choice("init", self.init, INITS)
        _check_choice("conditioning", self.conditioning, CONDITIONINGS)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        _check_codes(self)


def _check_positive(params, *names: str) -> None:
    for name in names:
        if getattr(params, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(params, name)}")


def _check_codes(params) -> None:
    if params.code_categories == 1 or params.code_categories < 0:
        raise ValueError(f"code_categories must be 0 (no code) or at least 2, got {params.code_categories}")
    if params.continuous_codes < 0:
        raise ValueError(f"continuous_codes must be at least 0, got {params.continuous_codes}")


def _check_choice(name: str, value: str, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got '{value}'")


def _layout(data: DataSpec, params) -> tuple[int, int, int, List[int]]:
    """(channels, start side, steps, feature channels from small to large) for ``data``."""
    if len(data.image_shape) != 3 or data.image_shape[1] != data.image_shape[2]:
        raise ValueError(f"DCGAN needs square images (C, S, S), got shape {tuple(data.image_shape)}")
    channels, side, _ = data.image_shape
    start, steps = side, 0
    while start % 2 == 0 and start // 2 >= 4:
        start, steps = start // 2, steps + 1
    if steps == 0 or start > 7:
        raise ValueError(f"DCGAN needs a side of 4..7 pixels times a power of 2 (e.g. 28 or 32), got {side}")
    widths = [params.base_channels * 2 ** (steps - 1 - i) for i in range(steps)]
    return channels, start, steps, widths


def _attention_side(params, start: int, steps: int) -> int:
    """The hidden side the self-attention block follows (0: none), checked against the layout."""
    sides = [start * 2 ** i for i in range(steps)]
    if params.attention and params.attention not in sides:
        raise ValueError(f"attention must be 0 or the side of a hidden feature map "
                         f"({', '.join(map(str, sides))} for these images), got {params.attention}")
    return params.attention


def _conditional_classes(params, data: DataSpec) -> Optional[int]:
    if not params.conditional:
        return None
    if not data.num_classes:
        raise ValueError("conditional: true needs a dataset with class labels")
    return data.num_classes


def _init_weights(module: nn.Module) -> None:
    """DCGAN's initialisation: N(0, 0.02) weights, N(1, 0.02) batch-norm scales."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if getattr(layer, "bias", None) is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


class DCGANGenerator(nn.Module):
    def __init__(self, params: DCGANGeneratorParams, data: DataSpec):
        super().__init__()
        channels, start, steps, widths = _layout(data, params)
        classes = _conditional_classes(params, data)
        self.latent_dim = params.latent_dim + params.code_categories + params.continuous_codes  # the width of z
        self.conditional = classes is not None
        self.embed = nn.Embedding(classes, params.embed_dim) if classes else None
        in_features = self.latent_dim + (params.embed_dim if classes else 0)
        bn = params.batch_norm
        self.project = nn.Sequential(
            nn.Linear(in_features, widths[0] * start * start, bias=not bn),
            nn.Unflatten(1, (widths[0], start, start)),
            *([nn.BatchNorm2d(widths[0])] if bn else []),
            nn.ReLU(),
        )
        attend = _attention_side(params, start, steps)
        blocks: List[nn.Module] = [SelfAttention(widths[0])] if attend == start else []
        side = start
        for width_in, width_out in zip(widths, widths[1:]):
            side *= 2
            blocks += [nn.ConvTranspose2d(width_in, width_out, 4, 2, 1, bias=not bn),
                       *([nn.BatchNorm2d(width_out)] if bn else []),
                       nn.ReLU(),
                       *([SelfAttention(width_out)] if attend == side else [])]
        blocks += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), Tanh()]
        self.blocks = nn.Sequential(*blocks)
        if params.init == "normal":
            _init_weights(self)

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.conditional:
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.blocks(self.project(z))


class DCGANCodeGenerator(DCGANGenerator):
    """A DCGAN generator whose latent carries InfoGAN's codes: it draws z itself."""

    def __init__(self, params: DCGANGeneratorParams, data: DataSpec):
        super().__init__(params, data)
        self.noise_dim = params.latent_dim
        self.code_categories = params.code_categories  # ganzoo sample --code picks one of these
        self.continuous_codes = params.continuous_codes

    def sample_latent(self, n: int, rng: torch.Generator, code: Optional[int] = None) -> torch.Tensor:
        """[noise (N(0, 1)), one-hot code (uniform over the categories, or ``code``), continuous codes
        (uniform in [-1, 1])], every number from ``rng``, in that order."""
        device = rng.device
        parts = [torch.randn(n, self.noise_dim, device=device, generator=rng)]
        if self.code_categories:
            codes = torch.randint(self.code_categories, (n,), device=device, generator=rng)
            if code is not None:  # drawn all the same, so the continuous codes do not depend on it
                codes.fill_(_code_value(code, self.code_categories))
            parts.append(nn.functional.one_hot(codes, self.code_categories).float())
        elif code is not None:
            raise ValueError("this generator has no categorical code to fix")
        if self.continuous_codes:
            parts.append(torch.rand(n, self.continuous_codes, device=device, generator=rng) * 2 - 1)
        return torch.cat(parts, dim=1)


def _code_value(code: int, categories: int) -> int:
    if not 0 <= code < categories:
        raise ValueError(f"code must be in 0..{categories - 1}, got {code}")
    return code


class DCGANDiscriminator(nn.Module):
    def __init__(self, params: DCGANDiscriminatorParams, data: DataSpec):
        super().__init__()
        channels, start, steps, widths = _layout(data, params)
        classes = _conditional_classes(params, data)
        self.conditional = classes is not None
        self.num_classes = classes
        self.concat = self.conditional and params.conditioning == "concat"
        sn = spectral_norm if params.spectral_norm else (lambda layer: layer)
        widths = widths[::-1]  # large feature maps first
        attend = _attention_side(params, start, steps)
        blocks: List[nn.Module] = []
        in_channels = channels + (classes if self.concat else 0)
        side = data.image_shape[1]
        for index, width in enumerate(widths):
            side //= 2
            blocks.append(sn(nn.Conv2d(in_channels, width, 4, 2, 1)))
            if index > 0:
                blocks += _norm(params.norm, width)
            blocks.append(nn.LeakyReLU(params.negative_slope))
            if params.dropout > 0:
                blocks.append(nn.Dropout2d(params.dropout))
            if attend == side:
                blocks.append(SelfAttention(width, sn))
            in_channels = width
        self.features = nn.Sequential(*blocks, nn.Flatten())
        features = widths[-1] * start * start
        self.logit = sn(nn.Linear(features, 1))
        self.project = (sn(nn.Embedding(classes, features))
                        if self.conditional and not self.concat else None)
        self.classify = sn(nn.Linear(features, _head_classes(params, data))) if params.class_head else None
        self.code_categories, self.continuous_codes = params.code_categories, params.continuous_codes
        codes = params.code_categories + params.continuous_codes
        self.q_head = (nn.Sequential(sn(nn.Linear(features, params.code_hidden)), nn.LeakyReLU(params.negative_slope),
                                     sn(nn.Linear(params.code_hidden, codes)))
                       if codes else None)
        if params.init == "normal":
            _init_weights(self)

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.concat:
            planes = nn.functional.one_hot(labels, self.num_classes).to(x.dtype)
            x = torch.cat([x, planes[:, :, None, None].expand(-1, -1, *x.shape[2:])], dim=1)
        h = self.features(x)
        out = self.logit(h).view(-1)
        if self.project is not None:
            out = out + (self.project(labels) * h).sum(dim=1)
        if self.classify is None and self.q_head is None:
            return out
        return {"logits": out, **self.heads(h)}

    def heads(self, h: torch.Tensor) -> dict:
        """The extra outputs on features ``h``: class logits (ACGAN), code logits and values (InfoGAN's Q)."""
        extras = {}
        if self.classify is not None:
            extras["class_logits"] = self.classify(h)
        if self.q_head is not None:
            q = self.q_head(h)
            if self.code_categories:
                extras["code_logits"] = q[:, :self.code_categories]
            if self.continuous_codes:
                extras["code_values"] = q[:, self.code_categories:]
        return extras


def _norm(kind: str, channels: int) -> List[nn.Module]:
    if kind == "batch":
        return [nn.BatchNorm2d(channels)]
    if kind == "layer":  # over (C, H, W), as the WGAN-GP paper suggests for critics
        return [nn.GroupNorm(1, channels)]
    if kind == "instance":
        return [nn.InstanceNorm2d(channels, affine=True)]
    return []


def _head_classes(params, data: DataSpec) -> int:
    if not data.num_classes:
        raise ValueError("class_head: true needs a dataset with class labels")
    return data.num_classes


def make_dcgan_generator(params: DCGANGeneratorParams, data: DataSpec) -> DCGANGenerator:
    if params.code_categories or params.continuous_codes:
        return DCGANCodeGenerator(params, data)
    return DCGANGenerator(params, data)


def make_dcgan_discriminator(params: DCGANDiscriminatorParams, data: DataSpec) -> DCGANDiscriminator:
    return DCGANDiscriminator(params, data)
