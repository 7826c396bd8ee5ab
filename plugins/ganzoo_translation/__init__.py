"""ganzoo's image translation and enhancement: pix2pix and SRGAN as algorithms, the U-Net and
SR generators, the PatchGAN discriminator, offline MNIST tasks with a known right answer
(outlines -> digits, 7x7 -> 28x28), super-resolution of any registered dataset and users'
paired folders.

Like the other built-in plugins it uses only ganzoo's public API and is registered through the
``ganzoo`` entry-point group, exactly as a third-party plugin is.
"""

from ganzoo import hookimpl

from ganzoo_translation.algorithms import SRGAN, Pix2Pix, Pix2PixParams, SRGANParams
from ganzoo_translation.cyclegan import CycleGAN, CycleGANParams
from ganzoo_translation.cyclegan_folders import UnpairedFolderParams, load_unpaired_folder
from ganzoo_translation.folders import PairedFolderParams, load_paired_folder
from ganzoo_translation.mnist_tasks import (MNISTEdgesParams, MNISTSuperResolutionParams, load_mnist_edges,
                                            load_mnist_super_resolution)
from ganzoo_translation.models import (PatchGANParams, SRGeneratorParams, UNetParams, make_patchgan,
                                       make_sr_generator, make_unet)
from ganzoo_translation.resnet import ResNetGeneratorParams, make_resnet_generator
from ganzoo_translation.super_resolution import SuperResolutionParams, load_super_resolution
from ganzoo_translation.unpaired_mnist import MNISTUnpairedParams, load_mnist_unpaired


@hookimpl
def register_algorithms(register):
    register("pix2pix", Pix2Pix, Pix2PixParams,
             "pix2pix (Isola et al. 2017): paired translation, L1 (lambda 100) plus a conditional PatchGAN.")
    register("srgan", SRGAN, SRGANParams,
             "SRGAN (Ledig et al. 2017): super-resolution, pixel and classifier-feature content loss plus adversarial.")
    register("cyclegan", CycleGAN, CycleGANParams,
             "CycleGAN (Zhu et al. 2017): unpaired two-way translation, cycle and identity losses, pools of past fakes.")


@hookimpl
def register_generators(register):
    register("unet", make_unet, UNetParams,
             "U-Net translator (pix2pix): image to image of the same size, skip connections; two-sided data.")
    register("sr", make_sr_generator, SRGeneratorParams,
             "SRGAN generator: residual blocks, sub-pixel upsampling by the targets' size ratio; two-sided data.")
    register("resnet", make_resnet_generator, ResNetGeneratorParams,
             "CycleGAN's ResNet translator: downsampling, residual blocks, upsampling; same size; two-sided data.")


@hookimpl
def register_discriminators(register):
    register("patchgan", make_patchgan, PatchGANParams,
             "PatchGAN: one logit per image patch; optionally conditioned on the input (pix2pix).")


@hookimpl
def register_datasets(register):
    register("mnist-edges", load_mnist_edges, MNISTEdgesParams,
             "Paired: MNIST digit outlines (morphological gradient) -> the digits; test split held out.")
    register("mnist-sr", load_mnist_super_resolution, MNISTSuperResolutionParams,
             "Paired super-resolution: MNIST area-averaged down by 4 (7x7) -> 28x28; test split held out.")
    register("super-resolution", load_super_resolution, SuperResolutionParams,
             "Paired super-resolution of any registered dataset (source, e.g. fashion-mnist): its pictures "
             "area-averaged down by factor -> the pictures; its held-out split held out.")
    register("paired-folder", load_paired_folder, PairedFolderParams,
             "Users' paired images: aligned A|B files or A/ and B/ folders with matching names (train/ test/).")
    register("mnist-unpaired", load_mnist_unpaired, MNISTUnpairedParams,
             "Unpaired: MNIST digits <-> other digits thickened and inverted (known transform); test split held out.")
    register("unpaired-folder", load_unpaired_folder, UnpairedFolderParams,
             "Users' unpaired images in CycleGAN's layout: trainA/, trainB/, testA/, testB/.")
