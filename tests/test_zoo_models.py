"""DCGAN generator and discriminator: shapes, channels, conditioning, spectral norm."""

import pytest
import torch

from ganzoo import DataSpec
from ganzoo_zoo.dcgan import (DCGANDiscriminatorParams, DCGANGeneratorParams, make_dcgan_discriminator,
                              make_dcgan_generator)

SMALL = {"base_channels": 8}


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 28, 28), (4, 64, 64)])
def test_dcgan_maps_noise_to_images_and_images_to_one_logit(shape):
    spec = DataSpec(shape)
    G = make_dcgan_generator(DCGANGeneratorParams(latent_dim=16, **SMALL), spec)
    D = make_dcgan_discriminator(DCGANDiscriminatorParams(**SMALL), spec)
    images = G(torch.randn(5, G.latent_dim))
    assert images.shape == (5, *shape)
    assert images.abs().max() <= 1.0
    assert D(images).shape == (5,)


@pytest.mark.parametrize("side", [30, 27, 8 * 3 * 3])
def test_dcgan_rejects_sides_it_cannot_build(side):
    with pytest.raises(ValueError, match="DCGAN needs a side"):
        make_dcgan_generator(DCGANGeneratorParams(**SMALL), DataSpec((1, side, side)))
    with pytest.raises(ValueError, match="square"):
        make_dcgan_discriminator(DCGANDiscriminatorParams(**SMALL), DataSpec((1, 28, 32)))


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_conditional_models_depend_on_the_labels(conditioning):
    spec = DataSpec((1, 28, 28), num_classes=10)
    G = make_dcgan_generator(DCGANGeneratorParams(latent_dim=16, conditional=True, **SMALL), spec).eval()
    D = make_dcgan_discriminator(
        DCGANDiscriminatorParams(conditional=True, conditioning=conditioning, norm="none", **SMALL), spec)
    assert G.conditional and D.conditional
    z = torch.randn(4, 16).repeat(2, 1)
    labels = torch.tensor([0, 1, 2, 3, 7, 7, 7, 7])
    images = G(z, labels)
    assert images.shape == (8, 1, 28, 28)
    assert not torch.allclose(images[:4], images[4:])  # same noise, other labels: other images
    x = images.detach()[:1].repeat(2, 1, 1, 1)
    logits = D(x, torch.tensor([3, 7]))
    assert logits.shape == (2,) and logits[0] != logits[1]


def test_conditional_models_need_labelled_data():
    with pytest.raises(ValueError, match="needs a dataset with class labels"):
        make_dcgan_generator(DCGANGeneratorParams(conditional=True), DataSpec((1, 28, 28)))
    with pytest.raises(ValueError, match="needs a dataset with class labels"):
        make_dcgan_discriminator(DCGANDiscriminatorParams(conditional=True), DataSpec((1, 28, 28)))


def test_spectral_norm_keeps_every_layer_near_unit_spectral_norm():
    torch.manual_seed(0)
    D = make_dcgan_discriminator(DCGANDiscriminatorParams(spectral_norm=True, norm="none", init="normal",
                                                          **SMALL), DataSpec((3, 32, 32)))
    for _ in range(30):  # each training-mode forward runs one power iteration
        D(torch.randn(2, 3, 32, 32))
    layers = [m for m in D.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(layers) == 4
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
        assert sigma == pytest.approx(1.0, abs=0.05)


def test_spectrally_normalised_discriminator_survives_a_state_dict_round_trip():
    spec = DataSpec((1, 28, 28), num_classes=10)
    params = DCGANDiscriminatorParams(spectral_norm=True, norm="none", conditional=True, **SMALL)
    D = make_dcgan_discriminator(params, spec)
    D(torch.randn(2, 1, 28, 28), torch.tensor([1, 2]))
    copy = make_dcgan_discriminator(params, spec)
    copy.load_state_dict(D.state_dict())
    x, y = torch.randn(3, 1, 28, 28), torch.tensor([0, 5, 9])
    assert torch.allclose(D.eval()(x, y), copy.eval()(x, y))


@pytest.mark.parametrize("norm, layer", [("batch", torch.nn.BatchNorm2d), ("layer", torch.nn.GroupNorm),
                                         ("instance", torch.nn.InstanceNorm2d)])
def test_discriminator_norm_option_chooses_the_layer(norm, layer):
    D = make_dcgan_discriminator(DCGANDiscriminatorParams(norm=norm, **SMALL), DataSpec((1, 28, 28)))
    assert sum(isinstance(m, layer) for m in D.modules()) == 1  # every convolution but the first
    none = make_dcgan_discriminator(DCGANDiscriminatorParams(norm="none", **SMALL), DataSpec((1, 28, 28)))
    assert not any(isinstance(m, layer) for m in none.modules())


def test_class_head_returns_class_logits_beside_the_logit():
    spec = DataSpec((1, 28, 28), num_classes=10)
    D = make_dcgan_discriminator(DCGANDiscriminatorParams(class_head=True, **SMALL), spec)
    out = D(torch.randn(3, 1, 28, 28))
    assert set(out) == {"logits", "class_logits"}
    assert out["logits"].shape == (3,) and out["class_logits"].shape == (3, 10)
    with pytest.raises(ValueError, match="class_head: true needs a dataset with class labels"):
        make_dcgan_discriminator(DCGANDiscriminatorParams(class_head=True), DataSpec((1, 28, 28)))


def test_code_generator_draws_noise_then_a_one_hot_code_then_continuous_codes():
    G = make_dcgan_generator(DCGANGeneratorParams(latent_dim=6, code_categories=4, continuous_codes=2, **SMALL),
                             DataSpec((1, 28, 28)))
    assert G.latent_dim == 12 and G.code_categories == 4 and G.continuous_codes == 2
    z = G.sample_latent(500, torch.Generator().manual_seed(0))
    assert z.shape == (500, 12)
    codes = z[:, 6:10]
    assert torch.equal(codes.sum(1), torch.ones(500)) and set(codes.argmax(1).tolist()) == {0, 1, 2, 3}
    assert z[:, 10:].abs().max() <= 1.0 and z[:, 10:].min() < -0.9 and z[:, 10:].max() > 0.9
    assert torch.equal(z, G.sample_latent(500, torch.Generator().manual_seed(0)))  # every number from rng
    fixed = G.sample_latent(500, torch.Generator().manual_seed(0), code=3)
    assert torch.equal(fixed[:, 6:10].argmax(1), torch.full((500,), 3))
    assert torch.equal(fixed[:, :6], z[:, :6]) and torch.equal(fixed[:, 10:], z[:, 10:])  # only the code changes
    assert G(z[:2]).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="code must be in 0..3, got 4"):
        G.sample_latent(2, torch.Generator(), code=4)


def test_plain_dcgan_draws_no_latent_of_its_own():
    G = make_dcgan_generator(DCGANGeneratorParams(latent_dim=16, **SMALL), DataSpec((1, 28, 28)))
    assert G.latent_dim == 16 and not hasattr(G, "sample_latent") and not hasattr(G, "code_categories")


def test_q_head_returns_the_codes_of_the_generator():
    D = make_dcgan_discriminator(DCGANDiscriminatorParams(code_categories=10, continuous_codes=2, **SMALL),
                                 DataSpec((1, 28, 28)))
    out = D(torch.randn(3, 1, 28, 28))
    assert set(out) == {"logits", "code_logits", "code_values"}
    assert out["code_logits"].shape == (3, 10) and out["code_values"].shape == (3, 2)
    only_continuous = make_dcgan_discriminator(DCGANDiscriminatorParams(continuous_codes=3, **SMALL),
                                               DataSpec((1, 28, 28)))
    assert set(only_continuous(torch.randn(2, 1, 28, 28))) == {"logits", "code_values"}


@pytest.mark.parametrize("params, message", [
    (dict(code_categories=1), "code_categories must be 0 .no code. or at least 2, got 1"),
    (dict(code_categories=-2), "code_categories must be 0"),
    (dict(continuous_codes=-1), "continuous_codes must be at least 0, got -1"),
])
def test_code_params_are_checked(params, message):
    with pytest.raises(ValueError, match=message):
        DCGANGeneratorParams(**params)
    with pytest.raises(ValueError, match=message):
        DCGANDiscriminatorParams(**params)
