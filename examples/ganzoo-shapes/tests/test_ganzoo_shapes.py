"""The plugin's own tests, written with ganzoo's contract kit. Run them after `pip install -e .`."""

import pytest
import torch

from ganzoo import testing


def test_plugin_loads_with_its_three_components():
    components = testing.check_plugin_loads("shapes")
    assert sorted((c.kind, c.name) for c in components) == [("dataset", "shapes"), ("loss", "rahinge"),
                                                            ("metric", "mean_gap")]


def test_rahinge_honours_the_loss_contract():
    testing.check_loss("rahinge")
    testing.check_loss("rahinge", {"margin": 0.5})


def test_rahinge_is_zero_for_a_discriminator_that_separates_by_the_margin():
    loss = testing.check_loss("rahinge")
    real, fake = torch.full((4,), 1.0), torch.full((4,), -1.0)
    assert loss.discriminator_loss(real, fake, ctx=None).item() == 0.0


def test_shapes_honours_the_dataset_contract_and_is_reproducible():
    data = testing.check_dataset("shapes", {"n": 30, "size": 16})
    assert tuple(data.images.shape) == (30, 1, 16, 16) and data.num_classes == 3
    again = testing.check_dataset("shapes", {"n": 30, "size": 16})
    assert torch.equal(data.images, again.images)
    inside = (data.images > 0).flatten(1).float().mean(1)
    assert ((inside > 0.05) & (inside < 0.6)).all()  # every image shows one shape, not empty, not full


def test_one_training_step_with_the_builtin_mlp_models():
    testing.check_training_step(loss="rahinge", dataset="shapes", params={"dataset": {"n": 16, "size": 16}})


def test_mean_gap_is_zero_for_the_reference_set_itself_and_grows_with_a_shift():
    from ganzoo import Features
    from ganzoo_shapes.mean_gap import MeanGap, MeanGapParams

    real = Features(torch.randn(50, 8, generator=torch.Generator().manual_seed(0)))
    metric = MeanGap(MeanGapParams())
    assert metric.compute(real, real) == {"mean_gap": 0.0}
    shifted = Features(real.features + 3.0)
    assert metric.compute(shifted, real)["mean_gap"] == pytest.approx(3.0 * 8 ** 0.5)
    assert MeanGap(MeanGapParams(scale=2.0)).compute(shifted, real)["mean_gap"] == pytest.approx(6.0 * 8 ** 0.5)
