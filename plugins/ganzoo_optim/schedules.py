"""Learning-rate schedules: ``factory(params, optimizer, total_steps)`` returns a torch
``LRScheduler`` that the trainer steps once after every training step (``total_steps``
of them in the run); its state is saved in checkpoints. Each built-in one is a
``LambdaLR``: the learning rate is the optimiser's own ``lr`` times a factor of the
step, so a resumed run follows the same curve.
"""

import math
from dataclasses import dataclass

from torch.optim.lr_scheduler import LambdaLR


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def _check_steps(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must be at least 0, got {value}")


@dataclass
class ConstantParams:
    pass


@dataclass
class LinearParams:
    start: float = 0.5  # the share of training after which the decay begins (pix2pix: half of it)
    final: float = 0.0  # the last factor of lr, at the end of training

    def __post_init__(self):
        _check_fraction("start", self.start)
        _check_fraction("final", self.final)


@dataclass
class CosineParams:
    warmup_steps: int = 0  # linear warm-up from 0 over this many steps first
    final: float = 0.0  # the last factor of lr

    def __post_init__(self):
        _check_steps("warmup_steps", self.warmup_steps)
        _check_fraction("final", self.final)


@dataclass
class WarmupParams:
    steps: int = 1000  # steps of the linear warm-up

    def __post_init__(self):
        _check_steps("steps", self.steps)


def make_constant(params: ConstantParams, optimizer, total_steps: int) -> LambdaLR:
    return LambdaLR(optimizer, lambda step: 1.0)


def make_linear(params: LinearParams, optimizer, total_steps: int) -> LambdaLR:
    begin = params.start * total_steps

    def factor(step: int) -> float:
        if step <= begin or total_steps <= begin:
            return 1.0
        done = min(1.0, (step - begin) / (total_steps - begin))
        return 1.0 - done * (1.0 - params.final)

    return LambdaLR(optimizer, factor)


def make_cosine(params: CosineParams, optimizer, total_steps: int) -> LambdaLR:
    warmup = params.warmup_steps

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        span = max(1, total_steps - warmup)
        done = min(1.0, (step - warmup) / span)
        return params.final + (1.0 - params.final) * 0.5 * (1.0 + math.cos(math.pi * done))

    return LambdaLR(optimizer, factor)


def make_warmup(params: WarmupParams, optimizer, total_steps: int) -> LambdaLR:
    steps = params.steps
    return LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / steps) if steps else 1.0)
