"""ganzoo's classics: the training algorithms of PyTorch-GAN's collection that need more than one
generator and one discriminator, or a discriminator of another kind: BEGAN and EBGAN (an
autoencoder as the discriminator), with their networks.

Like the other built-in plugins it uses only ganzoo's public API and is registered through the
``ganzoo`` entry-point group, exactly as a third-party plugin is.
"""

from ganzoo import hookimpl

from ganzoo_classics.autoencoder import AutoencoderParams, make_autoencoder
from ganzoo_classics.began import BEGAN, BEGANParams
from ganzoo_classics.ebgan import EBGAN, EBGANParams


@hookimpl
def register_algorithms(register):
    register("began", BEGAN, BEGANParams,
             "BEGAN (Berthelot et al. 2017): autoencoder D, k_t balances real and fake energies; M logged.")
    register("ebgan", EBGAN, EBGANParams,
             "EBGAN (Zhao et al. 2016): autoencoder D as an energy with a margin, pulling-away term for G.")


@hookimpl
def register_discriminators(register):
    register("autoencoder", make_autoencoder, AutoencoderParams,
             "Autoencoder discriminator (BEGAN, EBGAN): energy = reconstruction error, logits = -energy.")
