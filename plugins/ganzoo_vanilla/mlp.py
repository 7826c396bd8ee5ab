"""Multi-layer perceptron generator and discriminator."""

from dataclasses import dataclass, field
from math import prod
from typing import List

from torch import nn

from ganzoo import DataSpec, Tanh

ACTIVATIONS = ("relu", "leaky_relu")


@dataclass
class MLPGeneratorParams:
    latent_dim: int = 100
    hidden: List[int] = field(default_factory=lambda: [128, 64])
    activation: str = "relu"  # relu | leaky_relu
    negative_slope: float = 0.2  # of leaky_relu
    batch_norm: bool = False  # after every hidden layer but the first (see batch_norm_first)
    batch_norm_first: bool = False
    batch_norm_eps: float = 1e-5
    dropout: float = 0.0

    def __post_init__(self):
        _check_common(self)
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be at least 1, got {self.latent_dim}")


@dataclass
class MLPDiscriminatorParams:
    hidden: List[int] = field(default_factory=lambda: [64, 128])
    activation: str = "relu"  # relu | leaky_relu
    negative_slope: float = 0.2
    batch_norm: bool = False
    batch_norm_first: bool = False
    batch_norm_eps: float = 1e-5
    dropout: float = 0.0

    def __post_init__(self):
        _check_common(self)


def _check_common(params) -> None:
    if params.activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got '{params.activation}'")
    if not params.hidden or any(width < 1 for width in params.hidden):
        raise ValueError(f"hidden must list one or more positive widths, got {list(params.hidden)}")
    if not 0.0 <= params.dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {params.dropout}")


def _hidden_layers(in_features: int, params) -> List[nn.Module]:
    layers: List[nn.Module] = []
    for index, width in enumerate(params.hidden):
        layers.append(nn.Linear(in_features, width))
        if params.batch_norm and (index > 0 or params.batch_norm_first):
            layers.append(nn.BatchNorm1d(width, eps=params.batch_norm_eps))
        if params.activation == "relu":
            layers.append(nn.ReLU())
        else:
            layers.append(nn.LeakyReLU(params.negative_slope))
        if params.dropout > 0:
            layers.append(nn.Dropout(params.dropout))
        in_features = width
    return layers


class MLPGenerator(nn.Module):
    def __init__(self, params: MLPGeneratorParams, data: DataSpec):
        super().__init__()
        self.latent_dim = params.latent_dim
        self.image_shape = tuple(data.image_shape)
        self.net = nn.Sequential(
            *_hidden_layers(params.latent_dim, params),
            nn.Linear(params.hidden[-1], prod(self.image_shape)),
            Tanh(),  # torch.nn.Tanh's values, faster on the CPU
        )

    def forward(self, z):
        return self.net(z).view(z.shape[0], *self.image_shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, params: MLPDiscriminatorParams, data: DataSpec):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            *_hidden_layers(prod(data.image_shape), params),
            nn.Linear(params.hidden[-1], 1),
        )

    def forward(self, x):
        return self.net(x).view(-1)


def make_mlp_generator(params: MLPGeneratorParams, data: DataSpec) -> MLPGenerator:
    return MLPGenerator(params, data)


def make_mlp_discriminator(params: MLPDiscriminatorParams, data: DataSpec) -> MLPDiscriminator:
    return MLPDiscriminator(params, data)
