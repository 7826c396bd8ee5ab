"""A run folder takes one process at a time, and a run stopped before its first checkpoint can go on."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys

import pytest

from conftest import RECIPE, ROOT
from ganzoo import cli
from ganzoo.training import checkpoint, runlock
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY
from test_bad_input import fails, run_args, run_copy, trained  # noqa: F401 (fixtures)

HOLD_LOCK = """
import sys, time
from ganzoo.training import runlock
runlock.acquire(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()  # hold it until the test closes stdin
"""


@pytest.fixture
def hold_lock():
    """Take a run folder's lock in another process, as a running `ganzoo run` would; returns that process."""
    holders = []

    def hold(folder):
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder)], cwd=ROOT, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        holders.append(holder)
        assert holder.stdout.readline().strip() == "locked"
        return holder

    yield hold
    for holder in holders:
        holder.stdin.close()
        holder.wait(timeout=60)


def test_a_second_process_on_a_run_folder_is_refused(data_env, run_copy, hold_lock, capsys):
    holder = hold_lock(run_copy)
    before = (run_copy / "metrics.jsonl").read_text()
    line = fails(capsys, "run", "--resume", run_copy, "train.epochs=2", "--quiet")
    assert f"{run_copy} is in use by another ganzoo process (pid {holder.pid})" in line
    assert (run_copy / "metrics.jsonl").read_text() == before
    assert len(checkpoint.list_checkpoints(run_copy)) == 1


def test_a_second_new_run_into_the_same_out_is_refused(data_env, tmp_path, hold_lock, capsys):
    out = tmp_path / "out"
    holder = hold_lock(out)  # a run that has begun there and not yet written its recipe.yaml
    line = fails(capsys, *run_args(out, "seed=7"))
    assert f"{out} is in use by another ganzoo process (pid {holder.pid})" in line
    assert not (out / "recipe.yaml").exists()


def test_the_lock_of_a_dead_process_does_not_block(data_env, run_copy):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(run_copy)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)  # dies holding it; the lock file with its pid stays
    holder.wait(timeout=60)
    assert (run_copy / runlock.LOCK_FILE).read_text().strip() == str(holder.pid)
    assert cli.main(["run", "--resume", str(run_copy), "train.epochs=2", "--quiet"]) == 0
    assert checkpoint.load_checkpoint(run_copy)["step"] == 16


# ---------------------------------------------------------------- stopped before the first checkpoint

@pytest.fixture
def never_checkpointed(trained, tmp_path):
    """A run folder as a kill -9 before the first checkpoint leaves it: recipe.yaml, a metrics line, no checkpoint."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "recipe.yaml").write_text((trained / "recipe.yaml").read_text())
    (run_dir / "metrics.jsonl").write_text(json.dumps({"step": 3, "epoch": 1, "d_loss": 1.0}) + "\n{\"step\": 6, \"ep")
    return run_dir


def test_a_run_killed_before_its_first_checkpoint_resumes_from_step_0(data_env, trained, never_checkpointed, capsys):
    assert cli.main(["run", "--resume", str(never_checkpointed), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "has no checkpoint yet (the run stopped before its first one); it starts again from step 0" in err
    steps = [json.loads(line)["step"] for line in (never_checkpointed / "metrics.jsonl").read_text().splitlines()]
    assert steps == [json.loads(line)["step"] for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert checkpoint.load_checkpoint(never_checkpointed)["step"] == 8


def test_a_new_run_into_such_a_folder_says_to_resume_it(data_env, never_checkpointed, capsys):
    line = fails(capsys, *run_args(never_checkpointed))
    assert f"stopped before its first checkpoint; resume it with --resume {never_checkpointed}" in line


# ---------------------------------------------------------------- surprises on resume

def test_an_edited_recipe_yaml_is_named_and_written_back(data_env, run_copy, capsys):
    recipe = run_copy / "recipe.yaml"
    original = recipe.read_text()
    recipe.write_text(original.replace("epochs: 1", "epochs: 3"))
    assert cli.main(["run", "--resume", str(run_copy), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"{recipe} was edited (train.epochs: 3 there, 1 in the checkpoint)" in err
    assert "give changes as KEY=VALUE overrides" in err
    assert recipe.read_text() == original  # describes the run again


def test_resume_with_fewer_epochs_than_done_is_refused(data_env, run_copy, capsys):
    assert cli.main(["run", "--resume", str(run_copy), "train.epochs=2", "--quiet"]) == 0
    capsys.readouterr()
    recipe = (run_copy / "recipe.yaml").read_text()
    line = fails(capsys, "run", "--resume", run_copy, "train.epochs=1")
    assert "has trained 2 epochs (step 16), more than train.epochs=1: nothing would be trained" in line
    assert (run_copy / "recipe.yaml").read_text() == recipe


def test_metrics_jsonl_that_is_a_folder(data_env, run_copy, capsys):
    (run_copy / "metrics.jsonl").unlink()
    (run_copy / "metrics.jsonl").mkdir()
    line = fails(capsys, "run", "--resume", run_copy, "train.epochs=2")
    assert "metrics.jsonl is not a file" in line


def test_what_a_run_writes_has_the_usual_permissions(data_env, tmp_path):
    previous = os.umask(0o022)
    try:
        assert cli.main(run_args(tmp_path / "run", "train.epochs=1")) == 0
        assert cli.main(["run", "--resume", str(tmp_path / "run"), "train.epochs=2", "--quiet"]) == 0
    finally:
        os.umask(previous)
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file() and p.name != runlock.LOCK_FILE]
    assert {p.name for p in written} >= {"recipe.yaml", "metrics.jsonl", "epoch-001.png", "losses.png"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {oct(0o644)}


@pytest.mark.parametrize("garbage", ['{"step": 4, "epoch": 1, "d_loss": "abc", "g_loss": 1.0}', '{"step": "x"}',
                                     '[1, 2]', '{"step": 5, "d_loss": {"a": 1}}', 'not json at all'])
def test_garbage_in_metrics_jsonl_does_not_stop_the_run(data_env, run_copy, capsys, garbage):
    lines = (run_copy / "metrics.jsonl").read_text().splitlines()
    (run_copy / "metrics.jsonl").write_text("\n".join([lines[0], garbage, *lines[1:]]) + "\n")
    (run_copy / "losses.png").unlink()
    assert cli.main(["run", "--resume", str(run_copy), "train.epochs=2", "--quiet"]) == 0, capsys.readouterr().err
    assert (run_copy / "losses.png").stat().st_size > 0
