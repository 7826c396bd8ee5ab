"""PixelDA (Bousmalis, Silberman, Dohan, Erhan and Krishnan, CVPR 2017): unsupervised pixel-level
domain adaptation, from labelled source pictures to an unlabelled target domain.

- ``mnist-colour`` (task): domain A (the source, labelled) is MNIST's digits, grey, as three
  channels; domain B (the target, whose labels training never reads) is *other* digits (the
  second half of each split, as ``mnist-unpaired``) drawn over a coloured background, MNIST-M's
  way without its photographs: a background of a seeded random colour with a smooth seeded
  texture, the digit's strokes its difference from white (``|background - digit|``). Made when
  the data are loaded; ``target_labels`` label B for the check alone. ``ganzoo eval`` reads both
  sides with the MNIST classifier through ``decoloured`` (the data's ``classifier_view``): the
  adapted digits' accuracy says the adaptation kept each digit.
- ``pixelda`` (generator): a source picture and a noise code (``latent_dim``, spread over a plane
  per channel by a linear layer) -> a picture of the target domain, through residual blocks;
  ``forward(x)`` uses the code 0, so ``ganzoo translate``, ``eval`` and ``export`` see one
  deterministic translator.
- ``pixelda-classifier`` (a network, the ``classifier`` role): a small CNN of the data's classes.
- ``pixelda`` (algorithm), as PyTorch-GAN's port: the generator and the classifier learn together
  to fool the discriminator with adapted source pictures (``adversarial_weight``) and to
  classify the adapted pictures, and (``source_task``) the source pictures, by their source
  labels (``task_weight``, on the mean of the two losses); then the
  discriminator learns the target pictures against the adapted ones. The codes come from
  ``step.latent`` (the trainer's seeded stream, kept in checkpoints); the algorithm keeps no
  state of its own. The check (benchmarks/translation_results.py): the classifier, read on the
  held-out target pictures, beside the same CNN trained on the source pictures alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

import ganzoo
from ganzoo import DataSource, GanzooError, ImageData, TwoSided, default_data_root
from ganzoo_translation.mnist_tasks import FILES, read_split
from ganzoo_translation.resnet import ResidualBlock
from ganzoo_translation.unpaired_mnist import MNISTUnpairedParams
from ganzoo_translation_zoo.common import fooled, judged


# ------------------------------------------------------------------ the task
@dataclass
class MNISTColourParams(MNISTUnpairedParams):
    seed: int = 0  # draws the backgrounds' colours and textures


def coloured(digits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Grey digits in [-1, 1] (N, 1, 28, 28) over seeded coloured, textured backgrounds, (N, 3, 28, 28)."""
    n = len(digits)
    colour = torch.rand(n, 3, 1, 1, generator=generator)
    texture = F.interpolate(torch.rand(n, 3, 4, 4, generator=generator), size=digits.shape[-2:], mode="bilinear",
                            align_corners=False)
    background = (0.7 * colour + 0.3 * texture).clamp(0, 1)
    ink = digits.add(1).div(2)  # [0, 1]
    return (background - ink).abs().mul(2).sub(1)


def grey3(digits: torch.Tensor) -> torch.Tensor:
    return digits.expand(-1, 3, -1, -1).contiguous()


LOW_CONTRAST = 0.02  # damps the ink of backgrounds near grey, where the texture would pass for strokes


def decoloured(pictures: torch.Tensor) -> torch.Tensor:
    """Digits over coloured backgrounds in [-1, 1] (N, 3, H, W) -> grey digits (N, 1, H, W), white on black, as the
    MNIST classifier reads them (its ``classifier_view`` of either side): each picture's background is the median
    colour of its pixels, and the ink the least-squares fit of the pixels' distance from it, channel by channel,
    to the distance a full stroke makes there (``|1 - 2 background|``: a channel near grey carries little).
    The classifier reads 98.4% of the held-out coloured digits so, 99.2% of the grey ones."""
    unit = pictures.float().add(1).div(2)
    background = unit.flatten(2).median(2).values[..., None, None]
    contrast = (1 - 2 * background).abs()
    ink = ((unit - background).abs() * contrast).sum(1, keepdim=True) / ((contrast * contrast).sum(1, keepdim=True)
                                                                          + LOW_CONTRAST)
    return ink.clamp(0, 1).mul(2).sub(1)


def load_mnist_colour(params: MNISTColourParams) -> ImageData:
    root = Path(params.root or default_data_root())
    draws = torch.Generator().manual_seed(params.seed)
    sides = {}
    for split, limit in (("train", params.limit), ("test", params.test_limit)):
        digits, labels = read_split(root, split, limit)
        half = len(digits) // 2
        sides[split] = dict(images=grey3(digits[:half]), labels=labels[:half], num_classes=10, pictures_of="mnist",
                            two_sided=TwoSided(targets=coloured(digits[half:2 * half], draws),
                                               target_labels=labels[half:2 * half], paired=False,
                                               classifier_view={"a": decoloured, "b": decoloured}))
    source = DataSource(root=root, files=tuple(f"MNIST/raw/{name}" for split in FILES.values() for name in split))
    return ImageData(**sides["train"], held_out=ImageData(**sides["test"]), source=source)


# ------------------------------------------------------------------ the networks
@dataclass
class PixelDAGeneratorParams:
    latent_dim: int = 10  # the noise code (PyTorch-GAN: 10)
    base_channels: int = 32  # (PyTorch-GAN: 64)
    residual_blocks: int = 2  # (PyTorch-GAN: 6)

    def __post_init__(self):
        if self.latent_dim < 1 or self.base_channels < 1 or self.residual_blocks < 0:
            raise ValueError("latent_dim and base_channels must be at least 1, residual_blocks at least 0")


class PixelDAGenerator(nn.Module):
    """``G(x, z)``: the source picture with a plane made from the code, residual blocks, the target picture."""

    def __init__(self, params: PixelDAGeneratorParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None or tuple(spec.image_shape[1:]) != tuple(spec.target_shape[1:]):
            raise ValueError("the pixelda generator adapts pictures to a target domain of the same size and needs "
                             "two-sided data (e.g. mnist-colour)")
        channels, height, width = spec.image_shape
        self.latent_dim, self.plane = params.latent_dim, (height, width)
        c = params.base_channels
        self.spread = nn.Linear(params.latent_dim, channels * height * width)  # a plane per channel
        self.body = nn.Sequential(
            nn.Conv2d(2 * channels, c, 3, 1, 1), nn.ReLU(True),
            *(ResidualBlock(c, "batch") for _ in range(params.residual_blocks)),
            nn.Conv2d(c, spec.target_shape[0], 3, 1, 1), nn.Tanh())

    def forward(self, x: torch.Tensor, z: Optional[torch.Tensor] = None) -> torch.Tensor:
        if z is None:
            z = x.new_zeros(x.shape[0], self.latent_dim)
        planes = self.spread(z.to(x.dtype)).view(x.shape[0], -1, *self.plane)
        return self.body(torch.cat([x, planes], dim=1))


def make_pixelda_generator(params: PixelDAGeneratorParams, spec: ganzoo.DataSpec) -> PixelDAGenerator:
    return PixelDAGenerator(params, spec)


@dataclass
class PixelDAClassifierParams:
    base_channels: int = 32

    def __post_init__(self):
        if self.base_channels < 1:
            raise ValueError(f"base_channels must be at least 1, got {self.base_channels}")


def make_pixelda_classifier(params: PixelDAClassifierParams, spec: ganzoo.DataSpec) -> nn.Module:
    """Pictures of the target's shape -> (N, classes) logits, PyTorch-GAN's classifier at three blocks: strided
    3x3 convolutions (c, 2c, 4c channels), instance-normalised after the first, flattened, linear. The flattening
    keeps where the strokes are (pooled features of two convolutions read 47% of MNIST's test digits)."""
    if not spec.num_classes:
        raise ValueError("the pixelda-classifier needs labelled data (e.g. mnist-colour)")
    channels, height, width = spec.target_shape or spec.image_shape
    c = params.base_channels
    blocks = [nn.Conv2d(channels, c, 3, 2, 1), nn.LeakyReLU(0.2, True)]
    for wide in (c, 2 * c):
        blocks += [nn.Conv2d(wide, 2 * wide, 3, 2, 1), nn.InstanceNorm2d(2 * wide), nn.LeakyReLU(0.2, True)]
    cells = -(-height // 8) * -(-width // 8)  # each stride-2 convolution halves a side, rounding up
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(4 * c * cells, spec.num_classes))


# ------------------------------------------------------------------ the algorithm
@dataclass
class PixelDAParams:
    # PyTorch-GAN's port: lambda_adv 1, lambda_task 0.1
    adversarial_weight: float = 1.0
    task_weight: float = 0.1
    # the classifier also learns the source pictures themselves, the task loss the mean of both (the paper,
    # PyTorch-GAN); needs sources with the target's channels
    source_task: bool = True

    def __post_init__(self):
        if self.adversarial_weight < 0 or self.task_weight < 0:
            raise ValueError("adversarial_weight and task_weight must be at least 0")


class PixelDA(ganzoo.Algorithm):
    roles = {"generator": "generator", "classifier": "network", "discriminator": "discriminator", "loss": "loss"}
    scalars = ("d_loss", "g_loss", "task", "task_acc")
    directions = {"a2b": "generator"}

    def __init__(self, params: Optional[PixelDAParams] = None):
        super().__init__(params if params is not None else PixelDAParams())

    def setup(self, models, losses, data) -> None:
        if not isinstance(models["generator"], PixelDAGenerator):
            raise GanzooError("pixelda's generator must be 'pixelda' (it takes a noise code); set "
                              "generator.name=pixelda")
        if data.paired or not data.num_classes:
            raise GanzooError("pixelda adapts labelled source pictures to an unlabelled, unpaired target domain "
                              "(e.g. mnist-colour)")
        if self.params.source_task and data.image_shape[0] != (data.target_shape or data.image_shape)[0]:
            raise GanzooError(f"pixelda's classifier reads target pictures ({data.target_shape[0]} channels) and, with "
                              f"source_task, the source pictures too ({data.image_shape[0]}); give both sides the "
                              "same channels or set algorithm.params.source_task=false")
        if getattr(models["discriminator"], "conditional_on_input", False):
            raise GanzooError("pixelda's discriminator judges pictures alone; set "
                              "discriminator.params.conditional_on_input=false")

    def train_step(self, batch, step) -> None:
        G, C, D = step.models["generator"], step.models["classifier"], step.models["discriminator"]
        loss, p = step.losses["loss"], self.params
        x, labels, target = batch.images, batch.labels, batch.targets

        with step.frozen("discriminator"):
            fake = G(x, step.latent("generator"))
            adversarial = fooled(loss, step, ((D, target, fake),))
            logits = C(fake).float()
            task = F.cross_entropy(logits, labels)
            if p.source_task:
                task = (task + F.cross_entropy(C(x).float(), labels)) / 2
            total = p.adversarial_weight * adversarial + p.task_weight * task
        if step.update(("generator", "classifier"), total):
            step.log(g_loss=adversarial, task=task, task_acc=(logits.detach().argmax(1) == labels).float().mean())

        (d_loss,) = judged(loss, step, ((D, target, fake.detach()),))
        if step.update("discriminator", d_loss):
            step.log(d_loss=d_loss)
