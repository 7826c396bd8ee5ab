"""ganzoo's zoo: DCGAN (conditional, spectral norm, ACGAN's class head, InfoGAN's codes),
the ACGAN and InfoGAN algorithms; LSGAN, hinge, WGAN-GP, WGAN-div, boundary-seeking, DRAGAN,
relativistic and softmax losses; Fashion-MNIST, a 2-D Gaussian mixture and image folders.

Like the vanilla set, it uses only ganzoo's public API and is registered through
the ``ganzoo`` entry-point group, exactly as a third-party plugin is.
"""

from ganzoo import hookimpl

from ganzoo_zoo.acgan import ACGAN, ACGANParams
from ganzoo_zoo.bgan import BGANParams, make_bgan
from ganzoo_zoo.callbacks import ClipWeights, ClipWeightsParams
from ganzoo_zoo.dcgan import (DCGANDiscriminatorParams, DCGANGeneratorParams, make_dcgan_discriminator,
                              make_dcgan_generator)
from ganzoo_zoo.diffaugment import DiffAugmentParams, make_diffaugment
from ganzoo_zoo.dragan import DRAGANParams, make_dragan
from ganzoo_zoo.fashion_mnist import FashionMNISTParams, load_fashion_mnist
from ganzoo_zoo.gaussians import GaussianMixtureParams, load_gaussian_mixture
from ganzoo_zoo.image_folder import ImageFolderParams, load_image_folder
from ganzoo_zoo.packed import PackedParams, load_packed
from ganzoo_zoo.infogan import InfoGAN, InfoGANParams
from ganzoo_zoo.losses import (HingeParams, LSGANParams, WassersteinParams, WGANGPParams, make_hinge, make_lsgan,
                               make_wasserstein, make_wgan_gp)
from ganzoo_zoo.relativistic import RelativisticParams, make_relativistic
from ganzoo_zoo.softmax_gan import SoftmaxGANParams, make_softmax_gan
from ganzoo_zoo.wgan_div import WGANDivParams, make_wgan_div


@hookimpl
def register_algorithms(register):
    register("acgan", ACGAN, ACGANParams,
             "ACGAN (Odena et al. 2017): D also classifies; a class loss on real and fake in both updates.")
    register("infogan", InfoGAN, InfoGANParams,
             "InfoGAN (Chen et al. 2016): G's latent codes, recovered by D's Q head (mutual information).")


@hookimpl
def register_generators(register):
    register("dcgan", make_dcgan_generator, DCGANGeneratorParams,
             "DCGAN generator for square images (28, 32, 64...), any channels; class-conditional, InfoGAN codes, SAGAN attention.")


@hookimpl
def register_discriminators(register):
    register("dcgan", make_dcgan_discriminator, DCGANDiscriminatorParams,
             "DCGAN discriminator: norms, spectral norm, conditioning, SAGAN attention; ACGAN class head, InfoGAN Q head.")
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
    register("wgan-div", make_wgan_div, WGANDivParams,
             "WGAN-div (Wu et al. 2018): Wasserstein loss with the W-div penalty k E||grad D||^p (k=2, p=6).")
    register("bgan", make_bgan, BGANParams,
             "Boundary-seeking GAN (Hjelm et al. 2017): G is trained to put D(G(z)) on the boundary, 0.5.")
    register("dragan", make_dragan, DRAGANParams,
             "DRAGAN (Kodali et al. 2017): BCE with a gradient penalty around perturbed real images.")
    register("relativistic", make_relativistic, RelativisticParams,
             "Relativistic losses (Jolicoeur-Martineau 2018): RSGAN, RaGAN, RaLSGAN; D judges real against fake.")
    register("softmax-gan", make_softmax_gan, SoftmaxGANParams,
             "Softmax GAN (Lin 2017): cross-entropy of a softmax of D's logits over the real and fake batch.")


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
