"""ganzoo-bigan: a worked example of a ganzoo algorithm whose models are not only a generator and a
discriminator.

It registers the ``bigan`` algorithm (BiGAN, Donahue, Kraehenbuehl and Darrell 2017; ALI, Dumoulin et
al. 2017), an encoder (``mlp-encoder``, kind encoder: pictures -> codes) and a joint critic
(``joint-critic``, kind network: D(x, z) -> one logit per pair). It imports only ganzoo's public API.
"""

from ganzoo import hookimpl

from ganzoo_bigan.bigan import BiGAN
from ganzoo_bigan.networks import EncoderParams, JointCriticParams, make_encoder, make_joint_critic


@hookimpl
def register_algorithms(register):
    register("bigan", BiGAN, None,
             "BiGAN / ALI (Donahue et al. 2017; Dumoulin et al. 2017): G and an encoder E against a joint "
             "critic D(x, z).")


@hookimpl
def register_encoders(register):
    register("mlp-encoder", make_encoder, EncoderParams,
             "MLP encoder: pictures (N, C, H, W) -> codes (N, latent_dim).")


@hookimpl
def register_networks(register):
    register("joint-critic", make_joint_critic, JointCriticParams,
             "Joint critic of (picture, code) pairs: forward(x (N, C, H, W), z (N, latent_dim)) -> (N,) logits.")
