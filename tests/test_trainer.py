"""The trainer on a tiny MNIST in real IDX format: artifacts, determinism, exact resume."""

import json

import pytest
import torch
from PIL import Image

from ganzoo.training import checkpoint
from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry
from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run

from conftest import QUICK, RECIPE


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def train(registry, out, *overrides):
    recipe = load_recipe(RECIPE, QUICK + list(overrides), registry)
    trainer = start_run(recipe, registry, out, PlainProgress())
    trainer.fit()
    return trainer


def metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_a_run_leaves_recipe_metrics_grids_and_checkpoints(registry, data_env, tmp_path):
    run = tmp_path / "run"
    train(registry, run)
    assert (run / "recipe.yaml").is_file()
    rows = metrics(run)
    assert rows[-1]["step"] == 2 * (512 // 64) and rows[-1]["epoch"] == 2
    assert set(rows[0]) >= {"step", "epoch", "d_loss", "g_loss", "d_real", "d_fake", "images_per_sec"}
    assert all(0 < r["d_real"] < 1 and 0 < r["d_fake"] < 1 and r["images_per_sec"] > 0 for r in rows)
    grids = sorted((run / "samples").iterdir())
    assert [g.name for g in grids] == ["epoch-001.png", "epoch-002.png"]
    assert Image.open(grids[0]).size == (4 * 30 + 2, 4 * 30 + 2)  # 16 images, 4 x 4, 2-pixel padding
    saved = checkpoint.list_checkpoints(run)
    assert [p.name for p in saved] == ["step-000000008.pt", "step-000000016.pt"]
    state = checkpoint.load_checkpoint(run)
    assert state["step"] == 16 and state["data_spec"] == {"image_shape": [1, 28, 28], "num_classes": 10}
    assert set(state["optimizers"]) == {"generator", "discriminator"}
    assert not list(run.rglob("*.tmp"))  # nothing half-written left behind


def test_only_the_newest_checkpoints_are_kept(registry, data_env, tmp_path):
    train(registry, tmp_path / "run", "train.epochs=4", "output.keep_checkpoints=1")
    assert [p.name for p in checkpoint.list_checkpoints(tmp_path / "run")] == ["step-000000032.pt"]


def test_the_same_seed_gives_the_same_run_and_another_seed_does_not(registry, data_env, tmp_path):
    a = train(registry, tmp_path / "a")
    b = train(registry, tmp_path / "b")
    train(registry, tmp_path / "c", "seed=1")
    strip = lambda rows: [{k: v for k, v in r.items() if k != "images_per_sec"} for r in rows]
    assert strip(metrics(tmp_path / "a")) == strip(metrics(tmp_path / "b"))
    assert strip(metrics(tmp_path / "a")) != strip(metrics(tmp_path / "c"))
    for x, y in zip(a.generator.state_dict().values(), b.generator.state_dict().values()):
        assert torch.equal(x, y)


def test_a_run_stopped_mid_epoch_and_resumed_matches_one_run_straight_through(registry, data_env, tmp_path):
    straight = train(registry, tmp_path / "straight", "algorithm.params.d_steps=2")

    recipe = load_recipe(RECIPE, QUICK + ["algorithm.params.d_steps=2"], registry)
    stopped = start_run(recipe, registry, tmp_path / "resumed", PlainProgress())
    original_step = stopped.take_step

    def stop_after_11(*args):
        original_step(*args)
        if stopped.steps_done == 11:  # mid-epoch (8 steps per epoch), mid log window, on a D-only step
            stopped.stop_requested = True

    stopped.take_step = stop_after_11
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    resumed = resume_run(tmp_path / "resumed", registry, PlainProgress())
    assert resumed.steps_done == 11
    resumed.fit()

    for x, y in zip(straight.generator.state_dict().values(), resumed.generator.state_dict().values()):
        assert torch.equal(x, y)
    for x, y in zip(straight.models["discriminator"].state_dict().values(), resumed.models["discriminator"].state_dict().values()):
        assert torch.equal(x, y)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "images_per_sec"} for r in rows]
    assert strip(metrics(tmp_path / "resumed")) == strip(metrics(tmp_path / "straight"))


def test_several_d_steps_per_g_step(registry, data_env, tmp_path):
    trainer = train(registry, tmp_path / "run", "algorithm.params.d_steps=4", "train.epochs=1")
    state = trainer.optimizers["generator"].state_dict()["state"]
    assert int(state[0]["step"]) == 8 // 4
    assert int(trainer.optimizers["discriminator"].state_dict()["state"][0]["step"]) == 8


def test_a_dataset_smaller_than_a_batch_is_a_clear_error(registry, data_env, tmp_path):
    from ganzoo import GanzooError

    with pytest.raises(GanzooError, match="fewer than train.batch_size"):
        train(registry, tmp_path / "run", "dataset.params.limit=10")
    assert not (tmp_path / "run").exists()  # nothing written before the run could start


def test_images_per_sec_leaves_out_the_work_at_the_end_of_an_epoch(registry, data_env, tmp_path, monkeypatch):
    """Grids, plots, evaluation and the checkpoint after an epoch are not training: the first rate logged
    after an epoch boundary is not dragged down by them (it collapsed to a tenth of the steady rate)."""
    import time
    from ganzoo.training.duties.sample_grids import SampleGrids

    end_epoch = SampleGrids.end_epoch
    monkeypatch.setattr(SampleGrids, "end_epoch", lambda self, run, epoch: (time.sleep(0.5), end_epoch(self, run, epoch)))
    train(registry, tmp_path / "run", "train.epochs=2")
    rows = metrics(tmp_path / "run")
    rates = {row["step"]: row["images_per_sec"] for row in rows}
    after_boundary = rates[512 // 64 + 2]  # the first log of epoch 2
    within = sorted(rate for step, rate in rates.items() if step != 512 // 64 + 2)
    assert after_boundary > 0.2 * within[len(within) // 2], rates
