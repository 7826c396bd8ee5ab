"""ganzoo's classics: the training algorithms of PyTorch-GAN's collection that need more than one
generator and one discriminator, or networks of other kinds, with their networks:

- BEGAN and EBGAN: an autoencoder as the discriminator (``autoencoder``), and the paper's kind of
  generator (``upsampling``);
- the adversarial autoencoder (``aae``): an ``encoder`` (an encoder) and a critic of codes (``code-mlp``, a
  network);
- the semi-supervised GAN (``sgan``): a classifier as a K+1-class discriminator (``classifier``);
- CoGAN: two generator/discriminator pairs sharing layers (``coupled`` generator and discriminator);
- ClusterGAN (``cluster_gan``): a cluster code in the latent (``cluster`` generator), read back by
  an ``encoder``.

Like the other built-in plugins it uses only ganzoo's public API and is registered through the
``ganzoo`` entry-point group, exactly as a third-party plugin is.
"""

from ganzoo import hookimpl

from ganzoo_classics.aae import AAE, AAEParams
from ganzoo_classics.autoencoder import AutoencoderParams, make_autoencoder
from ganzoo_classics.began import BEGAN, BEGANParams
from ganzoo_classics.clustergan import ClusterGAN, ClusterGANParams, ClusterGeneratorParams, make_cluster_generator
from ganzoo_classics.cogan import (CoGAN, CoupledDiscriminatorParams, CoupledGeneratorParams,
                                   make_coupled_discriminator, make_coupled_generator)
from ganzoo_classics.codes import CodeMLPParams, EncoderParams, make_code_mlp, make_encoder
from ganzoo_classics.ebgan import EBGAN, EBGANParams
from ganzoo_classics.sgan import SGAN, ClassifierParams, SGANParams, make_classifier
from ganzoo_classics.upsampling import UpsamplingGeneratorParams, make_upsampling_generator


@hookimpl
def register_algorithms(register):
    register("aae", AAE, AAEParams,
             "Adversarial autoencoder (Makhzani et al. 2015): a D on codes pushes the encoder's codes to the prior.")
    register("began", BEGAN, BEGANParams,
             "BEGAN (Berthelot et al. 2017): autoencoder D, k_t balances real and fake energies; M logged.")
    register("cluster_gan", ClusterGAN, ClusterGANParams,
             "ClusterGAN (Mukherjee et al. 2019): a one-hot cluster code in z, recovered by an encoder trained with G.")
    register("cogan", CoGAN, None,
             "CoGAN (Liu & Tuzel 2016): two G/D pairs sharing layers learn two unpaired domains jointly.")
    register("ebgan", EBGAN, EBGANParams,
             "EBGAN (Zhao et al. 2016): autoencoder D as an energy with a margin, pulling-away term for G.")
    register("sgan", SGAN, SGANParams,
             "Semi-supervised GAN (Odena 2016; Salimans et al. 2016): a K+1-class D trained with 100 labels.")


@hookimpl
def register_discriminators(register):
    register("autoencoder", make_autoencoder, AutoencoderParams,
             "Autoencoder discriminator (BEGAN, EBGAN): energy = reconstruction error, logits = -energy.")
    register("classifier", make_classifier, ClassifierParams,
             "CNN classifier of K classes as a K+1-class discriminator (logit = logsumexp of class logits; SGAN).")
    register("coupled", make_coupled_discriminator, CoupledDiscriminatorParams,
             "CoGAN's two discriminators in one: a first layer per domain, the rest shared; forward(x, domain).")


@hookimpl
def register_generators(register):
    register("cluster", make_cluster_generator, ClusterGeneratorParams,
             "ClusterGAN's generator: z = [N(0, 0.1^2) noise, one-hot cluster code]; ganzoo sample --code k.")
    register("coupled", make_coupled_generator, CoupledGeneratorParams,
             "CoGAN's two generators in one: shared first layers, a last layer per domain; forward(z) = A, pair(z).")
    register("upsampling", make_upsampling_generator, UpsamplingGeneratorParams,
             "BEGAN's generator: upsampling and 3x3 convolutions (no transposed ones), ELU, optional batch norm.")


@hookimpl
def register_encoders(register):
    register("encoder", make_encoder, EncoderParams,
             "Convolutional encoder, pictures -> codes (N, latent_dim), for AAE and ClusterGAN.")


@hookimpl
def register_networks(register):
    register("code-mlp", make_code_mlp, CodeMLPParams,
             "MLP critic of latent codes: forward(codes (N, code_dim)) -> one logit each, (N,) (AAE).")
