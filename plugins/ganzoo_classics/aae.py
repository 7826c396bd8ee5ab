"""AAE: the adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow and Frey 2015).

An autoencoder whose codes are pushed to a prior by a discriminator on codes. Three models:
``encoder`` (pictures -> codes: any encoder), ``generator`` (the decoder: codes -> pictures, any
generator; the prior is its latent, N(0, I) unless it draws its own) and ``discriminator`` (codes
-> a logit: a network such as ``code-mlp``). Each step, as the paper's:

1. reconstruction: encoder and decoder together minimise the pixel error |Dec(Enc(x)) - x|
   (``reconstruction: l1`` or ``l2``);
2. regularisation, the discriminator: codes drawn from the prior (real) against the encoder's
   codes of the batch (fake), with the recipe's adversarial ``loss``;
3. regularisation, the encoder: the generator side of that loss on its codes, weighted by
   ``adversarial_weight``, the discriminator frozen.

Once the codes match the prior, the decoder turns any draw from the prior into a picture: the
run's grids, ``ganzoo sample`` and ``ganzoo eval`` show the decoder's samples from the prior.
AAE keeps no state between steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ganzoo import Algorithm, Batch, ContractViolation, LossContext, TrainStep, eval_mode, first_line
from ganzoo_classics.common import device_of

RECONSTRUCTIONS = ("l1", "l2")


@dataclass
class AAEParams:
    reconstruction: str = "l2"  # l1 | l2: the pixel error of the reconstruction phase
    adversarial_weight: float = 1.0  # weight of the encoder's adversarial loss in its regularisation update

    def __post_init__(self):
        if self.reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {', '.join(RECONSTRUCTIONS)}, got "
                             f"'{self.reconstruction}'")
        if not self.adversarial_weight > 0:
            raise ValueError(f"adversarial_weight must be greater than 0, got {self.adversarial_weight}")


class AAE(Algorithm):
    # the discriminator judges codes, not pictures: a network, called as D(codes) -> (N,) logits
    roles = {"generator": "generator", "encoder": "encoder", "discriminator": "network", "loss": "loss"}
    # recon: the reconstruction error; d_loss: D's loss, prior codes against the encoder's; g_loss: the
    # encoder's adversarial loss; d_real, d_fake: D's mean probability that a prior draw, an encoder code, is real
    scalars = ("recon", "d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, params: Optional[AAEParams] = None):
        super().__init__(params if params is not None else AAEParams())

    def setup(self, models, losses, data) -> None:
        """The encoder's codes fit the decoder and the discriminator; the decoder remakes pictures."""
        E, G, D = models["encoder"], models["generator"], models["discriminator"]
        with eval_mode(E, G, D), torch.no_grad():
            images = torch.zeros(2, *data.image_shape, device=device_of(E))
            codes = E(images)
            width = getattr(G, "latent_dim", None)
            if not isinstance(codes, torch.Tensor) or codes.dim() != 2 or codes.shape[1] != width:
                shape = tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__
                raise ContractViolation(f"makes codes of shape {shape} for 2 pictures; aae needs (2, {width}), "
                                        "the decoder's latent_dim", E,
                                        remedy="give the encoder the decoder's size (encoder.params.latent_dim = "
                                               "generator.params.latent_dim)")
            out = G(codes)
            if tuple(out.shape[1:]) != tuple(data.image_shape):
                raise ContractViolation(f"makes pictures of shape {tuple(out.shape[1:])}; the data's are "
                                        f"{tuple(data.image_shape)}", G)
            try:
                logits = D(codes)
            except RuntimeError as error:
                raise ContractViolation(f"cannot judge codes of size {width} ({first_line(error)})", D,
                                        remedy="give it the codes' size (discriminator.params.code_dim = "
                                               "encoder.params.latent_dim)") from error
            if not isinstance(logits, torch.Tensor) or logits.reshape(-1).shape != (2,):
                raise ContractViolation("must return one logit per code", D)

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        E, G, D = step.models["encoder"], step.models["generator"], step.models["discriminator"]
        loss, real = step.losses["loss"], batch.images

        # 1. reconstruction: encoder and decoder
        error = G(E(real)) - real
        recon = (error.abs() if self.params.reconstruction == "l1" else error.pow(2)).mean()
        if step.update(("encoder", "generator"), recon):
            step.log(recon=recon)

        # 2. the discriminator: draws from the prior (real) against the encoder's codes (fake)
        prior = step.latent("generator")
        with torch.no_grad():
            codes = E(real)
        prior_logits, code_logits = logits(D, prior), logits(D, codes)
        ctx = LossContext(D, prior, codes, None, step.index)
        d_loss = loss.discriminator_loss(prior_logits, code_logits, ctx)
        if step.update("discriminator", d_loss):
            step.log(d_loss=d_loss, d_real=torch.sigmoid(prior_logits).mean(), d_fake=torch.sigmoid(code_logits).mean())

        # 3. the encoder, to make codes the discriminator takes for draws from the prior
        with step.frozen("discriminator"):
            codes = E(real)
            g_loss = loss.generator_loss(logits(D, codes), LossContext(D, prior, codes, None, step.index))
        if step.update("encoder", self.params.adversarial_weight * g_loss):
            step.log(g_loss=g_loss)


def logits(discriminator, codes: torch.Tensor) -> torch.Tensor:
    """The code discriminator's logits, (N,) float32. It is called directly, not through
    ``LossContext.discriminate``, which hands a discriminator pictures (and labels)."""
    return discriminator(codes).reshape(-1).float()
