"""The trainer's side of ``ganzoo.TrainStep``: what an algorithm's ``train_step`` calls.

``update(roles, loss)`` is where the trainer's concerns meet every algorithm's
updates alike: gradients zeroed and back-propagated outside autocast (the loss
scaled first under ``train.precision: fp16``, the gradients unscaled after),
averaged over processes, checked for non-finite values (``train.on_nonfinite``),
the optimisers stepped, then the after-update work (EMA of the sampled generator).
``log`` keeps running sums on the device (ganzoo.training.log_window): the only host syncs are at logging.

``StepContext.apply_gradients`` is not part of the ``TrainStep`` contract: it is how ganzoo.fast's fused
steps, which compute their gradients by hand, hand them over; algorithms call ``update``.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, List, Mapping, Optional, Sequence, Union

import torch

from ganzoo.training import distributed, divergence
from ganzoo.algorithm import TrainStep
from ganzoo.errors import GanzooError
from ganzoo.model_calls import set_requires_grad
from ganzoo.training.log_window import Window


class StepContext(TrainStep):
    """One run's ``TrainStep``, what each call of ``train_step`` gets: the trainer builds it once and moves
    ``index`` along."""

    def __init__(self, *, models: Mapping[str, torch.nn.Module], losses: Mapping[str, Any],
                 optimizer_updates: Mapping[str, Callable[[], None]], optimizers: Mapping[str, torch.optim.Optimizer],
                 latent: Callable[[str], torch.Tensor], window: Callable[[], Window], world: distributed.World,
                 device: torch.device, skip_nonfinite: bool, autocast: bool = False,
                 scaler: Optional[torch.amp.GradScaler] = None,
                 after_update: Sequence[Callable[[Sequence[str]], None]] = ()):
        self.models, self.losses = models, losses
        self.optimizer_updates, self.optimizers = optimizer_updates, optimizers
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
            return self.apply_gradients(roles, loss.detach())
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
                self.optimizer_updates[role]()
            else:
                scaler.step(self.optimizers[role])
        if scaler is not None:
            scaler.update()
        for hook in self.after_update:
            hook(roles)
        return True

    def apply_gradients(self, roles: Union[str, Sequence[str]], loss: torch.Tensor) -> bool:
        """Step the optimisers of ``roles`` on the gradients their models hold (``update`` without the
        backward pass, for ganzoo.fast's fused steps, which compute gradients themselves), unless
        train.on_nonfinite=skip refuses them. Not part of the ``TrainStep`` contract."""
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
