"""What the classic algorithms and networks share: checks of a model before the first step, and a
generator's upsampling layers. (Numbers every process of a data-parallel run agrees on come from
``ganzoo.whole_batch``.)"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo import eval_mode

#: the activations the classics' networks offer
ACTIVATIONS = {"elu": nn.ELU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "relu": nn.ReLU}


def device_of(module: torch.nn.Module) -> torch.device:
    return next(module.parameters()).device


def quarter_shape(image_shape, what: str) -> tuple[int, int, int]:
    """(C, H, W) of pictures a network halves twice; a ValueError (one line for the recipe) otherwise."""
    if len(image_shape) != 3 or image_shape[1] % 4 or image_shape[2] % 4:
        raise ValueError(f"{what} needs pictures (C, H, W) with H and W divisible by 4, got shape "
                         f"{tuple(image_shape)}")
    return tuple(image_shape)


def try_in_eval_mode(model: torch.nn.Module, inputs: torch.Tensor, call):
    """``call(model, inputs)`` without gradients in eval mode (a check before the first step)."""
    with eval_mode(model), torch.no_grad():
        return call(model, inputs)


def upsampling_trunk(in_features: int, channels: int, height: int, width: int) -> torch.nn.Sequential:
    """A generator's first layers: fully connected to (2 channels, H/4, W/4), then a transposed
    convolution to (channels, H/2, W/2), each with batch norm and ReLU (DCGAN's)."""
    return nn.Sequential(
        nn.Linear(in_features, 2 * channels * (height // 4) * (width // 4)),
        nn.Unflatten(1, (2 * channels, height // 4, width // 4)), nn.BatchNorm2d(2 * channels), nn.ReLU(),
        nn.ConvTranspose2d(2 * channels, channels, 4, 2, 1), nn.BatchNorm2d(channels), nn.ReLU())


def upsampling_decoder(in_features: int, c: int, channels: int, height: int, width: int, act,
                       batch_norm: bool = False) -> nn.Sequential:
    """The BEGAN paper's decoder, shorter: fully connected to (2c, H/4, W/4), then twice nearest-
    neighbour upsampling and a 3x3 convolution (to c channels), then a 3x3 convolution to ``channels``
    (no output activation). ``act`` builds the activation; ``batch_norm`` after each hidden layer."""
    def norm(width):
        return [nn.BatchNorm2d(width)] if batch_norm else []

    return nn.Sequential(
        nn.Linear(in_features, 2 * c * (height // 4) * (width // 4)),
        nn.Unflatten(1, (2 * c, height // 4, width // 4)), *norm(2 * c), act(),
        nn.Upsample(scale_factor=2), nn.Conv2d(2 * c, c, 3, 1, 1), *norm(c), act(),   # S/2
        nn.Upsample(scale_factor=2), nn.Conv2d(c, c, 3, 1, 1), *norm(c), act(),       # S
        nn.Conv2d(c, channels, 3, 1, 1))


def dcgan_init(module: nn.Module) -> nn.Module:
    """DCGAN's initialisation (Radford et al. 2016), as the zoo's dcgan networks have it: N(0, 0.02)
    weights and zero biases, N(1, 0.02) batch-norm scales."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)
    return module
