"""Optimisers and learning-rate schedules are plugins, chosen per model role, and resume exactly."""

from __future__ import annotations

import math

import pytest
import torch
from omegaconf import OmegaConf

from conftest import RECIPE
from ganzoo import GanzooError
from ganzoo.recipe import build_recipe, load_recipe
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import EPOCHS, STEPS_PER_EPOCH, TINY, assert_same_run, logged, registry, train


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop"])
def test_each_builtin_optimizer_trains_a_role(data_env, tmp_path, name):
    trainer = train(tmp_path / "run", [f"optimizers.discriminator.name={name}", "train.epochs=1"])
    assert type(trainer.optimizers["discriminator"]).__name__.lower() == name
    assert type(trainer.optimizers["generator"]).__name__ == "Adam"


def test_renaming_an_optimizer_drops_the_params_the_new_one_lacks():
    recipe = load_recipe(RECIPE, ["optimizers.generator.name=sgd", "optimizers.generator.params.momentum=0.9"],
                         registry())
    params = recipe.params["optimizers.generator"]
    assert (type(params).__name__, params.lr, params.momentum) == ("SGDParams", 2e-4, 0.9)  # lr kept, betas gone
    assert "betas" not in OmegaConf.create(recipe.to_yaml()).optimizers.generator.params


def test_the_short_form_and_recipes_written_before_optimizer_plugins_still_load():
    old = OmegaConf.load(RECIPE)  # as a resolved recipe.yaml of an older ganzoo wrote it
    old.optimizers.generator = {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.999], "weight_decay": 0.0,
                                "momentum": 0.0, "implementation": "auto"}
    recipe = build_recipe(old, ["optimizers.discriminator.lr=3e-4"], registry())
    assert recipe.params["optimizers.generator"].lr == 1e-4
    assert recipe.params["optimizers.discriminator"].lr == 3e-4


@pytest.mark.parametrize("override, message", [
    ("optimizers.generator.schedule.name=nope", "unknown schedule 'nope'; registered schedules: constant, cosine"),
    ("optimizers.generator.schedule.name=linear optimizers.generator.schedule.params.start=2",
     "optimizers.generator.schedule.params: start must be in [0, 1]"),
    ("optimizers.critic.lr=1", "unknown key 'optimizers.critic': the algorithm 'gan' trains generator, discriminator"),
    ("optimizers.generator.params.nesterov=true", "Key 'nesterov' not in 'AdamParams'"),
])
def test_bad_optimizer_settings_fail_in_one_line(override, message):
    with pytest.raises(GanzooError) as caught:
        load_recipe(RECIPE, override.split(), registry())
    assert message in str(caught.value)


def test_a_linear_decay_follows_its_curve_and_is_logged(data_env, tmp_path):
    total = EPOCHS * STEPS_PER_EPOCH
    train(tmp_path / "run", ["optimizers.generator.schedule.name=linear",
                             "optimizers.generator.schedule.params.start=0.5"])
    for row in logged(tmp_path / "run"):
        done = max(0.0, (row["step"] - total / 2) / (total / 2))
        assert row["lr"]["generator"] == pytest.approx(2e-4 * (1 - done), abs=1e-12)
        assert row["lr"]["discriminator"] == pytest.approx(2e-4)


@pytest.mark.parametrize("schedule", ["linear", "cosine", "warmup"])
def test_each_schedule_ends_where_it_says(schedule):
    from ganzoo_optim import schedules

    total, optimizer = 100, torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    params = {"linear": schedules.LinearParams(start=0.0, final=0.1), "cosine": schedules.CosineParams(warmup_steps=10),
              "warmup": schedules.WarmupParams(steps=10)}[schedule]
    scheduler = getattr(schedules, f"make_{schedule}")(params, optimizer, total)
    seen = [optimizer.param_groups[0]["lr"]]
    for _ in range(total):
        optimizer.step()
        scheduler.step()
        seen.append(optimizer.param_groups[0]["lr"])
    expected_end = {"linear": 0.1, "cosine": 0.0, "warmup": 1.0}[schedule]
    assert seen[-1] == pytest.approx(expected_end, abs=1e-9)
    assert all(math.isfinite(lr) and 0 <= lr <= 1.0 + 1e-12 for lr in seen)


def test_a_run_with_schedules_resumes_exactly(data_env, tmp_path):
    overrides = ["optimizers.generator.schedule.name=cosine", "optimizers.generator.schedule.params.warmup_steps=5",
                 "optimizers.discriminator.schedule.name=linear"]
    train(tmp_path / "whole", overrides)
    stopped = train(tmp_path / "run", overrides, stop_at=13)
    assert stopped.steps_done == 13
    train(tmp_path / "run", resume=True)
    assert_same_run(tmp_path / "run", tmp_path / "whole")
