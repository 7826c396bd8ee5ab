"""ganzoo's StudioGAN parts: building blocks that compose with any recipe (Kang et al.'s
StudioGAN benchmark trains its models from such parts): the LeCam regulariser around any loss,
and ADA's adaptive augmentation probability for the zoo's diffaugment discriminator. The zoo's
dcgan models take SAGAN's self-attention block as an option (``attention: 14``).

Like the other built-in plugins, it uses only ganzoo's public API and is registered through the
``ganzoo`` entry-point group, exactly as a third-party plugin is.
"""

from ganzoo import hookimpl

from ganzoo_studio.ada import ADA, ADAParams
from ganzoo_studio.lecam import LeCamParams, make_lecam


@hookimpl
def register_losses(register):
    register("lecam", make_lecam, LeCamParams,
             "LeCam (Tseng et al. 2021): around any loss, D's outputs pulled to running means of the other side's.")


@hookimpl
def register_callbacks(register):
    register("ada", ADA, ADAParams,
             "ADA (Karras et al. 2020): diffaugment's probability p driven by D's outputs on reals (target 0.6).")
