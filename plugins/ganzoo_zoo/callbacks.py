"""Step callbacks of the zoo: weight clipping (WGAN)."""

from dataclasses import dataclass

import torch

from ganzoo import Callback, GanzooError


@dataclass
class ClipWeightsParams:
    role: str = "discriminator"  # the model whose weights are clipped after each of its updates
    clip: float = 0.01  # to [-clip, clip] (Arjovsky et al. 2017)

    def __post_init__(self):
        if not self.clip > 0:
            raise ValueError(f"clip must be greater than 0, got {self.clip}")


class ClipWeights(Callback):
    """WGAN's Lipschitz constraint: after every update of ``role``, each of its weights is clamped
    to [-clip, clip]. Runs after the optimiser step, so autograd never sees it (clipping inside a
    loss fails with autograd's in-place error)."""

    def __init__(self, params: ClipWeightsParams):
        self.role, self.clip = params.role, params.clip
        self.weights = []

    def setup(self, run) -> None:
        if self.role not in run.models:
            raise GanzooError(f"clip-weights: role '{self.role}' is not a model of this run "
                              f"({', '.join(run.models)}); set its role param")
        self.weights = list(run.models[self.role].parameters())

    @torch.no_grad()
    def after_update(self, run, roles) -> None:
        if self.role in roles:
            for weight in self.weights:
                weight.clamp_(-self.clip, self.clip)
