"""Loggers are step callbacks switched on by the recipe's ``loggers`` list: TensorBoard's event
files (read back with TensorBoard's own reader) hold every logged scalar and each epoch's grid;
MLflow and W&B log offline into the run folder; a missing extra is one line naming it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PIL import Image

from conftest import RECIPE
from ganzoo import GanzooError, cli
from ganzoo.recipe import load_recipe
from ganzoo.training.run_folder import grid_path
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import EPOCHS, STEPS_PER_EPOCH, TINY, registry, train


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def event_accumulator(run_dir: Path):
    from tensorboard.backend.event_processing import event_accumulator

    reader = event_accumulator.EventAccumulator(str(run_dir / "tensorboard"), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0})  # 0: keep every event
    reader.Reload()
    return reader


def test_loggers_is_a_list_of_names_or_callbacks():
    recipe = load_recipe(RECIPE, ["loggers=[tensorboard,mlflow]"], registry())
    assert [entry.name for entry in recipe.config.loggers] == ["tensorboard", "mlflow"]
    assert recipe.params["loggers.0"].folder == "tensorboard"
    assert "loggers:\n- name: tensorboard\n  params:\n    folder: tensorboard" in recipe.to_yaml()
    recipe = load_recipe(RECIPE, ["loggers=[{name: mlflow, params: {experiment: digits}}]"], registry())
    assert recipe.params["loggers.0"].experiment == "digits"


def test_an_unknown_logger_is_one_line_with_a_suggestion():
    with pytest.raises(GanzooError) as error:
        load_recipe(RECIPE, ["loggers=[tensorbord]"], registry())
    assert "tensorboard" in str(error.value) and "\n" not in str(error.value)


def test_tensorboard_holds_every_logged_scalar_and_each_epochs_grid(data_env, tmp_path):
    run_dir = tmp_path / "run"
    train(run_dir, ["loggers=[tensorboard]", "eval.every=2", "eval.n=64"])
    reader = event_accumulator(run_dir)
    logged = records(run_dir)
    tags = set(reader.Tags()["scalars"])
    assert {"d_loss", "g_loss", "d_real", "d_fake", "images_per_sec", "lr/generator", "lr/discriminator"} <= tags
    evaluated = [record for record in logged if "eval" in record]
    assert len(evaluated) == EPOCHS // 2
    assert {f"eval/{name}" for name in evaluated[0]["eval"]} <= tags
    for tag, key in (("d_loss", "d_loss"), ("g_loss", "g_loss"), ("lr/generator", "lr")):
        want = [(r["step"], r[key]["generator"] if key == "lr" else r[key]) for r in logged if "eval" not in r]
        got = [(event.step, event.value) for event in reader.Scalars(tag)]
        assert [step for step, _ in got] == [step for step, _ in want]
        assert [value for _, value in got] == pytest.approx([value for _, value in want], rel=1e-6)
    name = next(iter(evaluated[-1]["eval"]))
    assert reader.Scalars(f"eval/{name}")[-1].value == pytest.approx(evaluated[-1]["eval"][name], rel=1e-6)

    images = reader.Images("samples")
    assert [image.step for image in images] == [epoch * STEPS_PER_EPOCH for epoch in range(1, EPOCHS + 1)]
    with Image.open(grid_path(run_dir, EPOCHS)) as grid:
        assert (images[-1].width, images[-1].height) == grid.size


def test_a_resumed_run_logs_each_step_once(data_env, tmp_path):
    run_dir = tmp_path / "run"
    train(run_dir, ["loggers=[tensorboard]"], stop_at=13)  # checkpoint at 13; logged up to 12 before
    train(run_dir, resume=True)
    steps = [event.step for event in event_accumulator(run_dir).Scalars("d_loss")]
    assert steps == [record["step"] for record in records(run_dir)]


def test_a_missing_extra_is_one_line_naming_it(data_env, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    code = cli.main(["run", str(RECIPE), *TINY, "loggers=[tensorboard,mlflow]", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == "ganzoo: error: the mlflow logger needs MLflow, which is not installed: pip install 'ganzoo[mlflow]'"


def test_mlflow_logs_offline_into_the_run_folder(data_env, tmp_path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    run_dir = tmp_path / "run"
    trainer = train(run_dir, ["loggers=[mlflow]", "train.epochs=2"])
    client = MlflowClient(tracking_uri=f"sqlite:///{run_dir.resolve()}/mlruns/mlflow.db")
    run = client.get_run(trainer.callbacks[0].run_id)
    assert run.info.status == "FINISHED"
    history = client.get_metric_history(run.info.run_id, "g_loss")
    logged = [r for r in records(run_dir) if "eval" not in r]
    assert [m.step for m in history] == [r["step"] for r in logged]
    assert [m.value for m in history] == pytest.approx([r["g_loss"] for r in logged], rel=1e-6)
    assert "lr.generator" in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "samples")}
    assert artifacts == {"samples/epoch-001.png", "samples/epoch-002.png"}


def test_wandb_logs_offline_into_the_run_folder(data_env, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run_dir = tmp_path / "run"
    trainer = train(run_dir, ["loggers=[wandb]", "train.epochs=1"])
    run_id = trainer.callbacks[0].run_id
    [folder] = (run_dir / "wandb").glob(f"offline-run-*-{run_id}")
    assert (folder / f"run-{run_id}.wandb").stat().st_size > 0
    assert list((folder / "files" / "media" / "images").glob("samples_*.png"))
