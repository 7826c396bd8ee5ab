"""Every bad input gives one line saying what is wrong and how to mend it, exit code 2, no traceback."""

from __future__ import annotations

import errno
import os
import shutil

import pytest
import torch

import ganzoo.training.checkpoint
from conftest import RECIPE
from ganzoo import cli
from ganzoo.training import checkpoint
from idx import TRAIN_IMAGES, TRAIN_LABELS, write_mnist
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY, final_weights


def fails(capsys, *argv: str) -> str:
    """Run the CLI in this process; assert exit 2 with a one-line error and return that line."""
    code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err and err[-1].startswith("ganzoo: error: "), err
    assert all(line.startswith(("epoch ", "training on ")) for line in err[:-1]), err  # only progress before it
    return err[-1]


def run_args(out, *overrides):
    return [str(a) for a in ("run", RECIPE, *TINY, *overrides, "--out", out, "--quiet")]


@pytest.fixture(scope="module")
def trained(mnist_root, tmp_path_factory):
    """A finished one-epoch run (8 steps, one checkpoint)."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            assert cli.main(run_args(run_dir, "train.epochs=1")) == 0
        finally:
            torch.set_num_threads(threads)
    return run_dir


@pytest.fixture
def run_copy(trained, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    return copy


# ---------------------------------------------------------------- recipes

def test_malformed_yaml(tmp_path, capsys):
    recipe = tmp_path / "broken.yaml"
    recipe.write_text("seed: 0\ntrain:\n  epochs: [1, 2\n  batch_size: 3\n")
    line = fails(capsys, "run", recipe)
    assert "is not valid YAML at line" in line


def test_malformed_interpolation(tmp_path, capsys):
    recipe = tmp_path / "broken.yaml"
    recipe.write_text(RECIPE.read_text() + "name: run-${oc.env:(\n")
    line = fails(capsys, "run", recipe)
    assert "bad value for 'name'" in line


@pytest.mark.parametrize("override, expected", [
    ("train.epoch=3", "unknown key 'train.epoch'"),
    ("generator.params.hiden=[8]", "unknown key 'generator.params.hiden'"),
])
def test_unknown_key(data_env, tmp_path, capsys, override, expected):
    line = fails(capsys, *run_args(tmp_path / "run", override))
    assert expected in line and "Did you mean" in line


@pytest.mark.parametrize("override, key", [
    ("train.epochs=three", "train.epochs"),
    ("optimizers.generator.lr=fast", "optimizers.generator.params.lr"),
    ("generator.params.hidden=wide", "generator.params.hidden"),
])
def test_wrong_type(data_env, tmp_path, capsys, override, key):
    line = fails(capsys, *run_args(tmp_path / "run", override))
    assert f"bad value for '{key}'" in line


@pytest.mark.parametrize("override, expected", [
    ("train.batch_size=0", "train.batch_size = 0 is out of range; it must be at least 1"),
    ("optimizers.generator.lr=-0.001", "optimizers.generator.params: lr must be greater than 0 (and finite), got -0.001"),
    ("train.epochs=0", "train.epochs = 0 is out of range; it must be at least 1"),
    ("train.on_nonfinite=ignore", "it must be stop or skip"),
])
def test_out_of_range(data_env, tmp_path, capsys, override, expected):
    assert expected in fails(capsys, *run_args(tmp_path / "run", override))


def test_unknown_component(data_env, tmp_path, capsys):
    line = fails(capsys, *run_args(tmp_path / "run", "generator.name=transformer"))
    assert "unknown generator 'transformer'; registered generators: " in line and "mlp" in line


# ---------------------------------------------------------------- data

def test_missing_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "nowhere"))
    line = fails(capsys, *run_args(tmp_path / "run"))
    assert "MNIST not found in" in line and "GANZOO_DATA" in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("damage", ["bad magic number", "truncated images", "truncated labels"])
def test_corrupt_or_truncated_idx_file(tmp_path, monkeypatch, capsys, damage):
    root = write_mnist(tmp_path / "data", n_train=128, n_test=16)
    raw = root / "MNIST" / "raw"
    name = TRAIN_LABELS if damage == "truncated labels" else TRAIN_IMAGES
    data = (raw / name).read_bytes()
    (raw / name).write_bytes(b"\x00\x00\x07\x07" + data[4:] if damage == "bad magic number" else data[:len(data) // 2])
    monkeypatch.setenv("GANZOO_DATA", str(root))
    line = fails(capsys, *run_args(tmp_path / "run"))
    assert "cannot read MNIST" in line and "corrupt or truncated" in line


# ---------------------------------------------------------------- checkpoints

@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_or_truncated_checkpoint(data_env, run_copy, tmp_path, capsys, damage):
    latest = checkpoint.list_checkpoints(run_copy)[-1]
    data = latest.read_bytes()
    latest.write_bytes({"garbage": b"not a checkpoint at all" * 100, "truncated": data[: len(data) // 2],
                        "empty": b""}[damage])
    for argv in (["run", "--resume", run_copy], ["sample", run_copy, "--out", tmp_path / "s.png"]):
        line = fails(capsys, *argv)
        assert f"cannot load checkpoint '{latest}'" in line and "corrupt, truncated" in line


def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(data_env, run_copy, capsys):
    first = checkpoint.list_checkpoints(run_copy)[-1]
    newer = checkpoint.checkpoint_path(run_copy, 16)
    newer.write_bytes(first.read_bytes()[:100])
    assert cli.main(["run", "--resume", str(run_copy), "train.epochs=3", "--quiet"]) == 0
    warning = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ganzoo: warning: ")]
    assert len(warning) == 1
    assert f"cannot load checkpoint '{newer}'" in warning[0] and f"using the one before it, {first.name}" in warning[0]
    assert newer.with_name(newer.name + ".damaged").exists()  # set aside, never loaded again
    assert checkpoint.load_checkpoint(run_copy)["step"] == 24


def flip_a_weight_bit(path):
    """Flip one bit in the bytes of the generator's first weight, where torch keeps it in the zip."""
    data = bytearray(path.read_bytes())
    weight = torch.load(path, weights_only=True)["models"]["generator"]
    first = next(iter(weight.values())).flatten()[:4].numpy().tobytes()
    at = data.index(first)
    data[at + 1] ^= 0x10
    path.write_bytes(bytes(data))


def nan_weights(path):
    state = torch.load(path, weights_only=True)
    next(iter(state["models"]["generator"].values())).fill_(float("nan"))
    del state["checksum"]  # as an older ganzoo, which wrote no checksum, would have:
    state["version"] = 1  # a version-1 checkpoint, read without one on purpose
    torch.save(state, path)


def without(key):
    def damage(path):
        state = torch.load(path, weights_only=True)
        del state[key]
        state["checksum"] = checkpoint.content_checksum(state)
        torch.save(state, path)
    return damage


@pytest.mark.parametrize("damage, expected", [
    (flip_a_weight_bit, "is damaged: its content does not match its checksum"),
    (nan_weights, "is damaged: generator."),
    (without("recipe"), "lacks 'recipe'"),
    (without("data_spec"), "lacks 'data_spec'"),
], ids=["one flipped bit", "NaN weights", "no recipe", "no data_spec"])
def test_a_damaged_checkpoint_is_never_used(data_env, run_copy, tmp_path, capsys, damage, expected):
    latest = checkpoint.list_checkpoints(run_copy)[-1]
    damage(latest)
    for argv in (["sample", run_copy, "--out", tmp_path / "s.png"], ["run", "--resume", run_copy]):
        line = fails(capsys, *argv)
        assert f"checkpoint '{latest}'" in line and expected in line
    assert not (tmp_path / "s.png").exists()


def test_an_unreadable_checkpoint_says_only_what_the_user_can_do(data_env, run_copy, capsys):
    import tarfile

    latest = checkpoint.list_checkpoints(run_copy)[-1]
    with tarfile.open(latest, "w") as old_format:  # what torch calls the legacy .tar format
        old_format.addfile(tarfile.TarInfo("storages"))
    line = fails(capsys, "run", "--resume", run_copy)
    assert f"cannot load checkpoint '{latest}': an old .tar-format file" in line
    assert "weights_only" not in line and "PyTorch" not in line


def test_checkpoint_from_a_recipe_with_different_shapes(data_env, run_copy, tmp_path, capsys):
    line = fails(capsys, "run", "--resume", run_copy, "generator.params.hidden=[16]", "train.epochs=2")
    assert "does not fit the generator 'mlp'" in line and "resume with the recipe it was written by" in line

    # The same checkpoint file dropped into another run whose models are smaller.
    other = tmp_path / "other"
    assert cli.main(run_args(other, "train.epochs=1", "generator.params.hidden=[16]")) == 0
    capsys.readouterr()
    foreign = checkpoint.list_checkpoints(run_copy)[-1]
    state = torch.load(foreign, weights_only=True)
    state["recipe"] = checkpoint.load_checkpoint(other)["recipe"]  # claims the other recipe
    state["checksum"] = checkpoint.content_checksum(state)  # and is otherwise intact
    torch.save(state, checkpoint.checkpoint_path(other, state["step"]))  # named by its step, as ganzoo names them
    line = fails(capsys, "sample", other, "--out", tmp_path / "s.png")
    assert "does not fit the generator 'mlp'" in line and "use another checkpoint of the run" in line
    line = fails(capsys, "run", "--resume", other)
    assert "does not fit the generator 'mlp'" in line


# ---------------------------------------------------------------- output

@pytest.mark.parametrize("where", ["--out", "output.root"])
def test_unwritable_output_directory(data_env, tmp_path, capsys, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    if where == "--out":
        line = fails(capsys, *run_args(blocker / "run"))
    else:
        line = fails(capsys, "run", RECIPE, *TINY, f"output.root={blocker}", "--quiet")
    assert "cannot write" in line and str(blocker) in line and "choose a writable folder" in line


def test_disk_full_during_a_checkpoint_write(data_env, run_copy, monkeypatch, capsys):
    good = checkpoint.list_checkpoints(run_copy)
    before = final_weights(run_copy)

    def full_disk(payload, handle):
        handle.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ganzoo.training.checkpoint.torch, "save", full_disk)
    line = fails(capsys, "run", "--resume", run_copy, "train.epochs=2", "--quiet")
    assert "step-000000016.pt: No space left on device; free some disk space" in line
    assert checkpoint.list_checkpoints(run_copy) == good  # nothing half-written, nothing lost
    assert not [p for p in (run_copy / "checkpoints").iterdir() if p.name.endswith(".tmp")]
    monkeypatch.undo()
    after = final_weights(run_copy)
    assert all(torch.equal(before[k], after[k]) for k in before)


# ---------------------------------------------------------------- more one-line errors (issue 16)

@pytest.mark.parametrize("overrides, expected", [
    (["train=5"], "bad value for 'train': expected a mapping"),
    (["seed=99999999999999999999999"], "seed = 99999999999999999999999 is out of range"),
    (["optimizers.generator.name=sgd", "optimizers.generator.momentum=-1"],
     "optimizers.generator.params: momentum must be at least 0 (and finite), got -1.0"),
    (["train.threads=100000"], "train.threads = 100000 is out of range; it must be between 1 and 1024"),
    (["output.grid_size=100000000"], "output.grid_size = 100000000 is out of range; it must be between 1 and 10000"),
])
def test_absurd_overrides(data_env, tmp_path, capsys, overrides, expected):
    assert expected in fails(capsys, *run_args(tmp_path / "run", *overrides))
    assert not (tmp_path / "run").exists()


def test_a_recipe_of_random_bytes(tmp_path, capsys):
    recipe = tmp_path / "random.yaml"
    recipe.write_bytes(bytes(range(256)) * 4)
    assert "is not UTF-8 text (byte 0x80 at offset 128)" in fails(capsys, "run", recipe)


def test_a_run_folder_given_as_the_recipe(trained, capsys):
    line = fails(capsys, "run", trained)
    assert f"is a run folder; resume it with: ganzoo run --resume {trained}" in line


def test_resume_with_out(trained, tmp_path, capsys):
    line = fails(capsys, "run", "--resume", trained, "--out", tmp_path / "elsewhere")
    assert "--out does not go with --resume" in line
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("nproc", ["0", "-3", "100000"])
def test_bad_nproc(data_env, tmp_path, capsys, nproc):
    line = fails(capsys, *run_args(tmp_path / "run"), "--nproc", nproc)
    assert f"--nproc must be between 1 and" in line and f"got {nproc}" in line


class FullDisk:
    """A file on a disk that fills up after ``room`` bytes, as a real one does under torch.save."""

    def __init__(self, handle, room=4096):
        self.handle, self.room = handle, room

    def write(self, data):
        self.room -= len(data)
        if self.room < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.handle.write(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.handle.__exit__(*exc)


def test_a_real_full_disk_while_torch_writes_a_checkpoint(data_env, run_copy, monkeypatch, capsys):
    import ganzoo.output.files

    good = checkpoint.list_checkpoints(run_copy)
    real_fdopen = ganzoo.output.files.os.fdopen
    monkeypatch.setattr(ganzoo.output.files.os, "fdopen",
                        lambda fd, *a: FullDisk(real_fdopen(fd, *a)) if ".step-" in os.readlink(f"/proc/self/fd/{fd}")
                        else real_fdopen(fd, *a))
    line = fails(capsys, "run", "--resume", run_copy, "train.epochs=2", "--quiet")
    assert "step-000000016.pt: No space left on device" in line
    assert f"the last good checkpoint, {good[-1].name}, is intact: resume with ganzoo run --resume {run_copy}" in line
    assert checkpoint.list_checkpoints(run_copy) == good


def test_a_model_too_large_for_memory(data_env, tmp_path, capsys):
    line = fails(capsys, *run_args(tmp_path / "run", "generator.params.latent_dim=1000000000"))
    assert "generator 'mlp' (ganzoo 0.1.0)" in line and "cannot be built: out of memory" in line
    assert "latent_dim" in line


# ---------------------------------------------------------------- ganzoo sample

@pytest.mark.parametrize("option, expected", [
    (["--device", "banana"], "--device must be auto, cpu, cuda or cuda:N, got 'banana'"),
    (["--seed", "99999999999999999999999"], "--seed must be between 0 and"),
    (["--seed", "-1"], "--seed must be between 0 and"),
])
def test_sample_options_out_of_range(trained, tmp_path, capsys, option, expected):
    assert expected in fails(capsys, "sample", trained, "--out", tmp_path / "s.npz", *option)
    assert not (tmp_path / "s.npz").exists()


@pytest.mark.parametrize("out", ["s.npz", "s.png"])
def test_sample_n_larger_than_memory_is_refused_before_drawing(trained, tmp_path, monkeypatch, capsys, out):
    import ganzoo.output.sampling

    monkeypatch.setattr(ganzoo.output.sampling, "available_memory", lambda: 8 * 2**30)  # this machine has 8 GiB free
    monkeypatch.setattr(ganzoo.output.sampling, "_batches", lambda *a: pytest.fail("drew samples"))
    line = fails(capsys, "sample", trained, "-n", "100000000", "--out", tmp_path / out)
    assert "-n 100000000 needs about" in line and "more than the 8 GiB available; draw fewer" in line
