"""Context Encoder (Pathak, Krahenbuhl, Donahue, Darrell and Efros, CVPR 2016): inpainting a
masked centre from its surroundings.

- ``mnist-inpaint``: paired; the target is the MNIST digit, the input the same digit with its
  central ``mask_size`` x ``mask_size`` square (the paper's central region: a quarter of the
  area at 14 of 28) replaced by the mean of the training digits there. The masked pictures are
  made when the data are loaded, from the digits alone: no mask files. As the input is the
  mean-filled picture, ``ganzoo eval``'s baseline (the input itself) *is* filling with the mean.
  The data name the square as their ``target_region``, so ``ganzoo eval`` scores the fill there
  alone too (``a2b_psnr_region``, ``a2b_ssim_region``, ``a2b_l1_region``).
- ``inpaint-folder``: the same from users' pictures: ``FOLDER/train/`` and ``FOLDER/test/``
  (or one folder, its last ``test_fraction`` held out, by name), every picture resized to
  ``size`` x ``size``, the central ``mask_size`` square filled with the training pictures' mean.
- ``context-encoder`` (generator): a U-Net that sees the masked picture and paints the square;
  outside it, its output is the input unchanged, so every pixel it changes is one it filled.
- ``context_encoder`` (algorithm): the paper's joint loss on the square, ``reconstruction_weight``
  (0.999) x its mean squared error plus ``adversarial_weight`` (0.001) x the adversarial loss of a
  discriminator judging the filled pictures against the real ones. The algorithm reads the
  square's size from its generator; the recipe writes it once (``${dataset.params.mask_size}``),
  and the first training step checks that the data's inputs equal their targets outside it.

PSNR over the whole picture and over the square differ by a constant here, as the pixels outside
agree exactly in the model's outputs and in the baseline: the same squared errors over fewer
pixels, square PSNR = whole PSNR - 10 log10(784 / mask_size^2) (6.02 dB lower at 14). SSIM over
the whole picture is flattered by the copied border; the square's is the one to read.
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
from ganzoo_translation.cyclegan_folders import read_domain
from ganzoo_translation.folders import images_in
from ganzoo_translation.algorithms import PairedTranslation
from ganzoo_translation.mnist_tasks import FILES, MNISTTaskParams, read_split
from ganzoo_translation.models import UNetParams, make_unet


def centre(size: int, mask_size: int) -> slice:
    """The rows (or columns) of the central square of ``mask_size`` in a side of ``size``."""
    start = (size - mask_size) // 2
    return slice(start, start + mask_size)


def centre_box(height: int, width: int, mask_size: int) -> tuple[int, int, int, int]:
    """The central square of ``mask_size`` in pictures of ``height`` x ``width`` as a box (top, left,
    height, width): the data's ``target_region``."""
    rows, cols = centre(height, mask_size), centre(width, mask_size)
    return rows.start, cols.start, mask_size, mask_size


# ------------------------------------------------------------------ the task
@dataclass
class MNISTInpaintParams(MNISTTaskParams):
    mask_size: int = 14  # side of the masked central square (the paper: a quarter of the picture's area)

    def __post_init__(self):
        super().__post_init__()
        if not 1 <= self.mask_size <= 26:
            raise ValueError(f"mask_size must be between 1 and 26 (a 28x28 digit keeps a border), got {self.mask_size}")


def masked(digits: torch.Tensor, fill: torch.Tensor, mask_size: int) -> torch.Tensor:
    """``digits`` with their central square replaced by ``fill``'s (a picture of the same size)."""
    rows, cols = centre(digits.shape[-2], mask_size), centre(digits.shape[-1], mask_size)
    out = digits.clone()
    out[..., rows, cols] = fill[..., rows, cols]
    return out


def load_mnist_inpaint(params: MNISTInpaintParams) -> ImageData:
    root = Path(params.root or default_data_root())
    digits, labels = read_split(root, "train", params.limit)
    mean = digits.mean(0, keepdim=True)  # of the training digits alone: the held-out ones are not seen
    test_digits, test_labels = read_split(root, "test", params.test_limit)
    hole = centre_box(*digits.shape[-2:], params.mask_size)
    held_out = ImageData(images=masked(test_digits, mean, params.mask_size), labels=test_labels, num_classes=10,
                         two_sided=TwoSided(targets=test_digits, paired=True, target_region=hole))
    source = DataSource(root=root, files=tuple(f"MNIST/raw/{name}" for split in FILES.values() for name in split))
    return ImageData(images=masked(digits, mean, params.mask_size), labels=labels, num_classes=10,
                     two_sided=TwoSided(targets=digits, paired=True, target_region=hole), held_out=held_out,
                     source=source, pictures_of="mnist")


@dataclass
class InpaintFolderParams:
    path: Optional[str] = None  # required: a folder of pictures, or one holding train/ and test/ folders of them
    channels: int = 3  # 3 (RGB) or 1 (grey)
    size: int = 64  # every picture is resized to size x size
    mask_size: int = 32  # side of the masked central square (the paper: half the side, a quarter of the area)
    test_fraction: float = 0.1  # held out, the last by name, when there is no test/ folder
    limit: Optional[int] = None  # train on the first N pictures only

    def __post_init__(self):
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if not 1 <= self.mask_size < self.size:
            raise ValueError(f"mask_size must be at least 1 and smaller than size ({self.size}), got {self.mask_size}")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be between 0 and 1, got {self.test_fraction}")


def load_inpaint_folder(params: InpaintFolderParams) -> ImageData:
    if not params.path:
        raise GanzooError("inpaint-folder needs a folder of pictures: add dataset.params.path=FOLDER (pictures, or "
                          "train/ and test/ folders of them)")
    root = Path(params.path).expanduser()
    if not root.is_dir():
        raise GanzooError(f"inpainting folder '{root}' not found; set dataset.params.path to a folder of pictures "
                          "(or of train/ and test/ folders of them)")
    split = (root / "train").is_dir()
    folders = (root / "train", root / "test") if split else (root,)
    for folder in folders:
        if not folder.is_dir() or not images_in(folder):
            raise GanzooError(f"'{folder}' holds no .png or .jpg pictures; expected a folder of pictures, or train/ "
                              "and test/ folders of them")
    if split:
        pictures, held_out = read_domain(root / "train", params, params.limit), read_domain(root / "test", params, None)
    else:
        every = read_domain(root, params, None)
        keep = len(every) - max(1, round(len(every) * params.test_fraction))
        if keep < 1:
            raise GanzooError(f"'{root}' holds {len(every)} picture(s): too few to hold {params.test_fraction:.0%} out "
                              "and train on the rest; add pictures or a test/ folder")
        pictures, held_out = every[:keep][:params.limit], every[keep:]
    mean = pictures.mean(0, keepdim=True)
    hole = centre_box(*pictures.shape[-2:], params.mask_size)
    test = ImageData(images=masked(held_out, mean, params.mask_size),
                     two_sided=TwoSided(targets=held_out, paired=True, target_region=hole))
    return ImageData(images=masked(pictures, mean, params.mask_size),
                     two_sided=TwoSided(targets=pictures, paired=True, target_region=hole), held_out=test)


# ------------------------------------------------------------------ the generator
@dataclass
class ContextEncoderParams:
    mask_size: int = 14  # the masked square it fills: the dataset's (${dataset.params.mask_size} in a recipe)
    base_channels: int = 16  # the U-Net's (the paper's AlexNet-sized encoder: 64 and up)
    depth: int = 2
    norm: str = "batch"

    def __post_init__(self):
        if self.mask_size < 1:
            raise ValueError(f"mask_size must be at least 1, got {self.mask_size}")


class ContextEncoder(nn.Module):
    """``G(x)``: ``x`` with its central square painted by a U-Net that sees all of ``x``."""

    def __init__(self, params: ContextEncoderParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None or tuple(spec.image_shape) != tuple(spec.target_shape):
            raise ValueError("the context-encoder fills a square of its input and needs paired data of one shape "
                             "on both sides (e.g. mnist-inpaint)")
        if params.mask_size > min(spec.image_shape[1:]):
            raise ValueError(f"mask_size {params.mask_size} is larger than the pictures "
                             f"({'x'.join(map(str, spec.image_shape[1:]))})")
        self.mask_size = params.mask_size
        self.painter = make_unet(UNetParams(base_channels=params.base_channels, depth=params.depth, norm=params.norm),
                                 spec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows, cols = centre(x.shape[-2], self.mask_size), centre(x.shape[-1], self.mask_size)
        inside = torch.zeros_like(x[:1, :1])
        inside[..., rows, cols] = 1
        return torch.lerp(x, self.painter(x), inside)


def make_context_encoder(params: ContextEncoderParams, spec: ganzoo.DataSpec) -> ContextEncoder:
    return ContextEncoder(params, spec)


# ------------------------------------------------------------------ the algorithm
@dataclass
class ContextEncoderAlgorithmParams:
    reconstruction_weight: float = 0.999  # the paper's lambda_rec
    adversarial_weight: float = 0.001  # the paper's lambda_adv

    def __post_init__(self):
        if self.reconstruction_weight < 0 or self.adversarial_weight < 0:
            raise ValueError("reconstruction_weight and adversarial_weight must be at least 0")


class ContextEncoderGAN(PairedTranslation):
    """pix2pix's step with the paper's loss: the squared error of the filled square, weighted
    0.999, and 0.001 of the adversarial loss; the discriminator judges the pictures alone."""

    scalars = ("d_loss", "g_loss", "g_square_mse", "d_real", "d_fake")

    def __init__(self, params: Optional[ContextEncoderAlgorithmParams] = None):
        super().__init__(params if params is not None else ContextEncoderAlgorithmParams())
        self.mask_size = None
        self.checked = False

    def setup(self, models, losses, data) -> None:
        generator = models["generator"]
        if not isinstance(generator, ContextEncoder):
            raise ganzoo.GanzooError("context_encoder's generator must be the context-encoder (it fills the masked "
                                     "square and keeps the rest); set generator.name=context-encoder")
        if getattr(models["discriminator"], "conditional_on_input", False):
            raise ganzoo.GanzooError("context_encoder's discriminator judges pictures alone; set "
                                     "discriminator.params.conditional_on_input=false")
        self.mask_size = generator.mask_size
        super().setup(models, losses, data)

    def check_masks(self, batch) -> None:
        """The data's inputs equal their targets outside the generator's square (once per process)."""
        outside = torch.ones_like(batch.images[:1, :1], dtype=torch.bool)
        rows, cols = centre(batch.images.shape[-2], self.mask_size), centre(batch.images.shape[-1], self.mask_size)
        outside[..., rows, cols] = False
        if not torch.equal(batch.images.masked_select(outside), batch.targets.masked_select(outside)):
            raise ganzoo.GanzooError(f"context_encoder's generator fills a central {self.mask_size}x{self.mask_size} "
                                     "square, but the data's inputs differ from their targets outside it; give the "
                                     "generator the dataset's mask_size (generator.params.mask_size="
                                     "${dataset.params.mask_size})")
        self.checked = True

    def train_step(self, batch, step) -> None:
        if not self.checked:
            self.check_masks(batch)
        super().train_step(batch, step)

    def reconstruction(self, outputs, batch, step) -> torch.Tensor:
        rows, cols = centre(outputs.shape[-2], self.mask_size), centre(outputs.shape[-1], self.mask_size)
        error = F.mse_loss(outputs[..., rows, cols].float(), batch.targets[..., rows, cols].float())
        step.log(g_square_mse=error)
        return self.params.reconstruction_weight * error
