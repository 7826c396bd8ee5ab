"""Small in-process training runs for the reliability tests (tiny models on the tiny MNIST fixture)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import torch

from conftest import QUICK, RECIPE
from ganzoo.training import checkpoint
from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry
from ganzoo.training.trainer import METRICS_FILE, TrainingInterrupted, resume_run, start_run

# 512 images / 64 = 8 steps an epoch; logs every 3 steps so windows span epoch ends.
EPOCHS = 4
STEPS_PER_EPOCH = 8
TINY = [*QUICK, f"train.epochs={EPOCHS}", "train.device=cpu", "train.log_every=3",
        "generator.params.latent_dim=16", "generator.params.hidden=[32]", "discriminator.params.hidden=[32]"]

@pytest.fixture(autouse=True)
def single_thread(monkeypatch):
    """One intra-op thread, here and in child processes: on a busy 2-core machine, two threads
    make these tiny models 10x slower, and a run and its resume must use the same thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    yield
    torch.set_num_threads(threads)


@functools.lru_cache(maxsize=None)
def registry(*extra_plugins):
    """The installed plugins' registry (with ``extra_plugins``, (name, plugin) pairs a test defines), loaded
    once per process for each set of extras."""
    return load_registry(extra_plugins=list(extra_plugins)) if extra_plugins else load_registry()


class StopAt(PlainProgress):
    """Progress that asks the trainer to stop once it has done ``step`` steps, as Ctrl-C would."""

    def __init__(self, step: int | None = None):
        super().__init__(stream=open("/dev/null", "w"))
        self.stop_step, self.trainer = step, None

    def advance(self, steps: int = 1) -> None:
        if self.trainer is not None and self.trainer.steps_done == self.stop_step:
            self.trainer.stop_requested = True

    def close(self) -> None:
        self.stream.close()


def fit(trainer, stop_at: int | None = None):
    """``trainer.fit()``, stopped as Ctrl-C would stop it once ``stop_at`` steps are done (None: not stopped)."""
    trainer.progress = progress = StopAt(stop_at)
    progress.trainer = trainer
    return trainer.fit()


def start(run_dir: Path, overrides=(), progress: StopAt | None = None, resume: bool = False,
          recipe: Path = RECIPE, base=TINY):
    """A ready trainer for the tiny recipe (or ``recipe`` with the ``base`` overrides that make it
    tiny; or for resuming ``run_dir``), watched by ``progress``."""
    progress = progress or StopAt()
    if resume:
        trainer = resume_run(run_dir, registry(), progress, list(overrides))
    else:
        recipe = load_recipe(recipe, [*base, *overrides], registry())
        trainer = start_run(recipe, registry(), run_dir, progress)
    progress.trainer = trainer
    return trainer


def train(run_dir: Path, overrides=(), stop_at: int | None = None, resume: bool = False, **recipe):
    """Train (or resume) in this process; returns the trainer, or the TrainingInterrupted raised.
    ``recipe`` and ``base`` (keywords) train another recipe than the tiny vanilla one."""
    trainer = start(run_dir, overrides, StopAt(stop_at), resume, **recipe)
    try:
        trainer.fit()
    except TrainingInterrupted as stop:
        return stop
    return trainer


def final_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    state = checkpoint.load_checkpoint(run_dir)
    return {f"{role}.{k}": v for role, weights in state["models"].items() for k, v in weights.items()}


def logged(run_dir: Path) -> list[dict]:
    """The logged metrics without the timing column, which differs run to run."""
    lines = (Path(run_dir) / METRICS_FILE).read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "images_per_sec"} for line in lines]


def assert_same_run(run_dir: Path, reference: Path) -> None:
    got, want = final_weights(run_dir), final_weights(reference)
    assert got.keys() == want.keys()
    for key in want:
        assert torch.equal(got[key], want[key]), f"{key} differs from the uninterrupted run"
    assert logged(run_dir) == logged(reference)


def train_reference(mnist_root: Path, run_dir: Path, **recipe):
    """An uninterrupted run (``train``'s ``recipe`` and ``base`` keywords) on the tiny MNIST at
    ``mnist_root``, in one intra-op thread, for module-scoped fixtures, which the function-scoped
    ``single_thread`` does not reach; returns the trainer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return train(run_dir, **recipe)
        finally:
            torch.set_num_threads(threads)


def score_translators(data, generators: dict, n: int, recipe: str = "pix2pix_edges_mnist") -> dict:
    """ganzoo eval's scores of translators of ``data`` (by direction, as ``generators`` names them):
    {direction: {metric: {value, baseline, real_vs_real, ...}}}, through the one scoring path."""
    from conftest import ROOT
    from ganzoo.eval.evaluation import Evaluator
    from ganzoo.recipe import load_recipe

    evaluator = Evaluator(registry(), load_recipe(ROOT / "recipes" / f"{recipe}.yaml"), data,
                          directions={direction: "generator" for direction in generators})
    rows = evaluator.score_translators(generators, n)
    return {direction: {key[len(direction) + 1:]: entry for key, entry in rows.items()
                        if entry["direction"] == direction} for direction in generators}
