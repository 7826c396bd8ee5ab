"""The generator EMA: its arithmetic, its checkpoints, exact resume, and sampling from it."""

import pytest
import torch
from torch import nn

from conftest import QUICK, RECIPE
from ganzoo import GanzooError
from ganzoo.training.checkpoint import load_checkpoint
from ganzoo.training.ema import GeneratorEMA
from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry
from ganzoo.output.sampling import load_generator
from ganzoo.training.trainer import resume_run, start_run

TINY = [*QUICK, "generator.params.hidden=[16]", "discriminator.params.hidden=[16]", "dataset.params.limit=128",
        "train.ema_decay=0.9"]


def test_ema_warms_up_then_follows_the_decay():
    generator = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(generator.weight)
    ema = GeneratorEMA(generator, decay=0.5)
    generator.weight.data.fill_(1.0)
    ema.update(generator)  # decay min(0.5, 1/10) = 0.1
    assert ema.model.weight.item() == pytest.approx(0.9)
    ema.update(generator)  # decay min(0.5, 2/11)
    assert ema.model.weight.item() == pytest.approx(1 - 0.1 * 2 / 11)
    ema.updates = 100  # decay 0.5 from now on
    generator.weight.data.fill_(3.0)
    before = ema.model.weight.item()
    ema.update(generator)
    assert ema.model.weight.item() == pytest.approx(0.5 * before + 0.5 * 3.0)
    assert not any(p.requires_grad for p in ema.model.parameters())


def test_ema_copies_buffers():
    generator = nn.BatchNorm1d(3)
    ema = GeneratorEMA(generator, decay=0.99)
    generator(torch.randn(8, 3) + 5)
    ema.update(generator)
    assert torch.equal(ema.model.running_mean, generator.running_mean)


def test_ema_decay_out_of_range_is_a_one_line_error(data_env):
    with pytest.raises(GanzooError, match="train.ema_decay = 1.0 is out of range"):
        load_recipe(RECIPE, [*TINY, "train.ema_decay=1.0"])


def _fit(overrides, out):
    registry = load_registry()
    trainer = start_run(load_recipe(RECIPE, overrides, registry), registry, out, PlainProgress())
    trainer.fit()
    return trainer, registry


def test_checkpoints_hold_the_ema_and_sampling_uses_it(data_env, tmp_path):
    trainer, registry = _fit(TINY, tmp_path / "run")
    state = load_checkpoint(tmp_path / "run")
    assert state["ema"]["generator"]["updates"] == trainer.steps_done  # one update per generator step
    ema_generator, _ = load_generator(tmp_path / "run", registry)
    raw_generator, _ = load_generator(tmp_path / "run", registry, ema=False)
    for name, value in ema_generator.state_dict().items():
        assert torch.equal(value, state["ema"]["generator"]["model"][name])
    assert not all(torch.equal(a, b) for a, b in zip(ema_generator.parameters(), raw_generator.parameters()))


def test_a_resumed_run_continues_the_ema_exactly(data_env, tmp_path):
    straight, _ = _fit(TINY, tmp_path / "straight")
    registry = load_registry()
    _fit([*TINY, "train.epochs=1"], tmp_path / "split")
    resumed = resume_run(tmp_path / "split", registry, PlainProgress(), ["train.epochs=2"])
    resumed.fit()
    assert straight.sampler() is not straight.generator  # samples come from the EMA duty's average
    for a, b in zip(straight.sampler().state_dict().values(), resumed.sampler().state_dict().values()):
        assert torch.equal(a, b)
    assert straight.state()["ema"]["generator"]["updates"] == resumed.state()["ema"]["generator"]["updates"]


def test_without_ema_checkpoints_hold_none(data_env, tmp_path):
    _fit([*TINY, "train.ema_decay=0"], tmp_path / "run")
    assert "ema" not in load_checkpoint(tmp_path / "run")


def test_ema_follows_weights_loaded_into_the_generator():
    generator = nn.Linear(2, 1)
    ema = GeneratorEMA(generator, decay=0.5)
    ema.updates = 100
    ema.model.load_state_dict({"weight": torch.zeros(1, 2), "bias": torch.zeros(1)})  # as a resume does
    generator.load_state_dict({"weight": torch.full((1, 2), 4.0), "bias": torch.ones(1)})
    ema.update(generator)
    assert ema.model.weight.tolist() == [[2.0, 2.0]] and ema.model.bias.tolist() == [0.5]
