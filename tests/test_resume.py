"""Interrupted runs resume exactly: Ctrl-C, SIGTERM, SIGKILL and stops mid-epoch lose nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

import ganzoo.training.progress
from conftest import RECIPE, ROOT
from ganzoo import cli
from ganzoo.training import checkpoint
from ganzoo.training.trainer import TrainingInterrupted
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import EPOCHS, STEPS_PER_EPOCH, TINY, StopAt, assert_same_run, final_weights, logged, train


def _uninterrupted(mnist_root, tmp_path_factory, name, overrides=()):
    """An uninterrupted run of the tiny recipe, trained single-threaded as the tests are."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        run_dir = tmp_path_factory.mktemp(name) / "run"
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # as single_thread does for the tests
        try:
            train(run_dir, list(overrides))
        finally:
            torch.set_num_threads(threads)
    return run_dir


@pytest.fixture(scope="module")
def reference(mnist_root, tmp_path_factory):
    """An uninterrupted run of the tiny recipe."""
    run_dir = _uninterrupted(mnist_root, tmp_path_factory, "reference")
    assert len(logged(run_dir)) >= EPOCHS * STEPS_PER_EPOCH // 3
    return run_dir


@pytest.mark.parametrize("stops", [(13,), (16,), (5, 22)],
                         ids=["mid-epoch", "at-epoch-end", "twice"])
def test_stop_and_resume_gives_the_uninterrupted_run(data_env, reference, tmp_path, stops):
    run_dir = tmp_path / "run"
    for index, step in enumerate(stops):
        stopped = train(run_dir, stop_at=step, resume=index > 0)
        assert isinstance(stopped, TrainingInterrupted) and stopped.steps_done == step
        assert checkpoint.list_checkpoints(run_dir)[-1] == checkpoint.checkpoint_path(run_dir, step)
    train(run_dir, resume=True)
    assert_same_run(run_dir, reference)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_finishes_the_step_saves_and_exits_130(data_env, reference, tmp_path, monkeypatch, capsys, signum):
    class SignalAt(StopAt):
        def __init__(self, step):
            super().__init__()
            self.steps, self.signal_step = 0, step

        def advance(self, steps=1):
            self.steps += steps
            if self.steps == self.signal_step:
                os.kill(os.getpid(), signum)  # arrives mid-step; the trainer stops after it

    monkeypatch.setattr(ganzoo.training.progress, "make_progress", lambda quiet: SignalAt(11))
    run_dir = tmp_path / "run"
    handler = signal.getsignal(signum)
    code = cli.main(["run", str(RECIPE), *TINY, "--out", str(run_dir), "--quiet"])
    err = capsys.readouterr().err
    assert code == 130
    assert f"ganzoo run --resume {run_dir}" in err and "stopped at step 11" in err
    assert checkpoint.list_checkpoints(run_dir)[-1] == checkpoint.checkpoint_path(run_dir, 11)
    assert signal.getsignal(signum) is handler  # the run put the handler back

    monkeypatch.setattr(ganzoo.training.progress, "make_progress", lambda quiet: StopAt())
    assert cli.main(["run", "--resume", str(run_dir)]) == 0
    assert_same_run(run_dir, reference)


def _start(run_dir, *overrides):
    return subprocess.Popen([sys.executable, "-m", "ganzoo", "run", str(RECIPE), *TINY, *overrides,
                             "--out", str(run_dir), "--quiet"], cwd=ROOT, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, process, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the run ended early: {process.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.01)


LONG_EPOCHS = 50  # 400 steps (a few seconds): a kill within 0.3 s of the first checkpoint (step 8) lands mid-run


@pytest.fixture(scope="module")
def long_reference(mnist_root, tmp_path_factory):
    """An uninterrupted run long enough that a kill cannot come after its end."""
    return _uninterrupted(mnist_root, tmp_path_factory, "long-reference", [f"train.epochs={LONG_EPOCHS}"])


def test_sigkill_during_training_then_resume_gives_the_uninterrupted_run(data_env, long_reference, tmp_path):
    """The user-level check: kill -9 a run mid-epoch, resume it, get the same final weights."""
    run_dir = tmp_path / "run"
    process = _start(run_dir, f"train.epochs={LONG_EPOCHS}")
    try:
        _wait_for(lambda: checkpoint.list_checkpoints(run_dir), process)
        time.sleep(random.uniform(0.0, 0.3))  # anywhere: mid-step, mid-log, mid-checkpoint write
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == -signal.SIGKILL, "the run ended before the kill"
    latest = checkpoint.list_checkpoints(run_dir)[-1]
    assert int(latest.stem.split("-")[1]) < LONG_EPOCHS * STEPS_PER_EPOCH
    checkpoint.load_checkpoint(latest)  # loadable, whenever the kill came

    assert cli.main(["run", "--resume", str(run_dir), "--quiet"]) == 0
    assert final_weights(run_dir).keys() == final_weights(long_reference).keys()
    assert_same_run(run_dir, long_reference)
    assert not [p for p in (run_dir / "checkpoints").iterdir() if p.name.endswith(".tmp")]


def test_ctrl_c_in_a_real_process_exits_130_with_the_resume_command(data_env, reference, tmp_path):
    run_dir = tmp_path / "run"
    process = _start(run_dir, "train.epochs=50")
    try:
        _wait_for(lambda: (run_dir / "metrics.jsonl").exists(), process)  # training has begun
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert f"ganzoo run --resume {run_dir}" in err
    step = int(err.split("stopped at step ")[1].split(";")[0])
    assert checkpoint.list_checkpoints(run_dir)[-1] == checkpoint.checkpoint_path(run_dir, step)
    if step < EPOCHS * STEPS_PER_EPOCH:
        assert cli.main(["run", "--resume", str(run_dir), f"train.epochs={EPOCHS}", "--quiet"]) == 0
        assert_same_run(run_dir, reference)
