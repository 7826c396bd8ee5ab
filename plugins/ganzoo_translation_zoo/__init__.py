"""ganzoo's translation zoo: more of PyTorch-GAN's image-to-image models, beside the translation
plugin's pix2pix, CycleGAN and SRGAN, on the same two-sided datasets and networks:

- DiscoGAN (``discogan``) and DualGAN (``dualgan``): unpaired translation both ways, two
  generators and two discriminators, as CycleGAN;
- UNIT (``unit``): unpaired translation through a latent space shared by two VAEs, with its
  network (``unit``: both encoders and decoders, the innermost layers shared);
- MUNIT (``munit``): unpaired and multimodal, a content code and a style code per picture, with
  its network (``munit``; ``translate --reference`` takes the style of a picture);
- the Context Encoder (``context_encoder``): inpainting of masked centres, with its generator
  (``context-encoder``) and tasks (``mnist-inpaint``, ``inpaint-folder`` for users' pictures);
- CC-GAN (``ccgan``): the Context Encoder's generator against the semi-supervised GAN's K+1-class
  ``classifier``, which learns to read digits from a few labels;
- BicycleGAN (``bicyclegan``): one input, many outputs, a latent code for the style, with its
  generator (``bicycle``) and encoder (``bicycle-encoder``, a network: it gives a mean and a log-variance);
- StarGAN (``stargan``): one generator for several domains chosen by a label, with its
  generator (``stargan``), critic (``stargan-critic``, which also classifies the domain) and tasks
  (``mnist-domains``, ``domains-folder`` for users' pictures in named subfolders);
- PixelDA (``pixelda``): domain adaptation from labelled MNIST to coloured digits, with its
  generator (``pixelda``), classifier (``pixelda-classifier``, a network) and task (``mnist-colour``);
- ESRGAN (``esrgan``): super-resolution with the ``rrdb`` generator, a relativistic average
  discriminator and network interpolation between its PSNR and GAN models.

It builds on the translation plugin (its networks, datasets and unpaired base class) and, for
CC-GAN, the classics plugin's SGAN, which ship in the same distribution. Like the other built-in
plugins it uses only ganzoo's public API and is registered through the ``ganzoo`` entry-point
group, exactly as a third-party plugin is.
"""

from ganzoo import hookimpl

from ganzoo_translation_zoo.bicyclegan import (BicycleEncoderParams, BicycleGAN, BicycleGANParams,
                                               BicycleGeneratorParams, make_bicycle_encoder,
                                               make_bicycle_generator)
from ganzoo_translation_zoo.ccgan import CCGAN, CCGANParams
from ganzoo_translation_zoo.discogan import DiscoGAN, DiscoGANParams
from ganzoo_translation_zoo.dualgan import DualGAN, DualGANParams
from ganzoo_translation_zoo.esrgan import ESRGAN, ESRGANParams, RRDBGeneratorParams, make_rrdb_generator
from ganzoo_translation_zoo.inpainting import (ContextEncoderAlgorithmParams, ContextEncoderGAN, ContextEncoderParams,
                                               InpaintFolderParams, MNISTInpaintParams, load_inpaint_folder,
                                               load_mnist_inpaint, make_context_encoder)
from ganzoo_translation_zoo.munit import MUNIT, MUNITNetworkParams, MUNITParams, make_munit_network
from ganzoo_translation_zoo.pixelda import (MNISTColourParams, PixelDA, PixelDAClassifierParams,
                                            PixelDAGeneratorParams, PixelDAParams, load_mnist_colour,
                                            make_pixelda_classifier, make_pixelda_generator)
from ganzoo_translation_zoo.stargan import (DomainsFolderParams, MNISTDomainsParams, StarGAN, StarGANCriticParams,
                                            StarGANGeneratorParams, StarGANParams, load_domains_folder,
                                            load_mnist_domains, make_stargan_critic, make_stargan_generator)
from ganzoo_translation_zoo.unit import UNIT, UNITNetworkParams, UNITParams, make_unit_network


@hookimpl
def register_algorithms(register):
    register("bicyclegan", BicycleGAN, BicycleGANParams,
             "BicycleGAN (Zhu et al. 2017): paired translation to many outputs, a latent code read back by an encoder.")
    register("discogan", DiscoGAN, DiscoGANParams,
             "DiscoGAN (Kim et al. 2017): unpaired two-way translation, GAN plus reconstruction losses at one weight.")
    register("dualgan", DualGAN, DualGANParams,
             "DualGAN (Yi et al. 2017): unpaired two-way translation, Wasserstein critics, L1 reconstruction.")
    register("esrgan", ESRGAN, ESRGANParams,
             "ESRGAN (Wang et al. 2018): PSNR stage, then features before activation plus a relativistic average D.")
    register("munit", MUNIT, MUNITParams,
             "MUNIT (Huang et al. 2018): unpaired, multimodal; content and style codes, style drawn or from a picture.")
    register("pixelda", PixelDA, PixelDAParams,
             "PixelDA (Bousmalis et al. 2017): source pictures adapted to a target domain, classified by source labels.")
    register("stargan", StarGAN, StarGANParams,
             "StarGAN (Choi et al. 2018): one generator, several domains chosen by a label; D also reads the domain.")
    register("unit", UNIT, UNITParams,
             "UNIT (Liu et al. 2017): unpaired translation through a shared latent space of two VAEs.")
    register("ccgan", CCGAN, CCGANParams,
             "CC-GAN (Denton et al. 2016): inpainting against a K+1-class D that also learns digits from few labels.")
    register("context_encoder", ContextEncoderGAN, ContextEncoderAlgorithmParams,
             "Context Encoder (Pathak et al. 2016): inpainting a masked centre, L2 (0.999) plus adversarial (0.001).")


@hookimpl
def register_generators(register):
    register("bicycle", make_bicycle_generator, BicycleGeneratorParams,
             "BicycleGAN's generator: a U-Net on the input and a style code z (z = 0 when not given); two-sided data.")
    register("unit", make_unit_network, UNITNetworkParams,
             "UNIT's network: an encoder and a decoder per domain, innermost layers shared; two-sided data.")
    register("context-encoder", make_context_encoder, ContextEncoderParams,
             "Context Encoder's generator: a U-Net paints the masked central square, the rest passes unchanged.")
    register("munit", make_munit_network, MUNITNetworkParams,
             "MUNIT's network: content and style encoders and AdaIN decoders per domain; two-sided data.")
    register("pixelda", make_pixelda_generator, PixelDAGeneratorParams,
             "PixelDA's generator: a source picture and a noise plane -> a target-domain picture (z = 0 if not given).")
    register("stargan", make_stargan_generator, StarGANGeneratorParams,
             "StarGAN's generator: the picture plus one-hot planes of the asked domain, down, residual, up.")
    register("rrdb", make_rrdb_generator, RRDBGeneratorParams,
             "ESRGAN's generator: residual-in-residual dense blocks, nearest upsampling by 2s; two-sided data.")


@hookimpl
def register_discriminators(register):
    register("stargan-critic", make_stargan_critic, StarGANCriticParams,
             "StarGAN's discriminator: real/fake per patch (forward) and the domain's logits (classify).")


@hookimpl
def register_networks(register):
    register("bicycle-encoder", make_bicycle_encoder, BicycleEncoderParams,
             "BicycleGAN's encoder (its encoder role): a target picture -> its code's mean and log-variance, "
             "(N, 2 x latent_dim).")
    register("pixelda-classifier", make_pixelda_classifier, PixelDAClassifierParams,
             "PixelDA's task classifier (its classifier role): pictures of the target's shape -> class logits.")


@hookimpl
def register_datasets(register):
    register("mnist-inpaint", load_mnist_inpaint, MNISTInpaintParams,
             "Paired inpainting: MNIST, its central square filled by the training mean -> the digit; test held out.")
    register("mnist-colour", load_mnist_colour, MNISTColourParams,
             "Domain adaptation: MNIST (A, labelled) -> other digits over seeded coloured backgrounds (B); unpaired.")
    register("mnist-domains", load_mnist_domains, MNISTDomainsParams,
             "Several domains (plain, thin, thick, inverted, rotated, outlined MNIST digits), labelled; seeded.")
    register("domains-folder", load_domains_folder, DomainsFolderParams,
             "Users' pictures for StarGAN: one named subfolder per domain (or train/ and test/ folders of them).")
    register("inpaint-folder", load_inpaint_folder, InpaintFolderParams,
             "Users' pictures for inpainting: the central square filled by the training mean -> the picture.")
