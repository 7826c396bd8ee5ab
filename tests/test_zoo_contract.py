"""The built-in zoo plugin, checked with the contract kit plugin authors use."""

import pytest
from PIL import Image

from ganzoo import DataSpec, testing

SMALL = {"base_channels": 8}


def test_zoo_plugin_loads():
    names = {(c.kind, c.name) for c in testing.check_plugin_loads("zoo")}
    assert ("generator", "dcgan") in names and ("dataset", "gaussians") in names


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 16, 16)])
def test_dcgan_models_honour_the_contract(shape):
    data = DataSpec(shape, num_classes=10)
    testing.check_generator("dcgan", {"latent_dim": 8, **SMALL}, data=data)
    testing.check_generator("dcgan", {"latent_dim": 8, "conditional": True, **SMALL}, data=data)
    testing.check_discriminator("dcgan", SMALL, data=data)
    testing.check_discriminator("dcgan", {"spectral_norm": True, "norm": "none", "conditional": True, **SMALL},
                                data=data)
    testing.check_discriminator("dcgan", {"norm": "layer", "conditional": True, "conditioning": "concat",
                                          **SMALL}, data=data)
    testing.check_generator("dcgan", {"latent_dim": 8, "code_categories": 10, "continuous_codes": 2, **SMALL},
                            data=data)
    testing.check_discriminator("dcgan", {"class_head": True, **SMALL}, data=data)
    testing.check_discriminator("dcgan", {"code_categories": 10, "continuous_codes": 2, **SMALL}, data=data)


@pytest.mark.parametrize("name, params", [("lsgan", {}), ("hinge", {"r1_gamma": 1.0}), ("wgan-gp", {}),
                                          ("wgan-gp", {"drift": 0.001, "r1_gamma": 0.5}), ("wgan-div", {}),
                                          ("dragan", {}), ("bgan", {}), ("relativistic", {"variant": "rsgan"}),
                                          ("relativistic", {}), ("relativistic", {"variant": "ralsgan"}),
                                          ("softmax-gan", {})])
def test_zoo_losses_honour_the_contract(name, params):
    testing.check_loss(name, params)


def test_zoo_datasets_honour_the_contract(tmp_path):
    testing.check_dataset("gaussians", {"samples": 64})
    testing.check_dataset("gaussians", {"layout": "grid", "samples": 64})
    for i in range(3):
        Image.new("RGB", (20, 30), (40 * i, 0, 0)).save(tmp_path / f"{i}.png")
    testing.check_dataset("image-folder", {"path": str(tmp_path), "size": 16})
    from ganzoo.storage.packing import pack_folder

    pack_folder(tmp_path, tmp_path / "packed", size=16)
    testing.check_dataset("packed", {"path": str(tmp_path / "packed")})


def test_one_wgan_gp_step_on_dcgan():
    trainer = testing.check_training_step(generator="dcgan", discriminator="dcgan", loss="wgan-gp", d_steps=2,
                                          params={"generator": {"latent_dim": 8, **SMALL},
                                                  "discriminator": {"norm": "layer", **SMALL}})
    assert trainer.steps_done == 2
