"""ESRGAN (Wang, Yu, Wu, Gu, Liu, Dong, Loy, Qiao and Tang, ECCV workshops 2018): enhanced
super-resolution.

- ``rrdb`` (generator): residual-in-residual dense blocks (each three dense blocks of five
  convolutions, every one seeing all the block's earlier maps, scaled by ``residual_scale``
  before they are added back), no batch norm, then nearest-neighbour upsampling and a
  convolution per factor of 2. As ganzoo's ``sr`` generator, its output is added to the bicubic
  upsampling of the input (``bicubic_skip``; the paper's network has none), which makes the
  CPU-sized runs learn the detail bicubic misses.
- ``esrgan`` (algorithm), as the paper and PyTorch-GAN's port: first ``psnr_steps`` steps of the
  PSNR-oriented model (L1 alone); then the generator minimises ``content_weight`` x the L1 of the
  perceptual features taken *before* their activation (here the shipped MNIST classifier's second
  convolution block after its batch norm, before the ReLU: the paper uses VGG's, which needs a
  download), ``adversarial_weight`` x the relativistic average GAN loss and ``pixel_weight`` x L1;
  the discriminator learns the relativistic average loss. A patch discriminator's score of a
  picture is the mean of its patches.
- **Network interpolation**: the generator's weights at the end of the PSNR stage are kept in the
  algorithm's state (so in every checkpoint; a resumed run ends as an uninterrupted one), and
  ``interpolated(state, alpha)`` gives ``alpha`` x the PSNR model + (1 - alpha) x the GAN model,
  the paper's knob between smooth and sharp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

import ganzoo
from ganzoo_translation.algorithms import PairedTranslation
from ganzoo_translation_zoo.common import patch_context


# ------------------------------------------------------------------ the generator
@dataclass
class RRDBGeneratorParams:
    channels: int = 32  # feature channels (paper: 64)
    blocks: int = 2  # residual-in-residual dense blocks (paper: 23)
    growth: int = 16  # channels each dense convolution adds (paper: 32)
    residual_scale: float = 0.2  # the paper's beta
    bicubic_skip: bool = True  # add the output to the input's bicubic upsampling (ganzoo's sr generator does)

    def __post_init__(self):
        if self.channels < 1 or self.blocks < 0 or self.growth < 1:
            raise ValueError("channels and growth must be at least 1, blocks at least 0")


class DenseBlock(nn.Module):
    def __init__(self, channels: int, growth: int, scale: float):
        super().__init__()
        self.scale = scale
        self.convs = nn.ModuleList(nn.Conv2d(channels + i * growth, growth if i < 4 else channels, 3, padding=1)
                                   for i in range(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = [x]
        for i, conv in enumerate(self.convs):
            out = conv(torch.cat(maps, 1))
            if i < 4:
                maps.append(F.leaky_relu(out, 0.2))
        return x + self.scale * out


class RRDB(nn.Module):
    def __init__(self, channels: int, growth: int, scale: float):
        super().__init__()
        self.scale = scale
        self.dense = nn.Sequential(*(DenseBlock(channels, growth, scale) for _ in range(3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.scale * self.dense(x)


class RRDBGenerator(nn.Module):
    def __init__(self, params: RRDBGeneratorParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None:
            raise ValueError("the rrdb generator upsamples pictures and needs two-sided data (e.g. mnist-sr)")
        (cin, height, width), (cout, out_h, out_w) = spec.image_shape, spec.target_shape
        factor = out_h // height
        if factor < 2 or factor & (factor - 1) or (height * factor, width * factor) != (out_h, out_w):
            raise ValueError(f"the rrdb generator upsamples by a power of 2; input {height}x{width} and output "
                             f"{out_h}x{out_w} are not (mnist-sr: dataset.params.factor=2 or 4)")
        c = params.channels
        self.size, self.cout, self.bicubic_skip = (out_h, out_w), cout, params.bicubic_skip
        self.head = nn.Conv2d(cin, c, 3, padding=1)
        self.body = nn.Sequential(*(RRDB(c, params.growth, params.residual_scale) for _ in range(params.blocks)),
                                  nn.Conv2d(c, c, 3, padding=1))
        ups = []
        while factor > 1:
            ups += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(0.2, True)]
            factor //= 2
        self.up = nn.Sequential(*ups, nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(0.2, True),
                                nn.Conv2d(c, cout, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        out = self.up(h + self.body(h))
        if not self.bicubic_skip:
            return out
        base = F.interpolate(x, size=self.size, mode="bicubic", align_corners=False)
        if base.shape[1] != self.cout:
            base = base.mean(1, keepdim=True).expand(-1, self.cout, -1, -1)
        base = base.clamp(-0.999, 0.999)
        # atanh(base), written out: ONNX (opset 17) has no atanh, so `ganzoo export --format onnx` would fail
        return torch.tanh(0.5 * torch.log((1 + base) / (1 - base)) + out)


def make_rrdb_generator(params: RRDBGeneratorParams, spec: ganzoo.DataSpec) -> RRDBGenerator:
    return RRDBGenerator(params, spec)


# ------------------------------------------------------------------ the algorithm
@dataclass
class ESRGANParams:
    psnr_steps: int = 500  # the PSNR-oriented stage, L1 alone (PyTorch-GAN's warmup_batches: 500)
    pixel_weight: float = 1.0e-2  # L1 in the GAN stage (the paper's eta)
    content_weight: float = 1.0  # L1 of the classifier's features before activation
    adversarial_weight: float = 5.0e-3  # the paper's lambda

    def __post_init__(self):
        if self.psnr_steps < 0:
            raise ValueError(f"psnr_steps must be at least 0, got {self.psnr_steps}")
        if min(self.pixel_weight, self.content_weight, self.adversarial_weight) < 0:
            raise ValueError("the loss weights must be at least 0")


def scores(discriminator, pictures: torch.Tensor) -> torch.Tensor:
    """One score per picture: the mean of a patch discriminator's logits."""
    return discriminator(pictures).flatten(1).float().mean(1)


class ESRGAN(PairedTranslation):
    scalars = ("d_loss", "g_loss", "g_pixel", "g_content", "d_real", "d_fake")

    def __init__(self, params: Optional[ESRGANParams] = None):
        super().__init__(params if params is not None else ESRGANParams())
        self.classifier = None
        self.psnr_weights = None  # the generator at the end of the PSNR stage

    def setup(self, models, losses, data) -> None:
        super().setup(models, losses, data)
        if getattr(models["discriminator"], "conditional_on_input", False):
            raise ganzoo.GanzooError("esrgan's discriminator judges pictures alone; set "
                                     "discriminator.params.conditional_on_input=false")
        if self.params.content_weight > 0:
            if tuple(data.target_shape) != (1, 28, 28):
                raise ganzoo.GanzooError("esrgan's perceptual loss reads features of the shipped MNIST classifier, "
                                         "which takes 1x28x28 digits; these targets are "
                                         f"{'x'.join(map(str, data.target_shape))}: "
                                         "set algorithm.params.content_weight=0")
            self.classifier = ganzoo.mnist_classifier(next(models["generator"].parameters()).device)
            self.classifier.requires_grad_(False)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The classifier's second block's maps before their ReLU (ESRGAN's features before activation)."""
        return self.classifier.body[:6](images.float())  # conv, BN, ReLU, pool, conv, BN

    def train_step(self, batch, step) -> None:
        G, D, loss, p = step.models["generator"], step.models["discriminator"], step.losses["loss"], self.params
        x, y = batch.images, batch.targets
        if step.index < p.psnr_steps:  # the PSNR-oriented model
            pixel = (G(x) - y).abs().mean()
            if step.update("generator", pixel):
                step.log(g_pixel=pixel)
            return
        if self.psnr_weights is None:
            self.psnr_weights = {k: v.detach().cpu().clone() for k, v in G.state_dict().items()}

        with torch.no_grad():
            fake = G(x)
        real_scores, fake_scores = scores(D, y), scores(D, fake)
        d_loss = loss.discriminator_loss(real_scores, fake_scores, patch_context(D, y, fake, step))
        if step.update("discriminator", d_loss):
            step.log(d_loss=d_loss, d_real=torch.sigmoid(real_scores).mean(), d_fake=torch.sigmoid(fake_scores).mean())
        with step.frozen("discriminator"):
            fake = G(x)
            adversarial = loss.generator_loss(scores(D, fake), patch_context(D, y, fake, step))
            pixel = (fake - y).abs().mean()
            total = p.adversarial_weight * adversarial + p.pixel_weight * pixel
            if self.classifier is not None and p.content_weight > 0:
                content = (self.features(fake) - self.features(y)).abs().mean()
                total = total + p.content_weight * content
                step.log(g_content=content)
        if step.update("generator", total):
            step.log(g_loss=adversarial, g_pixel=pixel)

    def state_dict(self):
        return {"psnr_weights": self.psnr_weights}

    def load_state_dict(self, state) -> None:
        self.psnr_weights = state["psnr_weights"]


def interpolated(generator_weights: dict, algorithm_state: dict, alpha: float) -> dict:
    """Network interpolation: ``alpha`` x the PSNR-stage generator + (1 - alpha) x the trained one
    (weights of a checkpoint's generator and its algorithm state); alpha = 1 is the PSNR model."""
    psnr = algorithm_state.get("psnr_weights")
    if psnr is None:
        raise ganzoo.GanzooError("this esrgan run has not finished its PSNR stage (algorithm.params.psnr_steps): "
                                 "there is no PSNR model to interpolate with")
    return {k: torch.lerp(v.float(), psnr[k].float(), alpha).to(v.dtype) if v.is_floating_point() else v
            for k, v in generator_weights.items()}
