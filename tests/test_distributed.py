"""Data-parallel training: two gloo processes on the CPU match one process at the same global batch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry
from ganzoo.training.trainer import start_run

from conftest import QUICK, RECIPE, run_ganzoo

# Dropout draws its masks per process, so only a model without it gives the same numbers in 2 processes as in 1.
SETTINGS = QUICK + ["train.log_every=1", "train.device=cpu", "discriminator.params.dropout=0.0"]


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


def _skip_worker(rank, port, data_root, out):
    """One of two processes; only rank 1's D loss is +inf at step 3, with finite gradients."""
    import math
    import os
    from pathlib import Path

    import torch

    import ganzoo.training.trainer
    from ganzoo.training import distributed

    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port), GANZOO_DATA=data_root)
    torch.set_num_threads(1)
    build = ganzoo.training.trainer.build_losses

    class InfOnRankOne:
        def __init__(self, loss):
            self.loss = loss

        def discriminator_loss(self, real_logits, fake_logits, ctx):
            value = self.loss.discriminator_loss(real_logits, fake_logits, ctx)
            return value + math.inf if rank == 1 and ctx.step == 3 else value

        def generator_loss(self, fake_logits, ctx):
            return self.loss.generator_loss(fake_logits, ctx)

    ganzoo.training.trainer.build_losses = lambda *args: {role: InfOnRankOne(loss) for role, loss in build(*args).items()}
    registry = load_registry()
    recipe = load_recipe(RECIPE, SETTINGS + ["train.epochs=1", "train.log_every=4", "train.on_nonfinite=skip"], registry)
    trainer = start_run(recipe, registry, Path(out) / "run", PlainProgress(open(os.devnull, "w")))
    trainer.fit()
    torch.save([p.detach().clone() for p in trainer.models["discriminator"].parameters()], Path(out) / f"rank{rank}.pt")
    distributed.shutdown()


def test_skipping_a_non_finite_step_is_decided_by_all_processes_alike(mnist_root, tmp_path):
    """One process's loss alone goes non-finite: every process skips that update, so their weights stay equal."""
    import socket

    import torch
    import torch.multiprocessing as mp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.spawn(_skip_worker, args=(port, str(mnist_root), str(tmp_path)), nprocs=2, join=True)
    first = torch.load(tmp_path / "rank0.pt", weights_only=True)
    second = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert sum(r.get("skipped", 0) for r in rows(tmp_path / "run")) >= 1


def _processes_mentioning(text: str) -> list[int]:
    """Pids of the live processes whose command line holds ``text`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_sigterm_to_the_launcher_stops_every_rank_with_a_checkpoint(mnist_root, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT
    from ganzoo.training import checkpoint

    run_dir = tmp_path / "run"
    launcher = subprocess.Popen([sys.executable, "-m", "ganzoo", "run", str(RECIPE), *SETTINGS, "train.epochs=500",
                                 "--nproc", "2", "--out", str(run_dir), "--quiet"], cwd=ROOT, text=True,
                                env={**os.environ, "GANZOO_DATA": str(mnist_root)},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (run_dir / "metrics.jsonl").exists():  # training has begun in both ranks
            assert launcher.poll() is None, launcher.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.05)
        launcher.send_signal(signal.SIGTERM)  # to the launcher alone, as `kill PID` would
        out, err = launcher.communicate(timeout=120)
    finally:
        launcher.kill()
    assert launcher.returncode == 130, err
    assert f"ganzoo run --resume {run_dir}" in err and "Traceback" not in err
    assert _processes_mentioning(str(run_dir)) == []  # no rank goes on training, orphaned
    step = int(err.split("stopped at step ")[1].split(";")[0])
    assert checkpoint.list_checkpoints(run_dir)[-1] == checkpoint.checkpoint_path(run_dir, step)


def test_resume_under_nproc_checks_the_batch_first(mnist_root, tmp_path):
    env = {"GANZOO_DATA": str(mnist_root)}
    run_dir = tmp_path / "run"
    assert run_ganzoo("run", RECIPE, *SETTINGS, "train.epochs=1", "--out", run_dir, env=env).returncode == 0
    result = run_ganzoo("run", "--resume", run_dir, "train.epochs=2", "--nproc", 3, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ganzoo: error: train.batch_size=64 is the global batch: it must divide evenly among --nproc 3 processes"]


def test_the_ranks_start_whatever_folder_named_ganzoo_is_in_the_working_folder(mnist_root, tmp_path):
    """Seen from the folder that holds a clone, `ganzoo/` is the clone: `python -m ganzoo` in a rank
    imported it as an empty namespace package and failed. The ranks do not look in the working folder."""
    (tmp_path / "ganzoo" / "ganzoo").mkdir(parents=True)  # a checkout, its own package one level down
    (tmp_path / "ganzoo" / "README.md").write_text("a clone\n")
    ganzoo = Path(sys.executable).with_name("ganzoo")  # the console script, as a user starts it
    result = subprocess.run([str(ganzoo), "run", str(RECIPE), *SETTINGS, "train.epochs=1", "--nproc", "2",
                             "--out", "run", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "GANZOO_DATA": str(mnist_root)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "samples" / "epoch-001.png").is_file()
