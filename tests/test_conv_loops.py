"""The hand-written loops benchmarks/trainer_speed.py times ganzoo against train the same models ganzoo builds."""

import sys

import pytest
import torch

from ganzoo import DataSpec
from ganzoo.testing import load_params
from plugins.ganzoo_zoo.dcgan import make_dcgan_discriminator, make_dcgan_generator

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import conv_loops  # noqa: E402


@pytest.mark.parametrize("conditional", [False, True])
def test_the_plain_conv_models_are_ganzoos_dcgan_at_the_benchmarks_sizes(conditional):
    spec = DataSpec(image_shape=(1, 28, 28), num_classes=10)
    extra = {"conditional": conditional}
    G = make_dcgan_generator(load_params("generator", "dcgan", {"latent_dim": 100, "base_channels": 64,
                                                                 "embed_dim": 16, **extra}), spec)
    D = make_dcgan_discriminator(load_params("discriminator", "dcgan", {"base_channels": 64, **extra}), spec)
    plain_G, plain_D = conv_loops.conv_models(torch, conditional)
    shapes = lambda model: sorted(tuple(p.shape) for p in model.parameters())  # noqa: E731
    assert shapes(plain_G) == shapes(G) and shapes(plain_D) == shapes(D)
    z, labels = torch.randn(4, 100), torch.arange(4)
    assert plain_G(z, labels).shape == G(z, labels if conditional else None).shape == (4, 1, 28, 28)

