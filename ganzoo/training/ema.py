"""An exponential moving average (EMA) of the generator's weights.

With ``train.ema_decay > 0`` the trainer keeps a copy of the generator whose
weights follow the trained ones slowly; it draws the per-epoch samples, is saved
in checkpoints beside the generator, and is what ``ganzoo sample`` loads.
Averaging the weights smooths the oscillation of adversarial training and gives
better samples for free (Yazici et al. 2019; Karras et al. 2018).
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class GeneratorEMA:
    """``model`` holds the average; ``update(generator)`` after every generator step.

    The decay warms up as ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates,
    so the average does not cling to the random initial weights in short runs.
    Buffers (e.g. batch-norm statistics) are copied, not averaged.
    """

    def __init__(self, generator: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(generator).eval().requires_grad_(False)
        # The parameter tensors, listed once (walking the modules cost as much as the update on small
        # models): updates and load_state_dict change them in place, as the optimiser, which holds
        # them too, assumes.
        self._averaged = list(self.model.parameters())
        self._followed: tuple = (None, [])  # (generator, its parameters, detached)

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        decay = min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        if self._followed[0] is not generator:
            self._followed = (generator, [p.detach() for p in generator.parameters()])
        torch._foreach_lerp_(self._averaged, self._followed[1], 1.0 - decay)
        for mine, theirs in zip(self.model.buffers(), generator.buffers()):
            mine.copy_(theirs)
        self.updates += 1

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
