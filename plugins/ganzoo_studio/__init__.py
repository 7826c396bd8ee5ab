"""ganzoo's StudioGAN parts: building blocks that compose with any recipe (Kang et al.'s
StudioGAN benchmark trains its models from such parts): the LeCam and consistency (CR, bCR)
regularisers and ContraGAN's conditional contrastive loss (2C) around any loss,
ADA's adaptive augmentation probability for the zoo's diffaugment discriminator, BigGAN's
generator (conditional batch norm, a shared class embedding) and projection discriminator, and
its orthogonal regularisation, LOGAN's latent optimisation (an algorithm: ``gan`` with it), and
StyleGAN2's generator and residual discriminator at 32x32 with its lazy R1 and path-length
regularisation (the ``stylegan2`` algorithm). The zoo's
dcgan models take SAGAN's self-attention block as an option (``attention: 14``).

Like the other built-in plugins, it uses only ganzoo's public API and is registered through the
``ganzoo`` entry-point group, exactly as a third-party plugin is.
"""

from ganzoo import hookimpl

from ganzoo_studio.ada import ADA, ADAParams
from ganzoo_studio.biggan import (BigGANDiscriminatorParams, BigGANGeneratorParams, make_biggan_discriminator,
                                  make_biggan_generator)
from ganzoo_studio.consistency import ConsistencyParams, make_consistency
from ganzoo_studio.contrastive import ContrastiveParams, make_contrastive
from ganzoo_studio.lecam import LeCamParams, make_lecam
from ganzoo_studio.logan import LOGAN, LOGANParams
from ganzoo_studio.orthogonal import Orthogonal, OrthogonalParams
from ganzoo_studio.stylegan2 import (StyleGAN2DiscriminatorParams, StyleGAN2GeneratorParams,
                                     make_stylegan2_discriminator, make_stylegan2_generator)
from ganzoo_studio.stylegan2_algorithm import StyleGAN2, StyleGAN2Params


@hookimpl
def register_algorithms(register):
    register("logan", LOGAN, LOGANParams,
             "LOGAN (Wu et al. 2019): gan, each latent first takes a natural-gradient step up D(G(z)).")
    register("stylegan2", StyleGAN2, StyleGAN2Params,
             "StyleGAN2's regularisers (Karras et al. 2020): gan with lazy R1 and lazy path-length regularisation.")


@hookimpl
def register_generators(register):
    register("biggan", make_biggan_generator, BigGANGeneratorParams,
             "BigGAN (Brock et al. 2019) for 28/32 px: res blocks, conditional BN from a shared class embedding.")
    register("stylegan2", make_stylegan2_generator, StyleGAN2GeneratorParams,
             "StyleGAN2 (Karras et al. 2020) for 32 px: mapping net, modulated convs, noise inputs, style mixing.")


@hookimpl
def register_discriminators(register):
    register("biggan", make_biggan_discriminator, BigGANDiscriminatorParams,
             "BigGAN discriminator: SN res blocks; class by projection (Miyato & Koyama 2018) or 2C's embeddings.")
    register("stylegan2", make_stylegan2_discriminator, StyleGAN2DiscriminatorParams,
             "StyleGAN2's residual discriminator (Karras et al. 2020) for 32 px, with minibatch stddev.")


@hookimpl
def register_losses(register):
    register("lecam", make_lecam, LeCamParams,
             "LeCam (Tseng et al. 2021): around any loss, D's outputs pulled to running means of the other side's.")
    register("contrastive", make_contrastive, ContrastiveParams,
             "ContraGAN's 2C (Kang & Park 2020) or ReACGAN's D2D-CE (Kang et al. 2021): D embeds images by class.")
    register("consistency", make_consistency, ConsistencyParams,
             "CR / bCR (Zhang et al. 2020; Zhao et al. 2021): around any loss, D(x) and D(T(x)) kept alike.")


@hookimpl
def register_callbacks(register):
    register("ada", ADA, ADAParams,
             "ADA (Karras et al. 2020): diffaugment's probability p driven by D's outputs on reals (target 0.6).")
    register("orthogonal", Orthogonal, OrthogonalParams,
             "Orthogonal regularisation (Brock et al. 2019) of the generator's weights, after each of its updates.")
