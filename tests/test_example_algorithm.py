"""The worked example algorithm in examples/ganzoo-gman, pip-installed into a folder and driven
through the ganzoo CLI: listed, trains, survives kill -9 (as the default gan does), and two
processes train what one does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_ganzoo
from ganzoo.training.checkpoint import checkpoint_path, list_checkpoints, load_checkpoint
from plugin_dists import path_env, write_distribution

EXAMPLE = ROOT / "examples" / "ganzoo-gman"
GMAN_RECIPE = EXAMPLE / "recipes" / "gman_mnist.yaml"
EPOCHS, STEPS_PER_EPOCH = 3, 8  # the 512-image fixture at batch 64
KILL_AFTER = 13  # mid-epoch 2: the newest checkpoint is step 8's
SMALL = ["train.device=cpu", "train.batch_size=64", f"train.epochs={EPOCHS}", "train.log_every=1",
         "output.grid_size=4", "dataset.params.download=false",
         f"callbacks=[{{name: pause, params: {{at: {KILL_AFTER}}}}}]"]  # pauses only where GANZOO_TEST_PAUSE is set
RUNS = {  # algorithm -> recipe and tiny models (no batch statistics, so --nproc matches one process)
    "gman": (GMAN_RECIPE, [*SMALL, "generator.params.latent_dim=16", "generator.params.base_channels=4",
                           "generator.params.batch_norm=false", "discriminator.params.hidden=[32]",
                           "discriminator_2.params.base_channels=4"]),
}

PAUSE_PLUGIN = '''
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ganzoo import Callback, hookimpl


@dataclass
class Params:
    at: int = 0  # the step after which to pause


class Pause(Callback):
    """Where GANZOO_TEST_PAUSE names a file: after step `at`, write it and wait to be killed."""

    def __init__(self, params):
        self.at = params.at

    def after_step(self, run):
        marker = os.environ.get("GANZOO_TEST_PAUSE")
        if marker and run.step == self.at:
            Path(marker).write_text(str(run.step))
            time.sleep(600)


@hookimpl
def register_callbacks(register):
    register("pause", Pause, Params, "Pause a run so that a test can kill it.")
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """ganzoo-gman installed by pip into a folder (from a copy: the build leaves files behind), beside a
    test plugin whose callback pauses a run for the kill."""
    folder = tmp_path_factory.mktemp("gman")
    source, site = folder / "ganzoo-gman", folder / "site"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--no-index", "--target", str(site), str(source)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    write_distribution(site, "ganzoo-pausetest", {"pausetest": "ganzoo_pausetest"},
                       {"ganzoo_pausetest.py": PAUSE_PLUGIN})
    return site


@pytest.fixture(scope="module")
def env(site, mnist_root) -> dict[str, str]:
    return {**path_env(site), "GANZOO_DATA": str(mnist_root)}


@pytest.fixture(scope="module")
def reference(env, tmp_path_factory):
    """The uninterrupted run of each algorithm, trained once per module."""
    made: dict[str, Path] = {}

    def run(algorithm: str) -> Path:
        if algorithm not in made:
            recipe, overrides = RUNS[algorithm]
            out = tmp_path_factory.mktemp(f"{algorithm}-reference") / "run"
            result = run_ganzoo("run", recipe, *overrides, "--out", out, "--quiet", env=env)
            assert result.returncode == 0, result.stderr
            made[algorithm] = out
        return made[algorithm]

    return run


def rows(run_dir: Path) -> list[dict]:
    """metrics.jsonl without its timing column."""
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "images_per_sec"} for line in lines]


def sample(run_dir: Path, env) -> np.ndarray:
    """`ganzoo sample RUN_DIR --seed 3 --out x.npz`, read back."""
    out = run_dir.parent / f"{run_dir.name}-samples.npz"
    result = run_ganzoo("sample", run_dir, "--seed", 3, "--out", out, env=env)
    assert result.returncode == 0, result.stderr
    with np.load(out) as saved:
        return saved["images"]


def test_gman_is_listed_as_an_algorithm_of_its_distribution(env):
    result = run_ganzoo("list", "--kind", "algorithm", "--json", env=env)
    assert result.returncode == 0, result.stderr
    found = {c["name"]: c["plugin"]["distribution"] for c in json.loads(result.stdout)["components"]}
    assert found["gman"] == "ganzoo-gman"
    assert {name for name, distribution in found.items() if distribution != "ganzoo"} == {"gman"}
    assert {"gan", "acgan", "infogan", "pix2pix", "srgan", "cyclegan"} <= set(found)


def test_gman_trains_two_discriminators_from_its_recipe(reference):
    run_dir = reference("gman")
    logged = rows(run_dir)
    assert [row["step"] for row in logged] == list(range(1, EPOCHS * STEPS_PER_EPOCH + 1))
    for row in logged:
        assert all(np.isfinite(row[name]) for name in ("d_loss", "d_loss_2", "g_loss", "weight_2")), row
        assert 0 < row["weight_2"] < 1
    assert set(logged[-1]["lr"]) == {"generator", "discriminator", "discriminator_2"}
    recipe = (run_dir / "recipe.yaml").read_text()
    assert "algorithm:\n  name: gman" in recipe and "discriminator_2:\n  name: dcgan" in recipe
    state = load_checkpoint(run_dir)
    assert set(state["models"]) == set(state["optimizers"]) == {"generator", "discriminator", "discriminator_2"}
    assert state["step"] == EPOCHS * STEPS_PER_EPOCH
    assert (run_dir / "samples" / f"epoch-{EPOCHS:03d}.png").is_file()


def _kill_after_pause(run_dir: Path, recipe: Path, overrides, env) -> None:
    """Start a run that pauses after step KILL_AFTER, and kill -9 it there."""
    marker = run_dir.parent / "paused"
    process = subprocess.Popen([sys.executable, "-m", "ganzoo", "run", str(recipe), *overrides, "--out", str(run_dir),
                                "--quiet"], cwd=ROOT, env={**os.environ, **env, "GANZOO_TEST_PAUSE": str(marker)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert process.poll() is None, f"the run ended before the kill: {process.communicate()[1][-2000:]}"
            assert time.monotonic() < deadline, "the run never reached the step to be killed at"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == -signal.SIGKILL


def test_kill_9_mid_run_then_resume_samples_as_the_uninterrupted_run(reference, env, tmp_path):
    # the third party's algorithm (the built-in gan's kill -9 and resume: tests/test_resume.py)
    algorithm = "gman"
    recipe, overrides = RUNS[algorithm]
    run_dir = tmp_path / "run"
    _kill_after_pause(run_dir, recipe, overrides, env)
    assert list_checkpoints(run_dir) == [checkpoint_path(run_dir, STEPS_PER_EPOCH)]  # killed mid-epoch 2
    assert [row["step"] for row in rows(run_dir)][-1] == KILL_AFTER - 1  # step 13 was not logged yet

    resumed = run_ganzoo("run", "--resume", run_dir, "--quiet", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert np.array_equal(sample(run_dir, env), sample(reference(algorithm), env))
    assert rows(run_dir) == rows(reference(algorithm))


def test_gman_in_two_processes_matches_one(reference, env, tmp_path):
    recipe, overrides = RUNS["gman"]
    parallel = tmp_path / "parallel"
    result = run_ganzoo("run", recipe, *overrides, "--nproc", 2, "--out", parallel, "--quiet", env=env)
    assert result.returncode == 0, result.stderr
    got, want = rows(parallel), rows(reference("gman"))
    assert [row["step"] for row in got] == [row["step"] for row in want]
    for a, b in zip(got, want):
        for key in ("d_loss", "d_loss_2", "g_loss", "weight_2"):
            assert a[key] == pytest.approx(b[key], abs=1e-4), (a["step"], key)


def test_the_examples_own_tests_pass(env, site):
    """The package's tests (the contract kit's check_algorithm, a recording TrainStep) against the installed copy."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(site.parent / "ganzoo-gman" / "tests")],
                            capture_output=True, text=True, cwd=site.parent, env={**os.environ, **env, "GANZOO_PLUGINS": "gman"},
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "6 passed" in result.stdout
