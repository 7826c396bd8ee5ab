"""A component built from another registered one (DiffAugment around any discriminator): the inner
params are typed, their mistakes name the inner key path, and recipe.yaml holds them resolved."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from conftest import RECIPE
from ganzoo import GanzooError
from ganzoo.recipe import build_recipe, load_recipe
from runs import single_thread  # noqa: F401 (autouse fixture)
from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run
from runs import TINY, StopAt, assert_same_run, registry

AROUND_MLP = ["discriminator.name=diffaugment", "discriminator.params.discriminator.name=mlp",
              "discriminator.params.discriminator.params.hidden=[32]"]
SETTINGS = [item for item in TINY if not item.startswith("discriminator.")]


def test_the_inner_params_are_typed_and_written_resolved():
    recipe = load_recipe(RECIPE, ["discriminator.name=diffaugment",
                                  "discriminator.params.discriminator.params.base_channels=16"], registry())
    inner = recipe.params["discriminator"].discriminator
    assert inner.name == "dcgan" and type(inner.params).__name__ == "DCGANDiscriminatorParams"
    assert inner.params.base_channels == 16
    written = OmegaConf.create(recipe.to_yaml())
    assert written.discriminator.params.discriminator.params.base_channels == 16
    assert "norm" in written.discriminator.params.discriminator.params  # defaults written out
    again = build_recipe(written, (), registry())  # recipe.yaml reproduces the run
    assert again.to_yaml() == recipe.to_yaml()


@pytest.mark.parametrize("override, message", [
    ("discriminator.params.discriminator.params.base_chanels=16",
     "unknown key 'discriminator.params.discriminator.params.base_chanels'"),
    ("discriminator.params.discriminator.name=nope", "unknown discriminator 'nope'"),
    ("discriminator.params.discriminator.params.base_channels=many",
     "bad value for 'discriminator.params.discriminator.params.base_channels'"),
])
def test_mistakes_inside_name_the_inner_key(override, message):
    with pytest.raises(GanzooError) as caught:
        load_recipe(RECIPE, ["discriminator.name=diffaugment", override], registry())
    assert message in str(caught.value)


def fit(trainer, stop_at=None):
    progress = StopAt(stop_at)
    progress.trainer, trainer.progress = trainer, progress
    return trainer.fit()


def test_diffaugment_trains_and_resumes_exactly(data_env, tmp_path):
    recipe = load_recipe(RECIPE, [*SETTINGS, *AROUND_MLP], registry())
    whole = start_run(recipe, registry(), tmp_path / "whole")
    assert type(whole.models["discriminator"]).__name__ == "DiffAugment"
    fit(whole)
    with pytest.raises(TrainingInterrupted):
        fit(start_run(recipe, registry(), tmp_path / "run"), stop_at=11)
    fit(resume_run(tmp_path / "run", registry()))
    assert_same_run(tmp_path / "run", tmp_path / "whole")


def augmenter(policy, **params):
    from ganzoo_zoo.diffaugment import DiffAugment, DiffAugmentParams

    return DiffAugment(torch.nn.Identity(), DiffAugmentParams(policy=policy, **params))


def test_translation_shifts_whole_images_and_fills_with_zero():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 8, 8) + 1  # no zeros of its own
    out = augmenter(["translation"]).translation(x)
    for image, moved in zip(x, out):
        kept = moved[moved != 0]
        assert kept.numel() >= 7 * 7  # at most one row and one column shifted out at 1/8 of 8 pixels
        assert torch.isin(kept, image).all()  # nothing new, only moved


def test_cutout_zeroes_one_square_per_image():
    out = augmenter(["cutout"]).cutout(torch.ones(32, 3, 8, 8))
    zeroed = (out[:, 0] == 0).flatten(1).sum(1)
    assert zeroed.max() == 16 and zeroed.min() >= 4  # a 4x4 square, clipped at the border at worst
    assert torch.equal(out[:, 0], out[:, 2])  # the same square in every channel


def test_in_eval_mode_the_discriminator_sees_the_images_as_they_are():
    wrapper = augmenter(["translation", "cutout", "color"]).eval()
    x = torch.rand(4, 1, 8, 8)
    assert torch.equal(wrapper(x), x)
    assert not torch.equal(wrapper.train()(x), x)


def test_a_conditional_inner_discriminator_stays_conditional(data_env, tmp_path):
    recipe = load_recipe(RECIPE.with_name("cgan_mnist.yaml"), ["discriminator.name=diffaugment",
                         "discriminator.params.discriminator.params.conditional=true"], registry())
    assert recipe.params["discriminator"].discriminator.params.conditional is True
