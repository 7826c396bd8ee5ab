"""The default algorithm, ``gan``: alternating discriminator and generator updates.

Goodfellow et al. 2014, as every GAN since has trained it: the discriminator
learns to tell a real batch from a fresh fake one; every ``d_steps``
discriminator steps the generator learns to fool it, with the discriminator's
weights frozen. The adversarial loss (BCE, least squares, hinge, Wasserstein...)
is the recipe's ``loss`` component. A loss with state of its own (``state_dict`` and
``load_state_dict``, e.g. LeCam's running means) is saved in the algorithm's checkpoint state
and restored on resume.

Subclass it to add to the step: ``discriminator_terms`` and ``generator_terms``
add loss terms (an auxiliary classifier, mutual information) computed from the
same forward passes, which the ``LossContext`` holds: the latent, and the
discriminator's extra outputs (``real_extras``, ``fake_extras``).

Top-k training (Sinha et al. 2020, ``top_k: true``): only the k fakes the discriminator
scores highest count in the generator's adversarial loss; the others, which D already
rejects and whose gradients point away from the data, are left out. k starts at the batch
size and shrinks by ``top_k_decay`` every ``top_k_every`` training steps down to the share
``top_k_min`` of the batch: a function of the step alone, so a resumed run selects as an
uninterrupted one does.

Reused fakes (``reuse_fakes: true``; PyTorch's DCGAN example trains this way): the generator's
step judges the fake batch the discriminator's step drew, through the graph G's pass kept,
instead of drawing and generating a fresh one: one generator pass fewer a step, and one latent
drawn a step instead of two. A recipe's choice, as it changes what each G step sees.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional, Tuple

import torch

from ganzoo.algorithm import Algorithm, Batch, TrainStep
from ganzoo.errors import ContractViolation
from ganzoo.losses import LossContext, scalar
from ganzoo.model_calls import discriminator_outputs, draw_latent, eval_mode, generate


@dataclass
class GANParams:
    d_steps: int = 1  # discriminator steps per generator step (n_critic; 5 for WGAN)
    # k = max(ceil(top_k_min * N), floor(N * top_k_decay ** (step // top_k_every))) of N fakes
    top_k: bool = False  # top-k training (Sinha et al. 2020): G's loss reads only the k fakes D scores highest
    top_k_decay: float = 0.99  # gamma: k's factor every top_k_every steps (the paper: every epoch)
    top_k_every: int = 500  # training steps between two decays (about an MNIST epoch at batch 128)
    top_k_min: float = 0.5  # nu: the least share of the batch that counts
    reuse_fakes: bool = False  # G's step judges the D step's fakes again, not fresh ones: one G pass fewer a step

    def __post_init__(self):
        if self.d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {self.d_steps}")
        if not 0.0 < self.top_k_decay <= 1.0:
            raise ValueError(f"top_k_decay must be in (0, 1], got {self.top_k_decay}")
        if self.top_k_every < 1:
            raise ValueError(f"top_k_every must be at least 1, got {self.top_k_every}")
        if not 0.0 < self.top_k_min <= 1.0:
            raise ValueError(f"top_k_min must be in (0, 1], got {self.top_k_min}")


class GAN(Algorithm):
    roles = {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
    scalars = ("d_loss", "g_loss", "d_real", "d_fake")  # D(x) and D(G(z)): sigmoid of the logits, averaged
    generator_roles = ("generator",)  # the roles the generator's update steps

    def __init__(self, params: Optional[GANParams] = None):
        super().__init__(params if params is not None else GANParams())

    def setup(self, models, losses, data) -> None:
        """Check the models against the data once, on two samples, before any step."""
        self.stateful_losses = {role: loss for role, loss in losses.items()
                                if callable(getattr(loss, "state_dict", None))}
        G, D = models["generator"], models["discriminator"]
        latent = getattr(G, "latent_dim", None)
        if not isinstance(latent, int) or isinstance(latent, bool) or latent < 1:
            raise ContractViolation("has no positive integer latent_dim attribute, which the gan algorithm "
                                    "draws its noise by", G)
        device = next(G.parameters()).device
        labels = torch.zeros(2, dtype=torch.long, device=device) if data.num_classes else None
        with eval_mode(G, D):
            with torch.no_grad():
                images = generate(G, draw_latent(G, 2, torch.Generator(device).manual_seed(0)), labels)
                if tuple(images.shape[1:]) != tuple(data.image_shape):
                    raise ContractViolation(f"makes samples of shape {tuple(images.shape[1:])}, but the data's are "
                                            f"{tuple(data.image_shape)}", G)
                _, extras = discriminator_outputs(D, images, labels)
            self.check_extras(extras, models, data)

    def state_dict(self) -> dict:
        """The state of the losses that keep one (none: {}), by role."""
        losses = {role: loss.state_dict() for role, loss in getattr(self, "stateful_losses", {}).items()}
        return {"losses": losses} if losses else {}

    def load_state_dict(self, state: dict) -> None:
        for role, saved in (state.get("losses") or {}).items():
            if role in getattr(self, "stateful_losses", {}):
                self.stateful_losses[role].load_state_dict(saved)

    def check_extras(self, extras, models, data) -> None:
        """Called by ``setup`` with the discriminator's extra outputs on two fake images (a dict,
        empty for a discriminator that returns logits alone): a subclass that reads extras checks
        here that they are there, raising ``ganzoo.ContractViolation(message, component)``."""

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        generator_step = self.generator_steps_after(step.index)
        # (keep_fakes only when asked, so a subclass's discriminator_step of the older signature still runs)
        fakes = (self.discriminator_step(batch, step, keep_fakes=True) if generator_step and self.params.reuse_fakes
                 else self.discriminator_step(batch, step))
        if fakes is not None:
            self.generator_step(batch, step, fakes=fakes)
        elif generator_step:
            self.generator_step(batch, step)

    def discriminator_step(self, batch: Batch, step: TrainStep,
                           keep_fakes: bool = False) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        """The real batch against a fresh fake batch. With ``keep_fakes`` (``reuse_fakes``, when a G step
        follows) G's pass keeps its graph and the step returns (latent, fakes) for that G step."""
        G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
        real, labels = batch.images, batch.labels
        with torch.set_grad_enabled(keep_fakes):
            z = step.latent()
            kept = generate(G, z, labels)
        fake = kept.detach()
        (real_logits, real_extras), (fake_logits, fake_extras) = (discriminator_outputs(D, real, labels),
                                                                  discriminator_outputs(D, fake, labels))
        ctx = LossContext(D, real, fake, labels, step.index, z, real_extras, fake_extras)
        d_loss = scalar(loss.discriminator_loss(real_logits, fake_logits, ctx), loss, "discriminator_loss")
        extra = self.discriminator_terms(ctx, step)
        if step.update("discriminator", d_loss if extra is None else d_loss + extra):
            step.log(d_loss=d_loss, d_real=torch.sigmoid(real_logits).mean(), d_fake=torch.sigmoid(fake_logits).mean())
        return (z, kept) if keep_fakes else None

    def generator_step(self, batch: Batch, step: TrainStep,
                       fakes: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> None:
        """A fresh fake batch (or ``fakes``, the D step's latent and images, with G's graph), judged by
        the discriminator, whose weights get no gradients."""
        G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
        real, labels = batch.images, batch.labels
        with step.frozen("discriminator"):
            if fakes is None:
                z = step.latent()
                fake = generate(G, z, labels)
            else:
                z, fake = fakes
            fake_logits, fake_extras = discriminator_outputs(D, fake, labels)
            ctx = LossContext(D, real, fake, labels, step.index, z, fake_extras=fake_extras)
            g_loss = scalar(loss.generator_loss(*self.top_k_fakes(fake_logits, ctx, step.index)), loss,
                            "generator_loss")
            extra = self.generator_terms(ctx, step)
        if step.update(self.generator_roles, g_loss if extra is None else g_loss + extra):
            step.log(g_loss=g_loss)

    def discriminator_terms(self, ctx: LossContext, step: TrainStep) -> Optional[torch.Tensor]:
        """Loss terms added to the discriminator's (None: none). ``ctx`` holds this step's batches,
        latent and the discriminator's extra outputs; log them with ``step.log``."""
        return None

    def generator_terms(self, ctx: LossContext, step: TrainStep) -> Optional[torch.Tensor]:
        """Loss terms added to the generator's (None: none)."""
        return None

    def top_k(self, index: int, batch: int) -> int:
        """How many of a batch of ``batch`` fakes count in the generator's loss at training step ``index``."""
        p = self.params
        if not p.top_k:
            return batch
        decayed = math.floor(batch * p.top_k_decay ** (index // p.top_k_every))
        return min(batch, max(math.ceil(p.top_k_min * batch), decayed, 1))

    def top_k_fakes(self, fake_logits: torch.Tensor, ctx: LossContext,
                    index: int) -> Tuple[torch.Tensor, LossContext]:
        """The logits and context the generator's loss reads at step ``index``: all of them, or
        with top-k training the ``top_k`` fakes D scores highest (and the real images, labels,
        latents and extras of the same rows)."""
        k = self.top_k(index, fake_logits.shape[0])
        if k >= fake_logits.shape[0]:
            return fake_logits, ctx
        rows = fake_logits.detach().topk(k).indices

        def pick(tensor):
            return tensor if tensor is None else tensor.index_select(0, rows)

        return fake_logits.index_select(0, rows), dataclasses.replace(
            ctx, real=pick(ctx.real), fake=pick(ctx.fake), labels=pick(ctx.labels), latent=pick(ctx.latent),
            real_extras={key: pick(value) for key, value in ctx.real_extras.items()},
            fake_extras={key: pick(value) for key, value in ctx.fake_extras.items()})

    def generator_steps_after(self, index: int) -> bool:
        """Whether the generator takes a step in training step ``index`` (0-based)."""
        return (index + 1) % self.params.d_steps == 0
