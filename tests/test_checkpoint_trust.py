"""Checkpoint trust: a checkpoint is used only when it is whole, checksummed and its counts are in range.

A checkpoint without its checksum, of an unknown format version, or whose step (rewritten with a fresh
checksum) is negative, past the training its recipe asks for, or disagrees with its file name, its
metrics window or its schedules is refused in one line; a version-1 checkpoint (written before checksums)
is read without one, on purpose. Then a fuzz over `run --resume`, `sample` and `export`: flipped bytes,
truncations, deleted keys and out-of-range values each give one line and exit code 2, or, where a
change does not reach the content, exactly the checkpoint that was written."""

from __future__ import annotations

import pytest
import torch

from ganzoo import cli
from ganzoo.training import checkpoint
from runs import single_thread  # noqa: F401 (autouse fixture)
from test_bad_input import run_copy, trained  # noqa: F401 (fixtures: a copy of a finished one-epoch run)

STEPS = 8  # the one checkpoint of `trained`: one epoch of 512 images in batches of 64


def _only(run_dir):
    return checkpoint.list_checkpoints(run_dir)[-1]


def rewrite(path, change, checksum=True, rename=True):
    """Load the checkpoint at ``path``, ``change`` it, give it a fresh checksum (as a forger would) and save
    it again, under the name its step says (when ``rename``). Returns the new path."""
    state = torch.load(path, weights_only=True)
    change(state)
    if checksum:
        state["checksum"] = checkpoint.content_checksum(state)
    new = path
    if rename and isinstance(state.get("step"), int) and not isinstance(state["step"], bool) and state["step"] >= 0:
        new = checkpoint.checkpoint_path(path.parent.parent, state["step"])
    path.unlink()
    torch.save(state, new)
    return new


def outcome(capsys, *argv):
    """(exit code, stderr lines) of the CLI run in this process."""
    code = cli.main([str(a) for a in argv])
    return code, capsys.readouterr().err.strip().splitlines()


def refused(capsys, *argv) -> str:
    code, err = outcome(capsys, *argv)
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("ganzoo: error: ") and "Traceback" not in err[0], err
    return err[0]


def commands(run_dir, tmp_path):
    return {"resume": ["run", "--resume", run_dir, "train.epochs=2", "--quiet"],
            "sample": ["sample", run_dir, "-n", "4", "--out", tmp_path / "s.png"],
            "export": ["export", run_dir, "--format", "safetensors", "--out", tmp_path / "g.safetensors"]}


# ---------------------------------------------------------------- the cases

def test_a_checkpoint_without_its_checksum_is_refused(data_env, run_copy, tmp_path, capsys):
    path = rewrite(_only(run_copy), lambda state: state.pop("checksum"), checksum=False)
    for argv in commands(run_copy, tmp_path).values():
        line = refused(capsys, *argv)
        assert f"checkpoint '{path}' is damaged: it has no checksum, which every version-2 checkpoint carries" in line
    assert not (tmp_path / "s.png").exists() and not (tmp_path / "g.safetensors").exists()


def test_a_version_1_checkpoint_is_read_without_a_checksum_on_purpose(data_env, run_copy, tmp_path, capsys):
    def older(state):
        del state["checksum"]
        state["version"] = 1
    rewrite(_only(run_copy), older, checksum=False)
    code, err = outcome(capsys, "sample", run_copy, "-n", "4", "--out", tmp_path / "s.png")
    assert code == 0, err
    assert (tmp_path / "s.png").is_file()


def test_a_checkpoint_of_an_unknown_version_is_refused(data_env, run_copy, tmp_path, capsys):
    path = rewrite(_only(run_copy), lambda state: state.update(version=7))
    line = refused(capsys, "sample", run_copy, "--out", tmp_path / "s.png")
    assert f"checkpoint '{path}' is of format version 7; this ganzoo reads versions 1 to 2" in line


def test_a_negative_step_is_refused_even_with_a_valid_checksum(data_env, run_copy, tmp_path, capsys):
    metrics = (run_copy / "metrics.jsonl").read_text()
    path = rewrite(_only(run_copy), lambda state: state.update(step=-5))
    for argv in commands(run_copy, tmp_path).values():
        line = refused(capsys, *argv)
        assert f"checkpoint '{path}' is damaged: its step is -5, not a count of steps done" in line
    assert (run_copy / "metrics.jsonl").read_text() == metrics  # no step trained again, none logged twice


def test_a_step_past_the_total_of_its_recipe_is_refused(data_env, run_copy, capsys):
    def far(state):
        state["step"] = 1000
        for schedule in state["schedules"].values():
            schedule["last_epoch"] = 1000
    path = rewrite(_only(run_copy), far)
    line = refused(capsys, "run", "--resume", run_copy, "--quiet")
    assert (f"checkpoint '{path}' is damaged: it holds step 1000, past the {STEPS} steps its recipe trains "
            f"(1 epochs of {STEPS})") in line


def test_a_step_that_disagrees_with_the_file_name_is_refused(data_env, run_copy, tmp_path, capsys):
    path = rewrite(_only(run_copy), lambda state: state.update(step=3), rename=False)
    line = refused(capsys, "sample", run_copy, "--out", tmp_path / "s.png")
    assert f"checkpoint '{path}' is damaged: it holds step 3, its name says step {STEPS}" in line


def test_a_step_that_disagrees_with_the_schedules_is_refused(data_env, run_copy, capsys):
    def behind(state):
        state["step"] = 4
        state["window"]["start_step"] = 3
    path = rewrite(_only(run_copy), behind)
    line = refused(capsys, "run", "--resume", run_copy, "train.epochs=2", "--quiet")
    assert f"checkpoint '{path}' is damaged: the learning-rate schedule of 'generator' has taken {STEPS} steps, the run 4" in line


def test_a_metrics_window_opening_after_the_step_is_refused(data_env, run_copy, tmp_path, capsys):
    path = rewrite(_only(run_copy), lambda state: state["window"].update(start_step=STEPS + 5))
    line = refused(capsys, "sample", run_copy, "--out", tmp_path / "s.png")
    assert f"checkpoint '{path}' is damaged: its metrics window opens at step {STEPS + 5}" in line


# ---------------------------------------------------------------- fuzz

def flip(fraction):
    def damage(path):
        data = bytearray(path.read_bytes())
        data[min(len(data) - 1, int(len(data) * fraction))] ^= 0xFF
        path.write_bytes(bytes(data))
    return damage


def truncate(fraction):
    def damage(path):
        data = path.read_bytes()
        path.write_bytes(data[:int(len(data) * fraction)])
    return damage


def delete(key, checksum):
    return lambda path: rewrite(path, lambda state: state.pop(key), checksum=checksum, rename=False)


def set_to(change):
    return lambda path: rewrite(path, change, rename=False)


MUTATIONS = {
    **{f"flip@{fraction}": flip(fraction) for fraction in (0.0, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 1.0)},
    **{f"truncate@{fraction}": truncate(fraction) for fraction in (0.0, 0.01, 0.5, 0.99)},
    **{f"delete {key}": delete(key, checksum=False) for key in ("checksum", "rng", "optimizers", "window", "models")},
    **{f"delete {key}, fresh checksum": delete(key, checksum=True)
       for key in ("format", "version", "recipe", "data_spec", "step", "models")},
    "step -1": set_to(lambda state: state.update(step=-1)),
    "step 10**9": set_to(lambda state: state.update(step=10 ** 9)),
    "step True": set_to(lambda state: state.update(step=True)),
    "step 8.0": set_to(lambda state: state.update(step=8.0)),
    "window after the step": set_to(lambda state: state["window"].update(start_step=9)),
    "window negative": set_to(lambda state: state["window"].update(start_step=-1)),
    "schedule behind": set_to(lambda state: state["schedules"]["generator"].update(last_epoch=3)),
    "version 0": set_to(lambda state: state.update(version=0)),
    "version '2'": set_to(lambda state: state.update(version="2")),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_mutated_checkpoint_is_refused_in_one_line_or_loads_unchanged(data_env, run_copy, tmp_path, capsys, mutation):
    path = _only(run_copy)
    written = torch.load(path, weights_only=True)["checksum"]
    MUTATIONS[mutation](path)
    for name, argv in commands(run_copy, tmp_path).items():
        code, err = outcome(capsys, *argv)
        assert not any("Traceback" in line for line in err), (name, err)
        if code == 0:  # only where the change did not reach the content: the same checkpoint, byte for byte
            assert mutation.startswith("flip@"), (name, err)
            assert checkpoint.content_checksum(torch.load(path, weights_only=True)) == written, (name, err)
            continue
        assert code == 2 and len(err) == 1, (name, code, err)
        assert err[0].startswith(tuple(f"ganzoo: error: {start}" for start in (
            f"checkpoint '{path}'", f"cannot load checkpoint '{path}'", f"'{path}' is not a ganzoo checkpoint"))), (name, err)
    assert not (tmp_path / "s.png").exists() or mutation.startswith("flip@")
