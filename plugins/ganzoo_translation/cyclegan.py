"""CycleGAN (Zhu, Park, Isola and Efros, ICCV 2017): translation between two domains from
unpaired pictures.

Two generators, ``generator`` (A -> B) and ``generator_b2a`` (B -> A), and two discriminators,
``discriminator`` (judges domain B: real B pictures against A -> B outputs) and
``discriminator_a`` (judges domain A). Each step, as the paper's code does:

1. the generators, together, with the discriminators frozen: the adversarial loss of each
   output (the recipe's ``loss``; the paper's is least squares, ``lsgan``), the cycle loss
   ``cycle_weight * (|F(G(a)) - a| + |G(F(b)) - b|)`` (L1, lambda = 10) and the identity loss
   ``identity_weight * cycle_weight * (|G(b) - b| + |F(a) - a|)`` (0.5 * lambda);
2. the discriminators: real pictures of their domain against the outputs of step 1 drawn
   through an image pool of ``pool_size`` past outputs (50 in the paper), one pool per domain.

The pools, with their random generator, are the algorithm's state: a resumed run, and a run in
``--nproc N`` processes (each pool sees the whole batch's outputs), draws what one uninterrupted
process would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

import ganzoo
from ganzoo_translation.image_pool import ImagePool

POOL_SEED_OFFSET = 7  # the pools draw from a stream seeded with the run's seed plus this


@dataclass
class CycleGANParams:
    cycle_weight: float = 10.0  # lambda of the cycle-consistency L1 losses (paper: 10)
    identity_weight: float = 0.5  # the identity loss's weight as a fraction of cycle_weight (paper: 0.5; 0 turns it off)
    pool_size: int = 50  # past outputs each discriminator learns from (paper: 50; 0: the latest batch alone)

    def __post_init__(self):
        if self.cycle_weight < 0 or self.identity_weight < 0:
            raise ValueError("cycle_weight and identity_weight must be at least 0")
        if self.pool_size < 0:
            raise ValueError(f"pool_size must be at least 0, got {self.pool_size}")


def unwrapped(module):
    """The model inside a DistributedDataParallel wrapper (for its attributes)."""
    return module.module if isinstance(module, torch.nn.parallel.DistributedDataParallel) else module


def logits(discriminator, pictures: torch.Tensor) -> torch.Tensor:
    """The discriminator's logits for ``pictures``, one per patch (or per picture), float32."""
    return discriminator(pictures).reshape(-1).float()


def _world() -> tuple[int, int]:
    """(rank, number of processes) of a data-parallel run; (0, 1) otherwise."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def pooled(pool: ImagePool, fakes: torch.Tensor) -> torch.Tensor:
    """``fakes`` (this process's share of the batch) drawn through ``pool``. Under ``--nproc N`` every
    process queries its pool with the whole batch's fakes, in batch order, and takes its share back:
    the pools stay alike in every process and equal to one process's."""
    rank, size = _world()
    if size == 1:
        return pool.query(fakes)
    shares = [torch.empty_like(fakes) for _ in range(size)]
    torch.distributed.all_gather(shares, fakes.detach().contiguous())
    return pool.query(torch.cat(shares)).narrow(0, rank * len(fakes), len(fakes))


class UnpairedTranslation(ganzoo.Algorithm):
    """Two generators between two unpaired domains, ``generator`` (A -> B) and ``generator_b2a``
    (B -> A), each judged by a discriminator of its output domain (``discriminator`` judges B,
    ``discriminator_a`` judges A): what CycleGAN, DiscoGAN and DualGAN share. ``name`` is the
    algorithm's name in its messages."""

    name = "unpaired translation"
    roles = {"generator": "generator", "generator_b2a": "generator", "discriminator": "discriminator",
             "discriminator_a": "discriminator", "loss": "loss"}
    directions = {"a2b": "generator", "b2a": "generator_b2a"}
    generators = ("generator", "generator_b2a")
    discriminators = ("discriminator", "discriminator_a")

    def setup(self, models, losses, data) -> None:
        if data.paired:
            raise ganzoo.GanzooError(f"{self.name} learns from unpaired data (two domains); this dataset is paired: "
                                     "use pix2pix, or a dataset of two domains (mnist-unpaired, unpaired-folder)")
        self.check_models(models, data)

    def check_models(self, models, data) -> None:
        """Each generator maps its side's shape to the other's; the discriminators take one picture alone."""
        a, b = tuple(data.image_shape), tuple(data.target_shape)
        device = next(models["generator"].parameters()).device
        with ganzoo.eval_mode(*(models[role] for role in (*self.generators, *self.discriminators))), torch.no_grad():
            for role, source, target, judge in (("generator", a, b, "discriminator"),
                                                ("generator_b2a", b, a, "discriminator_a")):
                out = models[role](torch.zeros(2, *source, device=device))
                shape = tuple(out.shape[1:]) if isinstance(out, torch.Tensor) else type(out).__name__
                if shape != target:
                    raise ganzoo.ContractViolation(
                        f"as {self.name}'s {role} it must translate {source} pictures to {target}, but it makes "
                        f"{shape}; is its direction set right ({'a2b' if role == 'generator' else 'b2a'})?",
                        models[role])
                if getattr(unwrapped(models[judge]), "conditional_on_input", False):
                    raise ganzoo.GanzooError(f"{self.name}'s {judge} judges pictures alone, without the input; set "
                                             f"{judge}.params.conditional_on_input=false")
                logits(models[judge], out)


class CycleGAN(UnpairedTranslation):
    name = "cyclegan"
    # d_loss and g_loss: both discriminators' losses and both generators' adversarial losses, summed;
    # d_b and d_a: each discriminator's own (a domain the generators win too easily shows here)
    scalars = ("d_loss", "g_loss", "cycle", "identity", "d_b", "d_a")

    def __init__(self, params: Optional[CycleGANParams] = None):
        super().__init__(params if params is not None else CycleGANParams())
        self.pool_b = self.pool_a = None

    def setup(self, models, losses, data) -> None:
        super().setup(models, losses, data)
        self.pool_b = ImagePool(self.params.pool_size, self.derived_seed(POOL_SEED_OFFSET))
        self.pool_a = ImagePool(self.params.pool_size, self.derived_seed(POOL_SEED_OFFSET + 1))

    def train_step(self, batch, step) -> None:
        G, F = step.models["generator"], step.models["generator_b2a"]
        D_b, D_a = step.models["discriminator"], step.models["discriminator_a"]
        loss = step.losses["loss"]
        a, b = batch.images, batch.targets
        p = self.params

        with step.frozen(*self.discriminators):
            fake_b, fake_a = G(a), F(b)
            adv_b = loss.generator_loss(logits(D_b, fake_b), ganzoo.LossContext(D_b, b, fake_b, None, step.index))
            adv_a = loss.generator_loss(logits(D_a, fake_a), ganzoo.LossContext(D_a, a, fake_a, None, step.index))
            cycle = (F(fake_b) - a).abs().mean() + (G(fake_a) - b).abs().mean()
            total = adv_b + adv_a + p.cycle_weight * cycle
            identity = None
            if p.identity_weight > 0:
                identity = (G(b) - b).abs().mean() + (F(a) - a).abs().mean()
                total = total + p.identity_weight * p.cycle_weight * identity
        if step.update(self.generators, total):
            step.log(g_loss=adv_b + adv_a, cycle=cycle, **({"identity": identity} if identity is not None else {}))

        shown_b, shown_a = pooled(self.pool_b, fake_b), pooled(self.pool_a, fake_a)
        d_b = loss.discriminator_loss(logits(D_b, b), logits(D_b, shown_b),
                                      ganzoo.LossContext(D_b, b, shown_b, None, step.index))
        d_a = loss.discriminator_loss(logits(D_a, a), logits(D_a, shown_a),
                                      ganzoo.LossContext(D_a, a, shown_a, None, step.index))
        if step.update(self.discriminators, d_b + d_a):
            step.log(d_loss=d_b + d_a, d_b=d_b, d_a=d_a)

    def state_dict(self):
        return {"pool_b": self.pool_b.state_dict(), "pool_a": self.pool_a.state_dict()}

    def load_state_dict(self, state) -> None:
        self.pool_b.load_state_dict(state["pool_b"])
        self.pool_a.load_state_dict(state["pool_a"])
