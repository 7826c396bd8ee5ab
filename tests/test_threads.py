"""train.threads: null takes the cores other jobs leave free, and the run's recipe.yaml records the number."""

import os

from omegaconf import OmegaConf

from conftest import QUICK, RECIPE
from ganzoo.cli import main
from ganzoo.training import threads
from ganzoo.training.threads import choose_threads, free_cores


def test_free_cores_are_the_cores_less_the_load_at_least_one():
    assert free_cores(8, 0.2) == 8  # an idle laptop: all of them
    assert free_cores(2, 0.6) == 1
    assert free_cores(2, 5.0) == 1  # a shared box, busy: one thread, not two spinning against the others
    assert free_cores(16, 9.6) == 6
    assert free_cores(4, None) == 4  # no load average: torch's default


def test_a_set_value_wins_and_omp_num_threads_caps_the_choice(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert choose_threads(3, {}) == 3
    assert choose_threads(None, {}) == 8
    assert choose_threads(None, {"OMP_NUM_THREADS": "2"}) == 2  # --nproc's share of the cores
    monkeypatch.setattr(os, "getloadavg", lambda: (7.2, 3.0, 1.0))
    assert choose_threads(None, {}) == 1


def test_the_threads_chosen_are_recorded_in_the_run_recipe(data_env, tmp_path, monkeypatch):
    """So that `ganzoo run RUN_DIR/recipe.yaml` and --resume use the same number of threads."""
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (4.0, 4.0, 4.0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert main(["run", str(RECIPE), *QUICK, "train.epochs=1", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert OmegaConf.load(tmp_path / "r" / "recipe.yaml").train.threads == 1
