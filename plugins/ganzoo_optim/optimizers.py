"""Optimisers: ``factory(params, parameters)`` returns a ``torch.optim.Optimizer``.

``implementation`` picks torch's update: ``fused`` (one kernel for all tensors),
``foreach`` (one kernel per operation over all tensors) or ``loop`` (per tensor).
``auto`` takes fused where torch has it for the parameters' device, else foreach.
All three compute the same update, up to float rounding.
"""

import math
from dataclasses import dataclass, field
from typing import List

import torch

IMPLEMENTATIONS = ("auto", "fused", "foreach", "loop")


def _check(params, fused_ok: bool = True) -> None:
    if not 0 < params.lr < math.inf:
        raise ValueError(f"lr must be greater than 0 (and finite), got {params.lr}")
    if not 0 <= params.weight_decay < math.inf:
        raise ValueError(f"weight_decay must be at least 0 (and finite), got {params.weight_decay}")
    if params.implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be auto, fused, foreach or loop, got '{params.implementation}'")
    if params.implementation == "fused" and not fused_ok:
        raise ValueError("torch has no fused implementation of RMSprop; use implementation: auto or foreach")
    if hasattr(params, "momentum") and not 0 <= params.momentum < math.inf:
        raise ValueError(f"momentum must be at least 0 (and finite), got {params.momentum}")


@dataclass
class AdamParams:
    lr: float = 2.0e-4
    betas: List[float] = field(default_factory=lambda: [0.9, 0.999])  # GANs usually take [0.5, 0.999]
    eps: float = 1.0e-8
    weight_decay: float = 0.0
    implementation: str = "auto"  # auto | fused | foreach | loop

    def __post_init__(self):
        _check(self)
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), e.g. [0.5, 0.999], got {list(self.betas)}")


@dataclass
class SGDParams:
    lr: float = 2.0e-4
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    implementation: str = "auto"

    def __post_init__(self):
        _check(self)
        if self.nesterov and self.momentum <= 0:
            raise ValueError("nesterov needs momentum greater than 0")


@dataclass
class RMSpropParams:
    lr: float = 2.0e-4
    alpha: float = 0.99
    eps: float = 1.0e-8
    momentum: float = 0.0
    centered: bool = False
    weight_decay: float = 0.0
    implementation: str = "auto"  # torch has no fused RMSprop: auto means foreach

    def __post_init__(self):
        _check(self, fused_ok=False)
        if not 0 <= self.alpha < 1:
            raise ValueError(f"alpha must be in [0, 1), got {self.alpha}")


def _implementation(params, parameters, fused_ok: bool) -> dict:
    choice = params.implementation
    if choice == "auto":
        devices = {p.device.type for p in parameters}
        choice = "fused" if fused_ok and devices <= {"cpu", "cuda"} else "foreach"
    return {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}[choice]


def make_adam(params: AdamParams, parameters) -> torch.optim.Optimizer:
    parameters = list(parameters)
    return torch.optim.Adam(parameters, lr=params.lr, betas=tuple(params.betas), eps=params.eps,
                            weight_decay=params.weight_decay, **_implementation(params, parameters, True))


def make_adamw(params: AdamParams, parameters) -> torch.optim.Optimizer:
    parameters = list(parameters)
    return torch.optim.AdamW(parameters, lr=params.lr, betas=tuple(params.betas), eps=params.eps,
                             weight_decay=params.weight_decay, **_implementation(params, parameters, True))


def make_sgd(params: SGDParams, parameters) -> torch.optim.Optimizer:
    parameters = list(parameters)
    return torch.optim.SGD(parameters, lr=params.lr, momentum=params.momentum, nesterov=params.nesterov,
                           weight_decay=params.weight_decay, **_implementation(params, parameters, True))


def make_rmsprop(params: RMSpropParams, parameters) -> torch.optim.Optimizer:
    parameters = list(parameters)
    return torch.optim.RMSprop(parameters, lr=params.lr, alpha=params.alpha, eps=params.eps, momentum=params.momentum,
                               centered=params.centered, weight_decay=params.weight_decay,
                               **_implementation(params, parameters, False))
