"""ACGAN (Odena et al. 2017): a GAN whose discriminator also classifies.

The generator is class-conditional; the discriminator returns, beside its
adversarial logit, class logits (``class_logits``, (N, classes)). Both networks
also learn the auxiliary classification: the discriminator's loss adds the
cross-entropy of its class logits against the labels on the real batch and on
the fake batch (the labels the fakes were drawn for), the generator's adds it
on its fakes, so it learns to draw images of the class it was asked for.
"""

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from ganzoo import GAN, ContractViolation, GANParams, GanzooError

CLASS_LOGITS = "class_logits"


@dataclass
class ACGANParams(GANParams):
    class_weight: float = 1.0  # weight of the auxiliary class loss in both updates

    def __post_init__(self):
        super().__post_init__()
        if not self.class_weight > 0:
            raise ValueError(f"class_weight must be greater than 0, got {self.class_weight}")


class ACGAN(GAN):
    # d_class, g_class: the class cross-entropies; real_acc, fake_acc: how often D's classifier is right
    scalars = GAN.scalars + ("d_class", "g_class", "real_acc", "fake_acc")

    def __init__(self, params: ACGANParams = None):
        super().__init__(params if params is not None else ACGANParams())

    def setup(self, models, losses, data) -> None:
        if not data.num_classes:
            raise GanzooError("the acgan algorithm needs a dataset with class labels; this run's dataset has none")
        if not getattr(models["generator"], "conditional", False):
            raise ContractViolation("takes no labels, but acgan asks the generator for images of given classes",
                                    models["generator"], remedy="make it class-conditional (the zoo's dcgan: "
                                                                "generator.params.conditional=true)")
        super().setup(models, losses, data)

    def check_extras(self, extras, models, data) -> None:
        D = models["discriminator"]
        logits = extras.get(CLASS_LOGITS)
        if logits is None:
            raise ContractViolation(f"returns no '{CLASS_LOGITS}', which acgan trains its auxiliary classifier on", D,
                                    remedy="give it a class head (the zoo's dcgan: discriminator.params.class_head=true)")
        if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (2, data.num_classes):
            shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
            raise ContractViolation(f"returns '{CLASS_LOGITS}' of shape {shape} for 2 images; acgan needs "
                                    f"(2, {data.num_classes}), one logit per class of the dataset", D)

    def discriminator_terms(self, ctx, step):
        real, fake = ctx.real_extras[CLASS_LOGITS].float(), ctx.fake_extras[CLASS_LOGITS].float()
        d_class = F.cross_entropy(real, ctx.labels) + F.cross_entropy(fake, ctx.labels)
        step.log(d_class=d_class, real_acc=accuracy(real, ctx.labels), fake_acc=accuracy(fake, ctx.labels))
        return self.params.class_weight * d_class

    def generator_terms(self, ctx, step):
        g_class = F.cross_entropy(ctx.fake_extras[CLASS_LOGITS].float(), ctx.labels)
        step.log(g_class=g_class)
        return self.params.class_weight * g_class


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The share of rows whose largest logit is at their label (a 0-d tensor: no host sync)."""
    return (logits.detach().argmax(dim=1) == labels).float().mean()
