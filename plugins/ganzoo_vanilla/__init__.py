"""ganzoo's reference plugin set: the vanilla MLP GAN on MNIST.

It uses only ganzoo's public API and is registered through the ``ganzoo``
entry-point group, exactly as a third-party plugin is.
"""

from ganzoo import GAN, GANParams, hookimpl

from ganzoo_vanilla.bce import BCEParams, make_bce
from ganzoo_vanilla.mlp import MLPDiscriminatorParams, MLPGeneratorParams, make_mlp_discriminator, make_mlp_generator
from ganzoo_vanilla.mnist import MNISTParams, load_mnist


@hookimpl
def register_algorithms(register):
    register("gan", GAN, GANParams,
             "Alternating D and G updates (Goodfellow et al. 2014): d_steps D steps per G step; top-k option.")


@hookimpl
def register_generators(register):
    register("mlp", make_mlp_generator, MLPGeneratorParams,
             "Fully connected generator: z -> hidden widths -> image, tanh output.")


@hookimpl
def register_discriminators(register):
    register("mlp", make_mlp_discriminator, MLPDiscriminatorParams,
             "Fully connected discriminator: image -> hidden widths -> one logit.")


@hookimpl
def register_losses(register):
    register("bce", make_bce, BCEParams,
             "Binary cross-entropy on logits: the minimax GAN loss, non-saturating G loss by default.")


@hookimpl
def register_datasets(register):
    register("mnist", load_mnist, MNISTParams,
             "MNIST digits, 1x28x28, read with torchvision (downloads when allowed).")
