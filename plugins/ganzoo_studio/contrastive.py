"""ContraGAN's conditional contrastive loss, 2C (Kang & Park 2020), around any adversarial loss.

The discriminator returns, beside its logit, an embedding l(x) of each image and the proxy e(y)
of its label (the ``biggan`` discriminator with ``conditioning: contrastive``). With both
normalised to unit length and a temperature t, image i is pulled towards its class proxy and the
other images of its class, and pushed from the images of other classes:

    2C_i = -log [exp(l_i.e_i / t) + sum_{k != i, y_k = y_i} exp(l_i.l_k / t)]
                / [exp(l_i.e_i / t) + sum_{k != i} exp(l_i.l_k / t)]

D's loss adds ``weight`` times its mean over the real batch, G's over the fake batch (the labels
the fakes were drawn for), so G learns to draw images D embeds with their class.

    loss: {name: contrastive, params: {weight: 1.0, temperature: 0.5, loss: {name: hinge}}}
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss, ComponentSpec, ContractViolation, build_component, component_field

EXTRAS = ("embedding", "proxy")


@dataclass
class ContrastiveParams:
    loss: ComponentSpec = component_field("loss", default="hinge")  # the adversarial loss it adds to
    weight: float = 1.0  # lambda: 2C's weight in both losses
    temperature: float = 0.5  # t

    def __post_init__(self):
        if self.weight < 0:
            raise ValueError(f"weight must be at least 0, got {self.weight}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be greater than 0, got {self.temperature}")


def conditional_contrastive(embedding: torch.Tensor, proxy: torch.Tensor, labels: torch.Tensor,
                            temperature: float) -> torch.Tensor:
    """The mean of 2C_i over the batch (see the module's docstring)."""
    l, e = F.normalize(embedding.float(), dim=1), F.normalize(proxy.float(), dim=1)
    similarity = l @ l.t() / temperature
    to_proxy = (l * e).sum(dim=1, keepdim=True) / temperature
    itself = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    same = (labels[:, None] == labels[None, :]) & ~itself
    positives = torch.logsumexp(torch.cat([to_proxy, similarity.masked_fill(~same, float("-inf"))], dim=1), dim=1)
    everything = torch.logsumexp(torch.cat([to_proxy, similarity.masked_fill(itself, float("-inf"))], dim=1), dim=1)
    return (everything - positives).mean()


class Contrastive(AdversarialLoss):
    def __init__(self, inner: AdversarialLoss, params: ContrastiveParams):
        self.inner, self.weight, self.temperature = inner, params.weight, params.temperature

    def term(self, extras: dict, ctx) -> torch.Tensor:
        missing = [name for name in EXTRAS if name not in extras]
        if missing or ctx.labels is None:
            raise ContractViolation(f"gives no '{missing[0] if missing else 'labels'}' for the contrastive loss",
                                    ctx.discriminator, remedy="use a class-conditional discriminator with embedding and "
                                    "proxy outputs (biggan: conditioning: contrastive) on a labelled dataset")
        return self.weight * conditional_contrastive(extras["embedding"], extras["proxy"], ctx.labels, self.temperature)

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return self.inner.discriminator_loss(real_logits, fake_logits, ctx) + self.term(ctx.real_extras, ctx)

    def generator_loss(self, fake_logits, ctx):
        return self.inner.generator_loss(fake_logits, ctx) + self.term(ctx.fake_extras, ctx)


def make_contrastive(params: ContrastiveParams) -> Contrastive:
    return Contrastive(build_component(params.loss), params)
