"""ganzoo's zoo: DCGAN (conditional, spectral norm, ACGAN's class head, InfoGAN's codes),
the ACGAN and InfoGAN algorithms, LSGAN, hinge and WGAN-GP losses, Fashion-MNIST,
a 2-D Gaussian mixture and image folders.

Like the vanilla set, it uses only ganzoo's public API and is registered through
the ``ganzoo`` entry-point group, exactly as a third-party plugin is.
"""

from ganzoo import hookimpl

from ganzoo_zoo.acgan import ACGAN, ACGANParams
from ganzoo_zoo.callbacks import ClipWeights, ClipWeightsParams
from ganzoo_zoo.dcgan import (DCGANDiscriminatorParams, DCGANGeneratorParams, make_dcgan_discriminator,
                              make_dcgan_generator)
from ganzoo_zoo.diffaugment import DiffAugmentParams, make_diffaugment
from ganzoo_zoo.fashion_mnist import FashionMNISTParams, load_fashion_mnist
from ganzoo_zoo.gaussians import GaussianMixtureParams, load_gaussian_mixture
from ganzoo_zoo.image_folder import ImageFolderParams, load_image_folder
from ganzoo_zoo.packed import PackedParams, load_packed
from ganzoo_zoo.infogan import InfoGAN, InfoGANParams
from ganzoo_zoo.losses import (HingeParams, LSGANParams, WassersteinParams, WGANGPParams, make_hinge, make_lsgan,
                               make_wasserstein, make_wgan_gp)


@hookimpl
def register_algorithms(register):
    register("acgan", ACGAN, ACGANParams,
             "ACGAN (Odena et al. 2017): D also classifies; a class loss on real and fake in both updates.")
    register("infogan", InfoGAN, InfoGANParams,
             "InfoGAN (Chen et al. 2016): G's latent codes, recovered by D's Q head (mutual information).")


@hookimpl
def register_generators(register):
    register("dcgan", make_dcgan_generator, DCGANGeneratorParams,
             "DCGAN generator for square images (28, 32, 64...), any channels; class-conditional, InfoGAN codes.")


@hookimpl
def register_discriminators(register):
    register("dcgan", make_dcgan_discriminator, DCGANDiscriminatorParams,
             "DCGAN discriminator: norms, spectral norm, conditioning; ACGAN class head, InfoGAN Q head options.")
    register("diffaugment", make_diffaugment, DiffAugmentParams,
             "DiffAugment (Zhao et al. 2020): translation, cutout, colour around any discriminator.")


@hookimpl
def register_losses(register):
    register("lsgan", make_lsgan, LSGANParams,
             "Least-squares GAN (Mao et al. 2017); R1 option.")
    register("hinge", make_hinge, HingeParams,
             "Hinge loss (SNGAN, SAGAN); R1 option.")
    register("wasserstein", make_wasserstein, WassersteinParams,
             "Wasserstein critic loss (Arjovsky et al. 2017); pair with the clip-weights callback.")
    register("wgan-gp", make_wgan_gp, WGANGPParams,
             "Wasserstein loss with gradient penalty (Gulrajani et al. 2017); use algorithm.params.d_steps=5.")


@hookimpl
def register_datasets(register):
    register("fashion-mnist", load_fashion_mnist, FashionMNISTParams,
             "Fashion-MNIST, 1x28x28, 10 classes, offline from the dataset-fashion-mnist package.")
    register("gaussians", load_gaussian_mixture, GaussianMixtureParams,
             "2-D mixture of Gaussians (ring of 8, grid of 25): modes covered, high-quality share, scatter plots.")
    register("image-folder", load_image_folder, ImageFolderParams,
             "A folder of PNG/JPEG images, resized to a square; subfolders become classes.")
    register("packed", load_packed, PackedParams,
             "A folder packed by `ganzoo pack`: uint8 shards read from disk as training goes, or held when they fit.")


@hookimpl
def register_callbacks(register):
    register("clip-weights", ClipWeights, ClipWeightsParams,
             "Clamp a model's weights to [-clip, clip] after each of its updates (WGAN).")
