"""The trainer's side of ``ganzoo.TrainStep``: what an algorithm's ``train_step`` calls.

``update(roles, loss)`` is where the trainer's concerns meet every algorithm's
updates alike: gradients zeroed and back-propagated outside autocast (the loss
scaled first under ``train.precision: fp16``, the gradients unscaled after),
averaged over processes, checked for non-finite values (``train.on_nonfinite``),
the optimisers stepped, then the after-update work (EMA of the sampled generator).
``log`` keeps running sums on the device: the only host syncs are at logging.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import torch

from ganzoo.training import distributed, divergence
from ganzoo.algorithm import TrainStep
from ganzoo.errors import GanzooError
from ganzoo.model_calls import set_requires_grad


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


class Step(TrainStep):
    """One run's ``TrainStep``: the trainer builds it once and moves ``index`` along."""

    def __init__(self, *, models: Mapping[str, torch.nn.Module], losses: Mapping[str, Any],
                 optimizer_steps: Mapping[str, Callable[[], None]], optimizers: Mapping[str, torch.optim.Optimizer],
                 latent: Callable[[str], torch.Tensor], window: Callable[[], Window], world: distributed.World,
                 device: torch.device, skip_nonfinite: bool, autocast: bool = False,
                 scaler: Optional[torch.amp.GradScaler] = None,
                 after_update: Sequence[Callable[[Sequence[str]], None]] = ()):
        self.models, self.losses = models, losses
        self.optimizer_steps, self.optimizers = optimizer_steps, optimizers
        self._latent, self._window = latent, window
        self.world, self.device, self.skip_nonfinite = world, device, skip_nonfinite
        self.autocast = autocast  # the step runs under autocast: backward passes leave it
        self.scaler = scaler  # fp16's gradient scaler, or None
        self.after_update: List[Callable[[Sequence[str]], None]] = list(after_update)
        self.index = 0
        # the parameters each role trains, read once: freezing and unfreezing must not walk modules every step
        self.trained = {role: [p for p in model.parameters() if p.requires_grad] for role, model in models.items()}

    def latent(self, role: str = "generator") -> torch.Tensor:
        return self._latent(role)

    def update(self, roles: Union[str, Sequence[str]], loss: torch.Tensor) -> bool:
        roles = self._roles(roles)
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            what = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise GanzooError(f"step.update({', '.join(roles)}) was given a loss of {what}; give a scalar tensor "
                              "(e.g. loss.mean())")
        if not loss.requires_grad:
            raise GanzooError(f"step.update({', '.join(roles)}) was given a loss without gradients: it does not "
                              "depend on any trained weights (was it computed under torch.no_grad or detached?)")
        for role in roles:
            self.optimizers[role].zero_grad(set_to_none=True)
        scaled = loss if self.scaler is None else self.scaler.scale(loss)
        if self.autocast:
            with torch.autocast(self.device.type, enabled=False):
                scaled.backward()
        else:
            scaled.backward()
        if self.world.distributed:
            distributed.average_gradients([p for role in roles for p in self.trained[role]], self.world)
        if self.scaler is None:
            return self.apply(roles, loss.detach())
        for role in roles:  # every check and the optimisers see the true gradients
            self.scaler.unscale_(self.optimizers[role])
        return self._apply(roles, loss.detach(), self.scaler)

    def _apply(self, roles: Sequence[str], loss: torch.Tensor, scaler: Optional[torch.amp.GradScaler]) -> bool:
        """Step the roles' optimisers; with ``scaler``, through it: an update whose gradients
        overflowed float16 is skipped, counted in the window's ``skipped`` and the scale lowered
        (torch's GradScaler). Every role of the update is skipped when any overflowed, as under
        train.on_nonfinite=skip, so the roles of one update are applied together or not at all."""
        checked = self.skip_nonfinite or scaler is not None  # fp16 checks the unscaled gradients anyway
        if checked and not self._finite(roles, loss):
            window = self._window()
            window.skipped += 1
            if scaler is not None:
                if not distributed.any_rank(not divergence.all_finite([loss]), self.world, self.device):
                    window.overflowed += 1  # the loss is fine: a lower scale mends it
                scaler.update()  # lowers the scale: the unscaled gradients were not finite
            return False
        for role in roles:
            if scaler is None:
                self.optimizer_steps[role]()
            else:
                scaler.step(self.optimizers[role])
        if scaler is not None:
            scaler.update()
        for hook in self.after_update:
            hook(roles)
        return True

    def apply(self, roles: Union[str, Sequence[str]], loss: torch.Tensor) -> bool:
        """Step the optimisers of ``roles`` on the gradients their models hold (``update`` without the
        backward pass, for steps that compute gradients themselves), unless train.on_nonfinite=skip
        refuses them."""
        return self._apply(self._roles(roles), loss, None)  # gradients computed here are not scaled

    def _finite(self, roles: Sequence[str], loss: torch.Tensor) -> bool:
        """Whether to apply this update. Each process sees its own loss, so all of them agree to skip
        when any would: otherwise their weights would part ways."""
        grads = [p.grad for role in roles for p in self.trained[role] if p.grad is not None]
        finite = divergence.all_finite([loss.reshape(1), *grads])
        return not distributed.any_rank(not finite, self.world, self.device)

    @contextlib.contextmanager
    def frozen(self, *roles: str):
        params = [p for role in self._roles(roles) for p in self.trained[role]]
        set_requires_grad(params, False)
        try:
            yield
        finally:
            set_requires_grad(params, True)

    def log(self, **scalars: Any) -> None:
        self._window().add(scalars, finite_only=self.skip_nonfinite)

    def log_latest(self, **scalars: Any) -> None:
        self._window().put(scalars, finite_only=self.skip_nonfinite)

    def _roles(self, roles: Union[str, Sequence[str]]) -> Sequence[str]:
        roles = (roles,) if isinstance(roles, str) else tuple(roles)
        for role in roles:
            if role not in self.optimizers:
                trained = ", ".join(self.optimizers)
                raise GanzooError(f"the algorithm updated '{role}', which is not one of its trained roles ({trained})")
        return roles
