"""Step callbacks run at their points of training, keep their state across a resume, and a plugin
that raises anywhere in training is named in one line."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from conftest import RECIPE
from ganzoo import Callback, GanzooError, cli, hookimpl
from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY, StopAt, train

PLUGIN = PluginInfo("counting", "ganzoo-counting", "0.3.0")


@dataclass
class CountParams:
    fail_at: int = -1  # raise at this step


class Count(Callback):
    """Counts what it sees; its counts are its state."""

    def __init__(self, params):
        self.fail_at = params.fail_at
        self.counts = {"after_update": 0, "after_step": 0, "on_log": 0, "end_epoch": 0}
        self.roles = set()

    def after_update(self, run, roles):
        self.counts["after_update"] += 1
        self.roles.update(roles)

    def after_step(self, run):
        self.counts["after_step"] += 1
        if run.step == self.fail_at:
            raise KeyError("counter overflow")

    def on_log(self, run, record):
        self.counts["on_log"] += 1

    def end_epoch(self, run, epoch):
        self.counts["end_epoch"] += 1

    def state_dict(self):
        return {"counts": dict(self.counts)}

    def load_state_dict(self, state):
        self.counts = dict(state["counts"])


class CountingPlugin:
    @staticmethod
    @hookimpl
    def register_callbacks(register):
        register("count", Count, CountParams, "Counts callback calls.")


def counting_registry():
    return load_registry(extra_plugins=[(PLUGIN, CountingPlugin)])


def start(run_dir, overrides=(), stop_at=None, resume=False):
    registry, progress = counting_registry(), StopAt(stop_at)
    if resume:
        trainer = resume_run(run_dir, registry, progress)
    else:
        recipe = load_recipe(RECIPE, [*TINY, "callbacks=[{name: count}]", *overrides], registry)
        trainer = start_run(recipe, registry, run_dir, progress)
    progress.trainer = trainer
    return trainer


def test_callbacks_see_every_update_step_log_and_epoch(data_env, tmp_path):
    trainer = start(tmp_path / "run", ["algorithm.params.d_steps=2"])
    trainer.fit()
    [count] = trainer.callbacks
    steps = trainer.total_steps
    assert count.counts == {"after_update": steps + steps // 2, "after_step": steps,
                            "on_log": len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()),
                            "end_epoch": 4}
    assert count.roles == {"generator", "discriminator"}


def test_a_callbacks_state_survives_a_resume(data_env, tmp_path):
    whole = start(tmp_path / "whole")
    whole.fit()
    stopped = start(tmp_path / "run", stop_at=13)
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    resumed = start(tmp_path / "run", resume=True)
    assert resumed.callbacks[0].counts["after_step"] == 13
    resumed.fit()
    assert resumed.callbacks[0].counts == whole.callbacks[0].counts


def test_clip_weights_keeps_the_critic_in_its_box(data_env, tmp_path):
    trainer = train(tmp_path / "run", ["loss.name=wasserstein", "callbacks=[{name: clip-weights, params: {clip: 0.02}}]",
                                       "optimizers.discriminator.name=rmsprop", "train.epochs=1"])
    critic = torch.cat([p.detach().flatten() for p in trainer.models["discriminator"].parameters()])
    generator = torch.cat([p.detach().flatten() for p in trainer.models["generator"].parameters()])
    assert critic.abs().max() <= 0.02 and (critic.abs() == 0.02).any()
    assert generator.abs().max() > 0.02  # the generator is not clipped


def test_clip_weights_names_a_role_that_does_not_exist(data_env, tmp_path):
    with pytest.raises(GanzooError, match="clip-weights: role 'critic' is not a model of this run"):
        train(tmp_path / "run", ["callbacks=[{name: clip-weights, params: {role: critic}}]"])


def test_a_callback_that_raises_is_named_in_one_line(data_env, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("ganzoo.commands.run._registry", lambda args: counting_registry())
    code = cli.main(["run", str(RECIPE), *TINY, "callbacks=[{name: count, params: {fail_at: 5}}]",
                     "--out", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1] == ("ganzoo: error: callback 'count' (ganzoo-counting 0.3.0) failed at step 5: "
                       "KeyError: 'counter overflow'; fix the plugin, or run with --debug for the traceback")


def test_a_model_that_raises_in_forward_is_named_by_its_role(data_env, tmp_path, monkeypatch, capsys):
    from ganzoo_vanilla import mlp

    def broken_forward(self, x):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(mlp.MLPDiscriminator, "forward", broken_forward)
    code = cli.main(["run", str(RECIPE), *TINY, "train.step=autograd", "--out", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len([line for line in err if line.startswith("ganzoo: error")]) == 1
    assert err[-1].startswith("ganzoo: error: discriminator 'mlp' (ganzoo 0.1.0) failed before training: "
                              "RuntimeError: mat1 and mat2 shapes cannot be multiplied")


def test_debug_shows_the_plugins_own_traceback(data_env, tmp_path, monkeypatch):
    monkeypatch.setattr("ganzoo.commands.run._registry", lambda args: counting_registry())
    with pytest.raises(GanzooError) as caught:
        cli.main(["run", str(RECIPE), *TINY, "callbacks=[{name: count, params: {fail_at: 2}}]",
                  "--out", str(tmp_path / "run"), "--quiet", "--debug"])
    assert isinstance(caught.value.__cause__, KeyError)  # the real cause, chained


def test_a_resume_that_adds_a_callback_hands_each_its_own_state(data_env, tmp_path):
    stopped = start(tmp_path / "run", stop_at=13)
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    registry, progress = counting_registry(), StopAt()
    resumed = resume_run(tmp_path / "run", registry, progress,
                         ["callbacks=[{name: clip-weights, params: {clip: 1.0}}, {name: count}]"])
    clip, count = resumed.callbacks
    assert type(clip).__name__ == "ClipWeights" and count.counts["after_step"] == 13
