"""train.threads: null takes the cores other jobs leave free, and the run's recipe.yaml records the number."""

import os
import subprocess
import sys
import time

import pytest
from omegaconf import OmegaConf

from conftest import QUICK, RECIPE
from ganzoo.cli import main
from ganzoo.training import threads
from ganzoo.training.threads import available_cores, choose_threads, free_cores, recent_busy_cores


@pytest.fixture
def nothing_busy_now(monkeypatch):
    """The load average alone decides (tests set it); the cores busy this instant are not read."""
    monkeypatch.setattr(threads, "recent_busy_cores", lambda: 0.0)


def test_free_cores_are_the_cores_less_the_load_at_least_one():
    assert free_cores(8, 0.2) == 8  # an idle laptop: all of them
    assert free_cores(2, 0.6) == 1
    assert free_cores(2, 5.0) == 1  # a shared box, busy: one thread, not two spinning against the others
    assert free_cores(16, 9.6) == 6
    assert free_cores(4, None) == 4  # no load average: torch's default


def test_a_set_value_wins_and_omp_num_threads_caps_the_choice(monkeypatch, nothing_busy_now):
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert choose_threads(3, {}) == 3
    assert choose_threads(None, {}) == 8
    assert choose_threads(None, {"OMP_NUM_THREADS": "2"}) == 2  # --nproc's share of the cores
    monkeypatch.setattr(os, "getloadavg", lambda: (7.2, 3.0, 1.0))
    assert choose_threads(None, {}) == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (1.0, 1.0, 1.0))  # --nproc 2 on 8 cores: the sibling starting up
    assert choose_threads(None, {"OMP_NUM_THREADS": "4"}) == 4  # still its whole share


def test_a_job_started_seconds_ago_counts_though_the_load_average_has_not_seen_it(monkeypatch):
    """Two runs started together: each once read the other's weight in the 1-minute load average as
    nearly 0, took every core, and both spun. The cores busy this instant count as well."""
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))  # as just after an idle minute
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # past its start-up
        assert recent_busy_cores() >= 0.7
        assert choose_threads(None, {}) <= max(1, available_cores() - 1)
    finally:
        spinner.kill()
        spinner.wait()


def test_the_threads_chosen_are_recorded_in_the_run_recipe(data_env, tmp_path, monkeypatch, nothing_busy_now):
    """So that `ganzoo run RUN_DIR/recipe.yaml` and --resume use the same number of threads."""
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (4.0, 4.0, 4.0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert main(["run", str(RECIPE), *QUICK, "train.epochs=1", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert OmegaConf.load(tmp_path / "r" / "recipe.yaml").train.threads == 1


def test_eval_sample_and_translate_take_the_free_cores_or_threads(data_env, tmp_path, monkeypatch, capsys,
                                                                   nothing_busy_now):
    """On a busy machine torch's default of every core spins its threads against the other jobs: `ganzoo eval`
    of 10,000 images took 4x as long with two threads as with one beside one other job on 2 cores
    (docs/performance.md). The commands take the free cores as training does, or --threads."""
    import torch

    assert main(["run", str(RECIPE), *QUICK, "train.epochs=1", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    chosen = []
    monkeypatch.setattr(torch, "set_num_threads", chosen.append)
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    sample = ["sample", str(tmp_path / "r"), "-n", "4", "--out", str(tmp_path / "s.png")]
    assert main(sample) == 0
    assert main([*sample, "--threads", "2"]) == 0
    assert chosen == [1, 2]
    capsys.readouterr()
    assert main([*sample, "--threads", "0"]) == 2
    assert capsys.readouterr().err.strip() == ("ganzoo: error: --threads must be between 1 and 1024, got 0; "
                                               "leave it out for the free cores")
    assert chosen == [1, 2]
