"""The trainer's side duties are callbacks (ganzoo.training.duties): they run by priority, a recipe can
drop or replace each one, a third-party callback gets grids as tensors and can keep its own part of a
checkpoint, and every old recipe runs them all with unchanged output."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import RECIPE
from ganzoo import Callback, GanzooError, cli, hookimpl
from ganzoo import PRIORITIES
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from ganzoo.recipe import load_recipe
from ganzoo.training.checkpoint import checkpoint_path, list_checkpoints, load_checkpoint
from ganzoo.training.duties import DEFAULT_DUTIES
from ganzoo.training.run_folder import grid_path
from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import EPOCHS, STEPS_PER_EPOCH, TINY, StopAt

PLUGIN = PluginInfo("watching", "ganzoo-watching", "0.1.0")


@dataclass
class WatchParams:
    priority: int = PRIORITIES["normal"]


class Watch(Callback):
    """Notes what the run folder holds at each epoch end, and the grids it is handed."""

    def __init__(self, params):
        self.priority = params.priority
        self.seen, self.grids, self.loaded = [], {}, None

    def end_epoch(self, run, epoch):
        self.seen.append({"epoch": epoch, "grid": grid_path(run.run_dir, epoch).is_file(),
                          "checkpoint": checkpoint_path(run.run_dir, run.step).is_file(),
                          "plot": (run.run_dir / "losses.png").is_file()})

    def on_grid(self, run, epoch, picture):
        self.grids[epoch] = picture

    def before_save_checkpoint(self, run, state):
        state["watch"] = {"step": run.step}

    def after_load_checkpoint(self, run, state):
        self.loaded = state["watch"]


class FailingTeardown(Callback):
    def __init__(self, params):
        pass

    def teardown(self, run):
        raise RuntimeError("boom while closing")


class WatchingPlugin:
    @staticmethod
    @hookimpl
    def register_callbacks(register):
        register("watch", Watch, WatchParams, "Watches the duties.")
        register("fail-teardown", FailingTeardown, WatchParams, "Fails as the run closes.")


def registry():
    return load_registry(extra_plugins=[(PLUGIN, WatchingPlugin)])


def start(run_dir, overrides=(), stop_at=None):
    progress = StopAt(stop_at)
    trainer = start_run(load_recipe(RECIPE, [*TINY, *overrides], registry()), registry(), run_dir, progress)
    progress.trainer = trainer
    return trainer


def watcher(trainer) -> Watch:
    return next(callback for callback in trainer.callbacks if isinstance(callback, Watch))


def test_duties_are_callbacks_listed_like_any_other(capsys):
    assert cli.main(["list", "--kind", "callback"]) == 0
    listed = capsys.readouterr().out
    for name in DEFAULT_DUTIES.values():
        assert name in listed


def test_a_callback_failing_at_teardown_is_one_line_naming_it(data_env, tmp_path):
    trainer = start(tmp_path / "run", ["callbacks=[{name: fail-teardown}]", "train.epochs=1"])
    with pytest.raises(GanzooError, match="callback 'fail-teardown' .*failed while the run was closing: "
                                          "RuntimeError: boom while closing"):
        trainer.fit()


@pytest.mark.parametrize("override, words", [
    ("duties.loss_plt=null", "unknown duty 'duties.loss_plt' (did you mean 'loss_plot'?); the duties are "),
    ("duties={again: {name: ema}}", "unknown duty 'duties.again'; the duties are metrics_file, progress, ema"),
])
def test_a_misspelt_or_extra_duty_slot_is_refused_in_one_line(override, words):
    """A typo must not silently drop nothing, and an extra slot must not run a duty twice."""
    with pytest.raises(GanzooError, match=re.escape(words)):
        load_recipe(RECIPE, [override], registry())


def test_a_recipe_records_the_duties_that_ran(data_env, tmp_path):
    trainer = start(tmp_path / "run", ["duties.loss_plot=null", "train.epochs=1"])
    trainer.fit()
    written = load_recipe(tmp_path / "run" / "recipe.yaml", [], registry()).config.duties
    assert written.loss_plot is None and written.checkpoints.name == "checkpoints"
    assert not (tmp_path / "run" / "losses.png").exists()
    assert (tmp_path / "run" / "metrics.jsonl").is_file() and grid_path(tmp_path / "run", 1).is_file()


def test_a_callback_at_normal_priority_sees_the_grid_and_plot_written_and_the_checkpoint_not_yet(data_env, tmp_path):
    trainer = start(tmp_path / "run", ["callbacks=[{name: watch}]", "train.epochs=1"])
    trainer.fit()
    assert watcher(trainer).seen == [{"epoch": 1, "grid": True, "checkpoint": False, "plot": True}]


def test_a_callback_of_highest_priority_runs_before_the_duties(data_env, tmp_path):
    trainer = start(tmp_path / "run", ["callbacks=[{name: watch, params: {priority: 0}}]", "train.epochs=1"])
    trainer.fit()
    assert watcher(trainer).seen == [{"epoch": 1, "grid": False, "checkpoint": False, "plot": False}]


def test_loggers_get_each_grid_as_the_pictures_pixels(data_env, tmp_path):
    trainer = start(tmp_path / "run", ["loggers=[{name: watch}]", "train.epochs=2"])
    trainer.fit()
    grids = watcher(trainer).grids
    assert sorted(grids) == [1, 2]
    for epoch, picture in grids.items():
        assert picture.dtype == torch.uint8 and picture.shape[0] == 3
        with Image.open(grid_path(tmp_path / "run", epoch)) as png:
            assert np.array_equal(picture.permute(1, 2, 0).numpy(), np.asarray(png.convert("RGB")))


def test_a_replaced_duty_runs_in_its_place(data_env, tmp_path):
    trainer = start(tmp_path / "run", ["duties.sample_grids={name: watch}", "train.epochs=1"])
    trainer.fit()
    assert not grid_path(tmp_path / "run", 1).exists()
    assert [type(duty).__name__ for duty in trainer.duties].count("Watch") == 1


def test_a_callback_keeps_its_part_of_a_checkpoint(data_env, tmp_path):
    stopped = start(tmp_path / "run", ["callbacks=[{name: watch}]"], stop_at=5)
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    assert load_checkpoint(tmp_path / "run")["watch"] == {"step": 5}
    resumed = resume_run(tmp_path / "run", registry(), StopAt())
    assert watcher(resumed).loaded == {"step": 5}


def test_a_stop_is_saved_without_the_checkpoints_duty(data_env, tmp_path):
    stopped = start(tmp_path / "run", ["duties.checkpoints=null"], stop_at=STEPS_PER_EPOCH)  # an epoch's last step
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    assert list_checkpoints(tmp_path / "run") == [checkpoint_path(tmp_path / "run", STEPS_PER_EPOCH)]


def test_metrics_records_come_in_their_order(data_env, tmp_path):
    """Log steps every 3 steps, each epoch's closing record, and no record twice."""
    trainer = start(tmp_path / "run")
    trainer.fit()
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    steps = [record["step"] for record in records]
    assert steps == sorted(set(steps)) and steps[-1] == EPOCHS * STEPS_PER_EPOCH
    assert all(step % 3 == 0 or step % STEPS_PER_EPOCH == 0 for step in steps)
    assert [record["epoch"] for record in records] == [(step - 1) // STEPS_PER_EPOCH + 1 for step in steps]


def test_a_run_from_before_duties_resumes_with_them_all_and_no_edit_warning(data_env, tmp_path):
    import warnings

    import yaml

    from ganzoo.training.checkpoint import save_checkpoint

    run_dir = tmp_path / "run"
    with pytest.raises(TrainingInterrupted):
        start(run_dir, ["train.epochs=1"], stop_at=4).fit()
    [path] = list_checkpoints(run_dir)  # made to look like a run written before recipes had duties
    state = load_checkpoint(path)
    for key in ("format", "version", "checksum", "path", "passed_over"):
        state.pop(key, None)
    old = yaml.safe_load(state["recipe"])
    del old["duties"]
    state["recipe"] = yaml.safe_dump(old, sort_keys=False)
    save_checkpoint(run_dir, state, 2)
    (run_dir / "recipe.yaml").write_text(state["recipe"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for overrides in ([], ["train.epochs=2"]):  # the first resume writes checkpoints with duties
            resumed = resume_run(run_dir, registry(), StopAt(), overrides)
            resumed.fit()
    assert not [w for w in caught if "was edited" in str(w.message)]
    assert len(resumed.duties) == len(DEFAULT_DUTIES) and grid_path(run_dir, 2).is_file()
