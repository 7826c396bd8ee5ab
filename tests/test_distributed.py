"""Data-parallel training: two gloo processes on the CPU match one process at the same global batch."""

import json

import pytest

from ganzoo.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.registry import load_registry
from ganzoo.trainer import start_run

from conftest import QUICK, RECIPE, run_ganzoo

SETTINGS = QUICK + ["train.log_every=1", "train.device=cpu"]


def rows(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_two_processes_match_one_and_resume(mnist_root, data_env, tmp_path):
    env = {"GANZOO_DATA": str(mnist_root)}
    parallel = tmp_path / "parallel"
    first = run_ganzoo("run", RECIPE, *SETTINGS, "train.epochs=1", "--nproc", 2, "--out", parallel, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines() == [str(parallel)]  # rank 0 alone reports
    resumed = run_ganzoo("run", "--resume", parallel, "train.epochs=2", "--nproc", 2, env=env)
    assert resumed.returncode == 0, resumed.stderr

    registry = load_registry()
    single = start_run(load_recipe(RECIPE, SETTINGS + ["train.epochs=2"], registry), registry,
                       tmp_path / "single", PlainProgress())
    single.fit()

    got, want = rows(parallel), rows(tmp_path / "single")
    assert [r["step"] for r in got] == [r["step"] for r in want] == list(range(1, 17))
    for a, b in zip(got, want):
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert a[key] == pytest.approx(b[key], abs=1e-4), (a["step"], key)
    # one run directory, written by rank 0 only
    assert sorted(p.name for p in (parallel / "samples").iterdir()) == ["epoch-001.png", "epoch-002.png"]


def test_the_global_batch_must_divide_among_processes(mnist_root, tmp_path):
    result = run_ganzoo("run", RECIPE, *SETTINGS, "train.batch_size=63", "--nproc", 2, "--out", tmp_path / "x",
                        env={"GANZOO_DATA": str(mnist_root)})
    assert result.returncode == 2
    assert "must divide evenly among --nproc 2" in result.stderr
