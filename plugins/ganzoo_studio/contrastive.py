"""ContraGAN's conditional contrastive loss, 2C (Kang & Park 2020), and ReACGAN's data-to-data
cross-entropy, D2D-CE (Kang et al. 2021), around any adversarial loss (``criterion`` picks one).

The discriminator returns, beside its logit, an embedding l(x) of each image and the proxy e(y)
of its label (the ``biggan`` discriminator with ``conditioning: contrastive``). With both
normalised to unit length and a temperature t, image i is pulled towards its class proxy and the
other images of its class, and pushed from the images of other classes:

    2C_i = -log [exp(l_i.e_i / t) + sum_{k != i, y_k = y_i} exp(l_i.l_k / t)]
                / [exp(l_i.e_i / t) + sum_{k != i} exp(l_i.l_k / t)]

D's loss adds ``weight`` times its mean over the real batch, G's over the fake batch (the labels
the fakes were drawn for), so G learns to draw images D embeds with their class.

D2D-CE (``criterion: d2d-ce``) keeps the proxy as the only positive and the images of other
classes as the only negatives (same-class images, false negatives, are left out), and adds
margins that stop pulling an image that is already near its proxy and stop pushing two images
already far apart (the easy ones), so the hard ones drive learning:

    p_i = min(l_i.e_i - m_p, 0) / t,    n_ik = max(l_i.l_k - m_n, 0) / t
    D2D-CE_i = -log exp(p_i) / [exp(p_i) + sum_{y_k != y_i} exp(n_ik)]

with the positive margin m_p = 0.98 and the negative margin m_n = 0.02 (StudioGAN's m_n = 1 - m_p).

The other images are the whole batch's: under ``ganzoo run --nproc N`` every process's, through
``ganzoo.whole_batch`` (StudioGAN gathers them across its processes likewise), as in one process.

    loss: {name: contrastive, params: {weight: 1.0, temperature: 0.5, loss: {name: hinge}}}
    loss: {name: contrastive, params: {criterion: d2d-ce, positive_margin: 0.98, negative_margin: 0.02,
                                       loss: {name: hinge}}}
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss, ComponentSpec, ContractViolation, build_component, component_field, whole_batch

EXTRAS = ("embedding", "proxy")
CRITERIA = ("2c", "d2d-ce")


@dataclass
class ContrastiveParams:
    loss: ComponentSpec = component_field("loss", default="hinge")  # the adversarial loss it adds to
    weight: float = 1.0  # lambda: 2C's weight in both losses
    temperature: float = 0.5  # t
    criterion: str = "2c"  # 2c (ContraGAN) | d2d-ce (ReACGAN)
    positive_margin: float = 0.98  # d2d-ce's m_p: an image this similar to its proxy is pulled no more
    negative_margin: float = 0.02  # d2d-ce's m_n: images of other classes less similar than this are pushed no more

    def __post_init__(self):
        if self.weight < 0:
            raise ValueError(f"weight must be at least 0, got {self.weight}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be greater than 0, got {self.temperature}")
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got '{self.criterion}'")
        for name in ("positive_margin", "negative_margin"):
            if not -1.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [-1, 1] (a cosine similarity), got {getattr(self, name)}")


def conditional_contrastive(embedding: torch.Tensor, proxy: torch.Tensor, labels: torch.Tensor,
                            temperature: float) -> torch.Tensor:
    """The mean of 2C_i over the batch (see the module's docstring)."""
    embedding, proxy, labels = whole_batch(embedding), whole_batch(proxy), whole_batch(labels)
    l, e = F.normalize(embedding.float(), dim=1), F.normalize(proxy.float(), dim=1)
    similarity = l @ l.t() / temperature
    to_proxy = (l * e).sum(dim=1, keepdim=True) / temperature
    itself = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    same = (labels[:, None] == labels[None, :]) & ~itself
    positives = torch.logsumexp(torch.cat([to_proxy, similarity.masked_fill(~same, float("-inf"))], dim=1), dim=1)
    everything = torch.logsumexp(torch.cat([to_proxy, similarity.masked_fill(itself, float("-inf"))], dim=1), dim=1)
    return (everything - positives).mean()


def data_to_data_cross_entropy(embedding: torch.Tensor, proxy: torch.Tensor, labels: torch.Tensor,
                               temperature: float, positive_margin: float, negative_margin: float) -> torch.Tensor:
    """The mean of D2D-CE_i over the batch (see the module's docstring)."""
    embedding, proxy, labels = whole_batch(embedding), whole_batch(proxy), whole_batch(labels)
    l, e = F.normalize(embedding.float(), dim=1), F.normalize(proxy.float(), dim=1)
    positive = ((l * e).sum(dim=1, keepdim=True) - positive_margin).clamp(max=0) / temperature
    negatives = (l @ l.t() - negative_margin).clamp(min=0) / temperature
    other = labels[:, None] != labels[None, :]  # false negatives (same class, itself included) left out
    everything = torch.logsumexp(torch.cat([positive, negatives.masked_fill(~other, float("-inf"))], dim=1), dim=1)
    return (everything - positive[:, 0]).mean()


class Contrastive(AdversarialLoss):
    def __init__(self, inner: AdversarialLoss, params: ContrastiveParams):
        self.inner, self.weight, self.temperature = inner, params.weight, params.temperature
        self.params = params

    def term(self, extras: dict, ctx) -> torch.Tensor:
        missing = [name for name in EXTRAS if name not in extras]
        if missing or ctx.labels is None:
            raise ContractViolation(f"gives no '{missing[0] if missing else 'labels'}' for the contrastive loss",
                                    ctx.discriminator, remedy="use a class-conditional discriminator with embedding and "
                                    "proxy outputs (biggan: conditioning: contrastive) on a labelled dataset")
        if self.params.criterion == "d2d-ce":
            return self.weight * data_to_data_cross_entropy(extras["embedding"], extras["proxy"], ctx.labels,
                                                            self.temperature, self.params.positive_margin,
                                                            self.params.negative_margin)
        return self.weight * conditional_contrastive(extras["embedding"], extras["proxy"], ctx.labels, self.temperature)

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return self.inner.discriminator_loss(real_logits, fake_logits, ctx) + self.term(ctx.real_extras, ctx)

    def generator_loss(self, fake_logits, ctx):
        return self.inner.generator_loss(fake_logits, ctx) + self.term(ctx.fake_extras, ctx)


def make_contrastive(params: ContrastiveParams) -> Contrastive:
    return Contrastive(build_component(params.loss), params)
