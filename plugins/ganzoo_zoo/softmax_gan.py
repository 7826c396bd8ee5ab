"""Softmax GAN (Lin 2017, "Softmax GAN").

D's logits over the whole batch, real and fake together, are read as one softmax, a
distribution over the batch's images (the paper's energy is minus the logit). D's target puts
all the mass, evenly, on the real images; G's target spreads it evenly over every image, real
and fake. Each loss is the cross-entropy to its target:

    L_D = -mean_{x in real} C(x)        + log sum_{x in batch} exp C(x)
    L_G = -mean_{x in real, fake} C(x)  + log sum_{x in batch} exp C(x)

G's loss is at its least, log of the batch's size, when D cannot tell any image from any
other. It reads D's logits on the real batch through ``ctx.discriminate(ctx.real)``, without
gradients (D is frozen in G's step).

The softmax is over the whole batch: under ``ganzoo run --nproc N``, where each process holds 1/N
of it, the log-partition is taken of ``ganzoo.whole_batch``, every process's logits with
gradients reaching each, so N processes train what one does. The means stay over each
process's share (the trainer's average of the processes' gradients completes them).
"""

from dataclasses import dataclass

import torch

from ganzoo import AdversarialLoss, whole_batch


@dataclass
class SoftmaxGANParams:
    pass


class SoftmaxGANLoss(AdversarialLoss):
    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return whole_batch(torch.cat([real_logits, fake_logits])).logsumexp(0) - real_logits.mean()

    def generator_loss(self, fake_logits, ctx):
        with torch.no_grad():
            real_logits = ctx.discriminate(ctx.real)
        batch = torch.cat([real_logits, fake_logits])
        return whole_batch(batch).logsumexp(0) - batch.mean()


def make_softmax_gan(params: SoftmaxGANParams) -> SoftmaxGANLoss:
    return SoftmaxGANLoss()
