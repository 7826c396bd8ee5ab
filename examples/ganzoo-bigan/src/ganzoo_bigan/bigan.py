"""BiGAN (Donahue, Kraehenbuehl and Darrell, ICLR 2017), also ALI (Dumoulin et al., ICLR 2017).

Three models: a generator G (z -> x, any generator), an encoder E (x -> z, any encoder) and a
joint critic D(x, z) (a network) that tells a real picture with its code, (x, E(x)), from a
drawn code with its picture, (G(z), z). G and E learn together to fool it; at the optimum
E inverts G. Each step:

1. the critic: real pairs (x, E(x)) against fake pairs (G(z), z), both models' outputs held
   constant; binary cross-entropy on its logits;
2. G and E together, the critic frozen: the same pairs with the labels swapped
   (the non-saturating form).

It has no ``loss`` role: the adversarial loss is written here, on the critic's logits (a
recipe's losses hand a discriminator pictures alone, and their penalties would too). The
reconstruction error |G(E(x)) - x|^2 is logged as a measure, not trained on. Written against
ganzoo's public API alone.
"""

import torch
from torch.nn import functional as F

from ganzoo import Algorithm, Batch, ContractViolation, TrainStep, eval_mode, first_line


class BiGAN(Algorithm):
    # role -> kind: a generator, an encoder and a network (the joint critic); no loss role
    roles = {"generator": "generator", "encoder": "encoder", "discriminator": "network"}
    # d_loss: the critic's loss; ge_loss: G's and E's; d_real, d_fake: the critic's mean probability
    # that a real pair, a fake pair, is real; recon: |G(E(x)) - x|^2, a measure of how well E inverts G
    scalars = ("d_loss", "ge_loss", "d_real", "d_fake", "recon")

    def setup(self, models, losses, data) -> None:
        """Once, before the first step: the encoder's codes fit the generator and the critic."""
        G, E, D = models["generator"], models["encoder"], models["discriminator"]
        width = G.latent_dim
        with eval_mode(G, E, D), torch.no_grad():
            device = next(E.parameters()).device
            codes = E(torch.zeros(2, *data.image_shape, device=device))
            if tuple(codes.shape) != (2, width):
                raise ContractViolation(f"makes codes of shape {tuple(codes.shape)} for 2 pictures; bigan needs "
                                        f"(2, {width}), the generator's latent_dim", E,
                                        remedy="give it the generator's size (encoder.params.latent_dim)")
            try:
                logits = D(G(codes), codes)
            except RuntimeError as error:
                raise ContractViolation(f"cannot judge pairs of pictures and codes of size {width} "
                                        f"({first_line(error)})", D,
                                        remedy="give it the codes' size (discriminator.params.latent_dim)") from error
            if tuple(logits.shape) != (2,):
                raise ContractViolation(f"returns shape {tuple(logits.shape)} for 2 pairs; bigan needs one logit "
                                        "per pair, (2,)", D)

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        G, E, D = step.models["generator"], step.models["encoder"], step.models["discriminator"]
        real = batch.images
        z = step.latent("generator")

        # 1. the critic: (x, E(x)) real, (G(z), z) fake
        with torch.no_grad():
            codes, fake = E(real), G(z)
        real_logits, fake_logits = D(real, codes).float(), D(fake, z).float()
        d_loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        if step.update("discriminator", d_loss):
            step.log(d_loss=d_loss, d_real=torch.sigmoid(real_logits).mean(),
                     d_fake=torch.sigmoid(fake_logits).mean())

        # 2. generator and encoder together, the critic frozen: the labels swapped
        with step.frozen("discriminator"):
            codes, fake = E(real), G(z)
            ge_loss = F.softplus(D(real, codes).float()).mean() + F.softplus(-D(fake, z).float()).mean()
        if step.update(("generator", "encoder"), ge_loss):
            with torch.no_grad():
                recon = (G(E(real)) - real).float().pow(2).mean()
            step.log(ge_loss=ge_loss, recon=recon)
