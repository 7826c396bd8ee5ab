"""The log window: running sums of the scalars an algorithm logs (``step.log``, ``step.log_latest``) since
the last logged record, kept on the device, so the only host syncs are at logging steps."""

from __future__ import annotations

import time
from typing import Any, Dict, Mapping, Sequence

import torch

from ganzoo.errors import GanzooError


class Window:
    """Running sums of the logged scalars since the last log, on the device (no host sync).

    Each group of names logged together keeps its own running sum (one in-place add a call,
    its count on the host); ``sums`` and ``counts`` fold them into one vector when read, at
    log steps and checkpoints."""

    def __init__(self, names: Sequence[str], device: torch.device, start_step: int = 0):
        self.names = tuple(names)
        self.position = {name: i for i, name in enumerate(self.names)}
        self._sums = torch.zeros(len(self.names), device=device)
        self._counts = torch.zeros(len(self.names), device=device)
        self._pending: Dict[tuple, list] = {}  # names logged together -> [their sums, how many times]
        self.skipped = 0  # updates left out for non-finite values (train.on_nonfinite=skip, fp16 overflow)
        self.overflowed = 0  # of those, fp16 updates whose loss was finite: the scaler lowers the scale for them
        self.start_step = start_step  # the step the window opened after
        self.images = 0
        self.started = time.perf_counter()
        self._index: Dict[tuple, torch.Tensor] = {}  # names logged together -> their positions

    def add(self, scalars: Mapping[str, Any], finite_only: bool) -> None:
        """Add one value per name; with ``finite_only``, non-finite values are left out of the means."""
        names = tuple(scalars)
        index = self._index.get(names)
        if index is None:
            unknown = [name for name in names if name not in self.position]
            if unknown:
                raise GanzooError(f"the algorithm logged '{unknown[0]}', which is not among the scalars it declares "
                                  f"({', '.join(self.names) or 'none'}); add it to the algorithm's scalars")
            self._index[names] = torch.tensor([self.position[name] for name in names], device=self._sums.device)
        values = torch.stack([_as_scalar(value, name, self._sums) for name, value in scalars.items()])
        count: Any = 1
        if finite_only:
            finite = torch.isfinite(values)
            values, count = torch.where(finite, values, torch.zeros_like(values)), finite.float()
        pending = self._pending.get(names)
        if pending is None:
            if any(names_ & set(names) for names_ in map(set, self._pending)):
                self._fold()  # a name of another group: one running sum per name at a time
            # the group's sums go on from the folded ones, so they add up in the order logged
            self._pending[names] = [self._sums.index_select(0, self._index[names]).add_(values), count]
        else:
            pending[0].add_(values)
            pending[1] = pending[1] + count

    def put(self, scalars: Mapping[str, Any], finite_only: bool) -> None:
        """Set each name to its value as it stands, replacing what the window held for it: logged as
        that value, not a mean (a non-finite value is left out under ``finite_only``)."""
        names = tuple(scalars)
        self.add(scalars, finite_only)  # checks the names and converts the values like any scalar
        self._fold()
        index = self._index[names]
        values = torch.stack([_as_scalar(value, name, self._sums) for name, value in scalars.items()])
        counts = torch.isfinite(values).float() if finite_only else torch.ones_like(values)
        self._sums.index_copy_(0, index, torch.where(counts > 0, values, torch.zeros_like(values)))
        self._counts.index_copy_(0, index, counts)

    @property
    def sums(self) -> torch.Tensor:
        self._fold()
        return self._sums

    @property
    def counts(self) -> torch.Tensor:
        self._fold()
        return self._counts

    def _fold(self) -> None:
        for names, (sums, count) in self._pending.items():
            index = self._index[names]
            self._sums.index_copy_(0, index, sums)
            self._counts.index_add_(0, index, count if isinstance(count, torch.Tensor)
                                    else torch.full_like(sums, float(count)))
        self._pending.clear()

    def state(self) -> dict:
        return {"names": list(self.names), "sums": self.sums.cpu(), "counts": self.counts.cpu(),
                "skipped": self.skipped, "overflowed": self.overflowed, "start_step": self.start_step}

    def load(self, state: dict) -> None:
        if tuple(state["names"]) != self.names:
            raise ValueError(f"the checkpoint logs {', '.join(state['names'])}, this algorithm "
                             f"{', '.join(self.names)}")
        self._pending.clear()
        self._sums.copy_(state["sums"])
        self._counts.copy_(state["counts"])
        self.skipped = int(state.get("skipped", 0))
        self.overflowed = int(state.get("overflowed", 0))
        self.start_step = int(state.get("start_step", self.start_step))

    @property
    def nonfinite_losses(self) -> int:
        """Updates skipped for a non-finite loss (not a float16 overflow of finite losses' gradients)."""
        return self.skipped - self.overflowed


def _as_scalar(value: Any, name: str, like: torch.Tensor) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.dim() == 0 and value.dtype == like.dtype:  # the usual: a loss or a mean, as it is
            return value.detach()
        if value.numel() != 1:
            raise GanzooError(f"the algorithm logged '{name}' as a tensor of shape {tuple(value.shape)}; "
                              "log scalars (e.g. loss.mean())")
        return value.detach().reshape(()).to(like.dtype)
    try:
        return torch.tensor(float(value), device=like.device)
    except (TypeError, ValueError):
        raise GanzooError(f"the algorithm logged '{name}' as {type(value).__name__}; log numbers or "
                          "0-d tensors") from None
