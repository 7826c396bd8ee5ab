"""SGAN: the semi-supervised GAN (Odena 2016; Salimans et al. 2016), trained with a few labels.

The discriminator is a classifier of K+1 classes: the K classes of the data and "fake". With the
fake class's logit fixed at 0 (Salimans et al.'s parametrisation, which loses nothing), K class
logits l are all it outputs; the probability that a picture is real is Z / (Z + 1) with
Z = sum_k exp(l_k), so its adversarial logit is logsumexp(l). The ``classifier`` discriminator
returns that as ``logits`` beside ``class_logits`` and ``features``.

The discriminator's loss is the cross-entropy of its class logits on the labelled pictures plus
``unsupervised_weight`` times the recipe's adversarial loss (``bce``: real pictures, all of them
unlabelled as far as it goes, against fakes; ``bce`` sums its real and fake terms, so Salimans et
al.'s equal weighting, which halves that sum, is ``unsupervised_weight=0.5``). The generator
matches the mean of the discriminator's features on real pictures (``generator_objective:
feature_matching``, Salimans et al.'s, which semi-supervised learning needs; the means are the whole
batch's under ``--nproc``, through ``ganzoo.whole_batch``) or takes the adversarial loss
(``adversarial``). The learning rate matters as much: at DCGAN's 2e-4 the
discriminator wins the real-against-fake game long before it has learnt the classes, and the
unlabelled pictures then hurt; sgan_mnist takes Salimans et al.'s 3e-3.

The labelled pictures: the first ``labelled / K`` pictures of each class the run reads (in the
run's seeded order), kept with their labels as the algorithm's state (in every checkpoint; the
benchmark trains the same classifier on them alone for comparison). The algorithm reads labels
only until it has them all; it never trains on another label. Every step trains on all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import torch
from torch import nn
from torch.nn import functional as F

from ganzoo import Algorithm, Batch, ContractViolation, DataSpec, GanzooError, LossContext, TrainStep, whole_batch
from ganzoo_classics.common import device_of, try_in_eval_mode

OBJECTIVES = ("feature_matching", "adversarial")


@dataclass
class SGANParams:
    labelled: int = 100  # labelled pictures, the same number of each class (100: 10 a digit)
    unsupervised_weight: float = 1.0  # weight of the real-against-fake loss in D's (0.5: Salimans et al.'s with bce)
    generator_objective: str = "feature_matching"  # feature_matching | adversarial

    def __post_init__(self):
        if self.labelled < 1:
            raise ValueError(f"labelled must be at least 1, got {self.labelled}")
        if not self.unsupervised_weight >= 0:
            raise ValueError(f"unsupervised_weight must be at least 0, got {self.unsupervised_weight}")
        if self.generator_objective not in OBJECTIVES:
            raise ValueError(f"generator_objective must be one of {', '.join(OBJECTIVES)}, got "
                             f"'{self.generator_objective}'")


class SGAN(Algorithm):
    roles = {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
    # d_loss: the real-against-fake loss; d_class: the cross-entropy on the labelled pictures;
    # class_acc: how many of them D classifies right; d_real, d_fake: D's mean P(real)
    scalars = ("d_loss", "g_loss", "d_class", "class_acc", "d_real", "d_fake")

    def __init__(self, params: Optional[SGANParams] = None):
        super().__init__(params if params is not None else SGANParams())
        self.per_class = self.classes = 0
        self.images: Optional[torch.Tensor] = None  # the labelled pictures, as the batches hold them
        self.labels: Optional[torch.Tensor] = None

    def setup(self, models, losses, data) -> None:
        classes = data.num_classes
        if not classes:
            raise GanzooError("the sgan algorithm needs a dataset with class labels (it keeps a few); this run's "
                              "dataset has none")
        if self.params.labelled % classes:
            raise GanzooError(f"sgan keeps the same number of labelled pictures of each class: "
                              f"algorithm.params.labelled={self.params.labelled} does not divide among {classes} "
                              "classes")
        self.classes, self.per_class = classes, self.params.labelled // classes
        device = device_of(models["discriminator"])
        self.images = torch.zeros(0, *data.image_shape, device=device)
        self.labels = torch.zeros(0, dtype=torch.long, device=device)
        try_in_eval_mode(models["discriminator"], torch.zeros(2, *data.image_shape, device=device),
                         lambda D, images: outputs(D, images, classes))

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
        real = self.real(batch)
        if len(self.labels) < self.params.labelled:
            self.collect(whole_batch(real), whole_batch(batch.labels))

        with torch.no_grad():
            z = self.generator_input(batch, step)
            fake = G(z)
        real_out, fake_out = outputs(D, real), outputs(D, fake)
        class_logits = outputs(D, self.images)["class_logits"].float()
        d_class = F.cross_entropy(class_logits, self.labels)
        ctx = LossContext(D, real, fake, None, step.index, z, real_out, fake_out)
        d_loss = loss.discriminator_loss(real_out["logits"], fake_out["logits"], ctx)
        if step.update("discriminator", d_class + self.params.unsupervised_weight * d_loss):
            step.log(d_loss=d_loss, d_class=d_class,
                     class_acc=(class_logits.detach().argmax(1) == self.labels).float().mean(),
                     d_real=torch.sigmoid(real_out["logits"]).mean(), d_fake=torch.sigmoid(fake_out["logits"]).mean())

        with step.frozen("discriminator"):
            z = self.generator_input(batch, step)
            fake = G(z)
            fake_out = outputs(D, fake)
            if self.params.generator_objective == "feature_matching":
                with torch.no_grad():
                    real_features = outputs(D, real)["features"]
                g_loss = feature_matching(real_features, fake_out["features"])
            else:
                g_loss = loss.generator_loss(fake_out["logits"], LossContext(D, real, fake, None, step.index, z,
                                                                             fake_extras=fake_out))
        if step.update("generator", g_loss):
            step.log(g_loss=g_loss)

    def real(self, batch: Batch) -> torch.Tensor:
        """The real pictures of a step, which the labelled ones are taken from: the batch's images."""
        return batch.images

    def generator_input(self, batch: Batch, step: TrainStep) -> torch.Tensor:
        """What the generator makes a fake from: a fresh latent batch (drawn for each of its two uses)."""
        return step.latent()

    def collect(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Keep the pictures of this (whole) batch whose class still lacks labelled pictures, in batch order."""
        counts = torch.bincount(self.labels, minlength=self.classes).tolist()
        keep = []
        for index, label in enumerate(labels.tolist()):
            if counts[label] < self.per_class:
                counts[label] += 1
                keep.append(index)
        if keep:
            index = torch.tensor(keep, device=images.device)
            self.images = torch.cat([self.images, images.index_select(0, index).detach()])
            self.labels = torch.cat([self.labels, labels.index_select(0, index)])

    def state_dict(self):
        return {"images": self.images.detach().cpu().clone(), "labels": self.labels.detach().cpu().clone()}

    def load_state_dict(self, state) -> None:
        device = self.images.device
        self.images, self.labels = state["images"].to(device), state["labels"].to(device)


def feature_matching(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Salimans et al.'s generator loss: the mean over features of the squared distance between the
    fakes' mean features and the real pictures' (a constant), both means over the whole batch."""
    target = whole_batch(real_features.detach().float()).mean(0)
    return (whole_batch(fake_features.float()).mean(0) - target).pow(2).mean()


def outputs(discriminator, images: torch.Tensor, classes: Optional[int] = None) -> dict:
    """The K+1-class discriminator's outputs: ``logits`` (N,) float32, ``class_logits`` and ``features``;
    with ``classes``, a one-line error for a discriminator that gives no class logits of that width."""
    out = discriminator(images)
    if not isinstance(out, dict) or not isinstance(out.get("class_logits"), torch.Tensor) \
            or not isinstance(out.get("features"), torch.Tensor) \
            or (classes is not None and tuple(out["class_logits"].shape) != (images.shape[0], classes)):
        raise ContractViolation(f"gives no 'class_logits' (N, {classes or 'classes'}) and 'features', which sgan trains "
                                "its K+1-class discriminator on", discriminator,
                                remedy="use the classifier discriminator (discriminator.name=classifier)")
    return {**out, "logits": out["logits"].reshape(-1).float()}


@dataclass
class ClassifierParams:
    channels: List[int] = field(default_factory=lambda: [32, 64, 128])  # stride-2 convolutions (the last: stride 1)
    dropout: float = 0.3  # after every block (Salimans et al. use dropout throughout D)
    noise: float = 0.0  # standard deviation of Gaussian noise added to the input while training

    def __post_init__(self):
        if not self.channels or any(width < 1 for width in self.channels):
            raise ValueError(f"channels must list one or more positive widths, got {list(self.channels)}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not self.noise >= 0:
            raise ValueError(f"noise must be at least 0, got {self.noise}")


class Classifier(nn.Module):
    """A CNN classifier of the data's K classes that is also a discriminator of K+1: logit =
    logsumexp(class logits), the log-odds of "real" with the fake class's logit at 0."""

    def __init__(self, params: ClassifierParams, data: DataSpec):
        super().__init__()
        if not data.num_classes:
            raise ValueError("the classifier discriminator needs a dataset with class labels")
        channels = data.image_shape[0]
        blocks: List[nn.Module] = []
        for index, width in enumerate(params.channels):
            stride = 2 if index < 2 else 1
            blocks += [nn.Conv2d(channels, width, 3, stride, 1), nn.LeakyReLU(0.2), nn.Dropout(params.dropout)]
            channels = width
        self.noise = params.noise
        self.body = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classify = nn.Linear(channels, data.num_classes)

    def forward(self, x: torch.Tensor) -> dict:
        if self.training and self.noise > 0:
            x = x + self.noise * torch.randn_like(x)
        features = self.body(x)
        class_logits = self.classify(features)
        return {"logits": torch.logsumexp(class_logits.float(), dim=1), "class_logits": class_logits,
                "features": features}


def make_classifier(params: ClassifierParams, data: DataSpec) -> Classifier:
    return Classifier(params, data)
