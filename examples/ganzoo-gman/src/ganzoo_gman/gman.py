"""GMAN: Generative Multi-Adversarial Networks (Durugkar, Gemp and Mahadevan, ICLR 2017).

One generator, two discriminators (of any architectures). Each discriminator
learns on its own to tell the real batch from a fake one, with the recipe's
adversarial loss. The generator learns against both at once, through a
combination of its losses against each:

- ``combine: mean``: their mean;
- ``combine: softmax``: the paper's GMAN-lambda, sum_i w_i L_i with
  w = softmax(lam * L): the harsher a discriminator (the higher the generator's
  loss against it), the more it counts. ``lam: 0`` is the mean; a large ``lam``
  follows the harshest discriminator alone (the paper's GMAN-max).

The weights are computed from the whole batch's losses and held constant in the
generator's gradient (the paper's objective differentiates through them too):
the gradient is then the weighted sum of the gradients against each
discriminator, and ``--nproc N`` trains the same weights as one process.

Written against ganzoo's public API alone, as any third-party algorithm is.
"""

from dataclasses import dataclass
from typing import Optional

import torch

from ganzoo import Algorithm, Batch, GanzooError, LossContext, TrainStep, generate

COMBINES = ("mean", "softmax")


@dataclass
class GMANParams:
    combine: str = "softmax"  # mean | softmax: how the generator weighs its losses against the discriminators
    lam: float = 1.0  # softmax's lambda: 0 weighs them equally, larger leans on the harsher one

    def __post_init__(self):
        if self.combine not in COMBINES:
            raise ValueError(f"combine must be one of {', '.join(COMBINES)}, got '{self.combine}'")
        if not self.lam >= 0:
            raise ValueError(f"lam must be 0 or more, got {self.lam}")


class GMAN(Algorithm):
    # role -> kind: one recipe section per role, and an optimiser per model role
    roles = {"generator": "generator", "discriminator": "discriminator",
             "discriminator_2": "discriminator", "loss": "loss"}
    # what step.log may be given, in the order metrics.jsonl shows it
    scalars = ("d_loss", "d_loss_2", "g_loss", "weight_2")
    # each discriminator role, and the scalar its loss is logged as
    discriminators = {"discriminator": "d_loss", "discriminator_2": "d_loss_2"}

    def __init__(self, params: Optional[GMANParams] = None):
        super().__init__(params if params is not None else GMANParams())

    def setup(self, models, losses, data):
        """Once, before the first step: what this algorithm needs of the generator."""
        G = models["generator"]
        if getattr(G, "sample_latent", None) is None and not isinstance(getattr(G, "latent_dim", None), int):
            raise GanzooError("algorithm 'gman' needs a generator with an integer latent_dim (or a sample_latent "
                              f"method); {type(G).__name__} has neither")

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        G, loss = step.models["generator"], step.losses["loss"]
        real, labels = batch.images, batch.labels

        # Each discriminator on its own: the real batch against one fake batch, shared.
        with torch.no_grad():
            fake = generate(G, step.latent(), labels)
        for role, scalar in self.discriminators.items():
            ctx = LossContext(step.models[role], real, fake, labels, step.index)
            d_loss = loss.discriminator_loss(ctx.discriminate(real), ctx.discriminate(fake), ctx)
            if step.update(role, d_loss):
                step.log(**{scalar: d_loss})

        # The generator against both, their weights frozen: its gradients reach G alone.
        with step.frozen(*self.discriminators):
            z = step.latent()
            fake = generate(G, z, labels)
            each = torch.stack([self.generator_loss(step.models[role], loss, real, fake, labels, z, step.index)
                                for role in self.discriminators])
            weights = self.weights(whole_batch_mean(each.detach()))
            g_loss = (weights * each).sum()
        if step.update("generator", g_loss):
            step.log(g_loss=g_loss, weight_2=weights[1])

    def generator_loss(self, D, loss, real, fake, labels, z, index) -> torch.Tensor:
        """The generator's loss against one discriminator."""
        ctx = LossContext(D, real, fake, labels, index, latent=z)
        return loss.generator_loss(ctx.discriminate(fake), ctx)

    def weights(self, each: torch.Tensor) -> torch.Tensor:
        """The weight of each discriminator in the generator's loss, from the generator's losses
        against each (they sum to 1)."""
        if self.params.combine == "mean":
            return torch.full_like(each, 1.0 / len(each))
        return torch.softmax(self.params.lam * each, dim=0)


def whole_batch_mean(values: torch.Tensor) -> torch.Tensor:
    """``values``, each a mean over this process's share of the batch, as means over the whole batch.

    Under ``ganzoo run --nproc N`` each process holds 1/N of every batch, and the trainer averages
    gradients, nothing else: a number that weighs the loss must be agreed on by every process,
    or the processes would train other weights than one process does.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        values = values.clone()
        torch.distributed.all_reduce(values)
        values /= torch.distributed.get_world_size()
    return values
