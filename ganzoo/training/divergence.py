"""Noticing non-finite losses and weights, and saying so in one line.

``train.on_nonfinite`` picks what a run does about them:

- ``stop`` (default): the run stops at the next log step (or before any
  checkpoint) with an error naming the steps; the last good checkpoint stays.
- ``skip``: a step whose loss or gradients are not finite is not applied to the
  weights (one host sync per update, the price of knowing at once); the run goes
  on and the log counts the skipped steps. Weights that still turn non-finite
  stop the run as above.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import torch
from torch import nn

from ganzoo.training import checkpoint
from ganzoo.errors import GanzooError

ON_NONFINITE = ("stop", "skip")


def all_finite(tensors: Iterable[torch.Tensor]) -> bool:
    """True when every value of every floating-point tensor is finite (one host sync)."""
    flags = [torch.isfinite(t.detach()).all() for t in tensors if t.is_floating_point() or t.is_complex()]
    return bool(torch.stack(flags).all()) if flags else True


def update_is_finite(loss: torch.Tensor, module: nn.Module) -> bool:
    """True when ``loss`` and the gradients it left on ``module`` are all finite."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return all_finite([loss.reshape(1), *grads])


def first_nonfinite_module(modules: dict[str, nn.Module]) -> Optional[str]:
    """The name of the first module whose weights or buffers are not all finite, else None."""
    for name, module in modules.items():
        if not all_finite([*module.parameters(), *module.buffers()]):
            return name
    return None


def diverged(what: str, since_step: int, step: int, run_dir: Path) -> GanzooError:
    """The one-line error for a run that went non-finite between two steps."""
    found = checkpoint.list_checkpoints(run_dir)
    kept = (f"the last good checkpoint is {found[-1]} (kept as it was)" if found
            else "no checkpoint was written before it")
    when = f"at step {step}" if step - since_step <= 1 else f"in steps {since_step + 1} to {step}"
    return GanzooError(
        f"{what} became non-finite {when}: training diverged; {kept}. Lower the learning rates or change "
        f"the loss and run again, or set train.on_nonfinite=skip to skip such steps"
    )
