"""The plugin's own tests, written with ganzoo's contract kit. Run them after `pip install -e .`."""

import pytest
import torch

from ganzoo import testing

SMALL = {"generator": {"latent_dim": 8, "hidden": [16]}, "encoder": {"latent_dim": 8, "hidden": 16},
         "discriminator": {"latent_dim": 8, "hidden": 16}}


def test_plugin_loads_with_its_algorithm_encoder_and_critic():
    components = testing.check_plugin_loads("bigan")
    assert [(c.kind, c.name) for c in components] == [("algorithm", "bigan"), ("encoder", "mlp-encoder"),
                                                       ("network", "joint-critic")]


def test_the_encoder_keeps_the_encoder_contract():
    assert testing.check_encoder("mlp-encoder", SMALL["encoder"]).latent_dim == 8


def test_the_joint_critic_judges_pairs_and_passes_gradients_to_both_inputs():
    pictures, codes = torch.rand(4, 1, 16, 16) * 2 - 1, torch.randn(4, 8)
    testing.check_network("joint-critic", SMALL["discriminator"], inputs=(pictures, codes), output_shape=(4,))


def test_trains_generator_encoder_and_critic_and_resumes():
    trainer = testing.check_algorithm("bigan", components={"encoder": "mlp-encoder", "discriminator": "joint-critic"},
                                      component_params=SMALL, steps=2)
    logged = dict(zip(trainer.window.names, trainer.window.counts.tolist()))
    assert logged == {"d_loss": 2, "ge_loss": 2, "d_real": 2, "d_fake": 2, "recon": 2}
    assert set(trainer.optimizers) == {"generator", "encoder", "discriminator"}


def test_an_encoder_of_another_width_is_named_before_training():
    params = {**SMALL, "encoder": {"latent_dim": 5, "hidden": 16}}
    with pytest.raises(testing.ContractError, match=r"encoder 'mlp-encoder'.*makes codes of shape \(2, 5\)"):
        testing.check_algorithm("bigan", components={"encoder": "mlp-encoder", "discriminator": "joint-critic"},
                                component_params=params)
