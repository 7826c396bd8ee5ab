"""pix2pix and SRGAN: paired translation with an adversarial loss beside a reconstruction loss.

Both read paired two-sided data (``batch.images`` the input, ``batch.targets`` its right output)
and translate one way (``directions = {"a2b": "generator"}``). The adversarial loss is the
recipe's ``loss`` component (``bce``, as both papers, or ``lsgan``, ``hinge``), applied to every
patch logit of a PatchGAN discriminator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

import ganzoo


def unwrapped(module):
    """The model inside a DistributedDataParallel wrapper (for its attributes)."""
    return module.module if isinstance(module, torch.nn.parallel.DistributedDataParallel) else module


def judge(discriminator, outputs: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """The discriminator's logits for ``outputs``, flattened to one per patch, float32; a
    discriminator that is ``conditional_on_input`` sees the inputs beside them (pix2pix)."""
    if getattr(unwrapped(discriminator), "conditional_on_input", False):
        logits = discriminator(outputs, inputs)
    else:
        logits = discriminator(outputs)
    return logits.reshape(-1).float()


class PairedTranslation(ganzoo.Algorithm):
    """The shared step: D learns real (input, target) from (input, G(input)); G learns to fool it
    and to match the target (``reconstruction``).

    ``reuse_fakes`` (a param of pix2pix and srgan, off by default; a subclass whose params lack it keeps two
    passes): the D step's pass of G is computed with its graph and kept for the G step, instead of a second
    pass over the same inputs, as G's weights do not change in between. For a generator that draws nothing
    and keeps no running statistics (the SR generator: no batch norm, no dropout) the numbers are the same
    as two passes, one pass fewer a step; with dropout both steps see one pass's masks, with batch norm its
    running statistics move once a step."""

    roles = {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
    directions = {"a2b": "generator"}

    def setup(self, models, losses, data) -> None:
        if not data.paired:
            raise ganzoo.GanzooError(f"{type(self).__name__.lower()} learns from paired data (each input with its "
                                     "right output); this dataset's two sides are unpaired: use cyclegan")
        G, D = models["generator"], models["discriminator"]
        device = next(G.parameters()).device
        with ganzoo.eval_mode(G, D), torch.no_grad():
            x = torch.zeros(2, *data.image_shape, device=device)
            y = G(x)
            if not isinstance(y, torch.Tensor) or tuple(y.shape[1:]) != tuple(data.target_shape):
                shape = tuple(y.shape[1:]) if isinstance(y, torch.Tensor) else type(y).__name__
                raise ganzoo.ContractViolation(f"translates {tuple(data.image_shape)} inputs to {shape}, but "
                                               f"the targets are {tuple(data.target_shape)}", G)
            judge(D, y, x)

    def reconstruction(self, outputs, batch, step) -> torch.Tensor:
        raise NotImplementedError

    def train_step(self, batch, step) -> None:
        G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
        x, y = batch.images, batch.targets
        # one generator pass serves both steps (G has not changed in between); params without the field (a
        # subclass's own dataclass) keep two passes
        reuse = getattr(self.params, "reuse_fakes", False)
        if reuse:
            kept = G(x)
            fake = kept.detach()
        else:
            with torch.no_grad():
                fake = G(x)
        real_logits, fake_logits = judge(D, y, x), judge(D, fake, x)
        ctx = ganzoo.LossContext(D, y, fake, None, step.index)
        d_loss = loss.discriminator_loss(real_logits, fake_logits, ctx)
        if step.update("discriminator", d_loss):
            step.log(d_loss=d_loss, d_real=torch.sigmoid(real_logits).mean(), d_fake=torch.sigmoid(fake_logits).mean())
        with step.frozen("discriminator"):
            fake = kept if reuse else G(x)
            adversarial = loss.generator_loss(judge(D, fake, x), ganzoo.LossContext(D, y, fake, None, step.index))
            total = self.params.adversarial_weight * adversarial + self.reconstruction(fake, batch, step)
        if step.update("generator", total):
            step.log(g_loss=adversarial)


@dataclass
class Pix2PixParams:
    l1_weight: float = 100.0  # lambda of the L1 term (Isola et al. 2017: 100)
    adversarial_weight: float = 1.0
    reuse_fakes: bool = False  # the D step's generator pass, kept, serves the G step (below)

    def __post_init__(self):
        if self.l1_weight < 0 or self.adversarial_weight < 0:
            raise ValueError("l1_weight and adversarial_weight must be at least 0")


class Pix2Pix(PairedTranslation):
    """pix2pix (Isola et al. 2017): a conditional GAN whose generator also minimises L1 to the target."""

    scalars = ("d_loss", "g_loss", "g_l1", "d_real", "d_fake")

    def __init__(self, params: Pix2PixParams | None = None):
        super().__init__(params if params is not None else Pix2PixParams())

    def reconstruction(self, outputs, batch, step) -> torch.Tensor:
        l1 = (outputs - batch.targets).abs().mean()
        step.log(g_l1=l1)
        return self.params.l1_weight * l1


@dataclass
class SRGANParams:
    pixel_weight: float = 1.0  # mean squared error in pixels (SRResNet's loss)
    content_weight: float = 1.0  # MSE of the shipped MNIST classifier's feature maps (SRGAN's VGG loss, offline)
    semantic_weight: float = 1.0  # MSE of the classifier's 128-d features, the layer its class is read from
    adversarial_weight: float = 1.0e-3  # Ledig et al. 2017: 1e-3
    reuse_fakes: bool = False  # the D step's generator pass, kept, serves the G step (below)

    def __post_init__(self):
        if min(self.pixel_weight, self.content_weight, self.semantic_weight, self.adversarial_weight) < 0:
            raise ValueError("the loss weights must be at least 0")


class SRGAN(PairedTranslation):
    """SRGAN (Ledig et al. 2017): a perceptual content loss plus an adversarial one. The content loss
    compares features of ganzoo's shipped MNIST classifier, which needs no download, where the paper
    compares VGG features: its second convolution block's maps (32x14x14, as VGG's conv5_4 maps)
    and its 128-d features, the layer the class is read from; a pixel MSE term keeps PSNR up."""

    scalars = ("d_loss", "g_loss", "g_pixel", "g_content", "g_semantic", "d_real", "d_fake")

    def __init__(self, params: SRGANParams | None = None):
        super().__init__(params if params is not None else SRGANParams())
        self.classifier = None

    def setup(self, models, losses, data) -> None:
        super().setup(models, losses, data)
        if self.params.content_weight == 0 and self.params.semantic_weight == 0:
            return
        if tuple(data.target_shape) != (1, 28, 28):
            raise ganzoo.GanzooError(f"srgan's content loss reads features of the shipped MNIST classifier, which "
                                     f"takes 1x28x28 digits; these targets are {'x'.join(map(str, data.target_shape))}:"
                                     " set algorithm.params.content_weight=0 and semantic_weight=0")
        self.classifier = ganzoo.mnist_classifier(next(models["generator"].parameters()).device)
        self.classifier.requires_grad_(False)

    def features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the second block's 32x14x14 maps, the 128-d features) of the frozen classifier."""
        maps = self.classifier.body[:7](images.float())  # conv, BN, ReLU, pool, conv, BN, ReLU
        return maps, self.classifier.body[7:](maps)

    def reconstruction(self, outputs, batch, step) -> torch.Tensor:
        pixel = F.mse_loss(outputs.float(), batch.targets.float())
        step.log(g_pixel=pixel)
        total = self.params.pixel_weight * pixel
        if self.classifier is not None:
            (maps, features), (true_maps, true_features) = self.features(outputs), self.features(batch.targets)
            content, semantic = F.mse_loss(maps, true_maps), F.mse_loss(features, true_features)
            step.log(g_content=content, g_semantic=semantic)
            total = total + self.params.content_weight * content + self.params.semantic_weight * semantic
        return total
