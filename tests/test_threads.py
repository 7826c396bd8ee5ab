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


def busy(monkeypatch, cores):
    """Other jobs keep ``cores`` cores busy (as ``threads.busy_cores`` reads them)."""
    monkeypatch.setattr(threads, "busy_cores", lambda: cores)


@pytest.fixture
def nothing_busy_now(monkeypatch):
    busy(monkeypatch, 0.0)


def test_free_cores_are_the_cores_less_the_load_at_least_one():
    assert free_cores(8, 0.2) == 8  # an idle laptop: all of them
    assert free_cores(2, 0.6) == 1
    assert free_cores(2, 5.0) == 1  # a shared box, busy: one thread, not two spinning against the others
    assert free_cores(16, 9.6) == 6
    assert free_cores(4, None) == 4  # no load average: torch's default


def test_a_set_value_wins_and_omp_num_threads_caps_the_choice(monkeypatch, nothing_busy_now):
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    assert choose_threads(3, {}) == 3
    assert choose_threads(None, {}) == 8
    assert choose_threads(None, {"OMP_NUM_THREADS": "2"}) == 2  # --nproc's share of the cores
    busy(monkeypatch, 7.2)
    assert choose_threads(None, {}) == 1
    busy(monkeypatch, 1.0)  # --nproc 2 on 8 cores: the sibling starting up
    assert choose_threads(None, {"OMP_NUM_THREADS": "4"}) == 4  # still its whole share


def test_a_job_started_seconds_ago_counts_though_the_load_average_has_not_seen_it(monkeypatch):
    """Two runs started together: each once read the other's weight in the 1-minute load average as
    nearly 0, took every core, and both spun. The cores busy now count."""
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))  # as just after an idle minute
    monkeypatch.setattr(threads, "_WATCH", None)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # past its start-up
        assert recent_busy_cores() >= 0.7
        assert choose_threads(None, {}) <= max(1, available_cores() - 1)
    finally:
        spinner.kill()
        spinner.wait()


def test_a_job_that_ended_does_not_count_though_the_load_average_still_holds_it(monkeypatch):
    """`ganzoo eval` just after `ganzoo run` read the finished run's weight in the 1-minute load average
    (about 1 on 2 cores) and took one core of an idle machine; only the cores busy now count."""
    monkeypatch.setattr(os, "getloadavg", lambda: (float(available_cores()), 1.0, 1.0))
    monkeypatch.setattr(threads, "_WATCH", None)
    monkeypatch.setattr(threads, "recent_busy_cores", lambda window=0.1: 0.0)
    assert choose_threads(None, {}) == available_cores()


def test_the_executable_watches_its_own_start_up_and_counts_a_busy_neighbour(monkeypatch):
    """``watch_from_now`` (the executable's first step) makes the choice read the whole start-up, without
    the tenth of a second's wait; this process's own work in between is not another job's."""
    hz = os.sysconf("SC_CLK_TCK")
    slept, readings = [], []
    monkeypatch.setattr(threads.time, "sleep", slept.append)
    monkeypatch.setattr(threads, "_now", lambda: readings.pop(0))
    monkeypatch.setattr(threads, "_WATCH", None)  # so that the watch set below is undone after the test
    readings.append((1000, 5.0, 100.0))  # ticks busy, own CPU seconds, monotonic seconds
    threads.watch_from_now()
    monkeypatch.setattr(threads.time, "monotonic", lambda: 101.5)
    readings.append((1000 + int(1.5 * hz), 6.5, 101.5))  # 1.5 s of start-up on one core, all of it ours
    assert recent_busy_cores() == 0.0
    readings.append((1000 + int(4.5 * hz), 6.5, 101.5))  # and 3 s more of another job: 2 cores of 1.5 s
    assert recent_busy_cores() == pytest.approx(2.0)
    assert slept == []
    monkeypatch.setattr(threads.time, "monotonic", lambda: 100.0 + threads.WATCH_LIMIT_S + 1)
    readings.extend([(0, 0.0, 0.0), (int(0.1 * hz), 0.0, 0.1)])  # a stale watch: a fresh window
    assert recent_busy_cores() == pytest.approx(1.0) and slept == [0.1]


def test_the_threads_chosen_are_recorded_in_the_run_recipe(data_env, tmp_path, monkeypatch, nothing_busy_now):
    """So that `ganzoo run RUN_DIR/recipe.yaml` and --resume use the same number of threads."""
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    busy(monkeypatch, 4.0)
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
    busy(monkeypatch, 1.0)
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
