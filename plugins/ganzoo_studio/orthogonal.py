"""BigGAN's orthogonal regularisation (Brock et al. 2019): R = beta * sum over the weights W of a
model (each flattened to one row per output) of ||W W^T * (1 - I)||_F^2, which pushes the rows of
every weight towards orthogonality without constraining their norms.

BigGAN adds the gradient of R, 2 beta (W W^T * (1 - I)) W (its code's convention), to each weight's
gradient before the optimiser step. As a callback, after each update of ``role`` (the generator),
this applies it as a decoupled step, W <- W - strength * 2 (W W^T * (1 - I)) W, as AdamW decouples
weight decay from Adam. Weights of one row or one column (biases, gains) are left alone.
"""

from dataclasses import dataclass

import torch

from ganzoo import Callback, GanzooError


@dataclass
class OrthogonalParams:
    role: str = "generator"  # the model whose weights it regularises
    strength: float = 1.0e-4  # beta (BigGAN's 1e-4)

    def __post_init__(self):
        if self.strength < 0:
            raise ValueError(f"strength must be at least 0, got {self.strength}")


def orthogonal_gradient(weight: torch.Tensor) -> torch.Tensor:
    """2 (W W^T * (1 - I)) W for W flattened to (rows, -1), in ``weight``'s shape.

    For a tall W (more rows than columns: a linear layer that makes a feature map from a short
    latent, 3136 x 36 in biggan_mnist) it is computed as 2 (W (W^T W) - diag(W W^T) W), the same
    product in rows x columns^2 operations instead of rows^2 x columns (0.1 s of each 0.35 s
    training step on one thread there)."""
    w = weight.reshape(weight.shape[0], -1)
    if w.shape[0] > w.shape[1]:
        product = w @ (w.t() @ w) - w.pow(2).sum(dim=1, keepdim=True) * w
    else:
        gram = w @ w.t()
        product = (gram - torch.diag_embed(torch.diagonal(gram))) @ w
    return (2 * product).view_as(weight)


class Orthogonal(Callback):
    def __init__(self, params: OrthogonalParams):
        self.role, self.strength = params.role, params.strength
        self.weights = []

    def setup(self, run) -> None:
        if self.role not in run.models:
            raise GanzooError(f"orthogonal: role '{self.role}' is not a model of this run ({', '.join(run.models)}); "
                              "set its role param")
        # spectrally normalised layers keep their free weight as parametrizations.weight.original
        self.weights = [p for name, p in run.models[self.role].named_parameters()
                        if p.dim() >= 2 and p.shape[0] > 1 and not name.endswith("shared.weight")]

    @torch.no_grad()
    def after_update(self, run, roles) -> None:
        if self.role in roles and self.strength > 0:
            for weight in self.weights:
                weight.sub_(self.strength * orthogonal_gradient(weight))
