"""`ganzoo pack` and the `packed` dataset: shards streamed from disk train to the numbers of data held in
memory, resume exactly after a stop or a kill -9, and every bad input is one line and exit code 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

from conftest import ROOT
from ganzoo import cli
from ganzoo.training import checkpoint
from ganzoo.training.trainer import TrainingInterrupted
from packed_data import RECIPE, SIZE, STREAMED, TRAIN, pack, write_folder
from runs import assert_same_run, train
from runs import single_thread  # noqa: F401 (autouse fixture)

EPOCHS = 20  # 80 steps: a kill soon after the first checkpoint (step 4) lands mid-run


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """A folder of 2 x 32 images, packed into shards of 24 (the last one short)."""
    root = tmp_path_factory.mktemp("packed")
    folder = write_folder(root / "images")
    assert pack(folder, root / "packed", "--shard-images", "24") == 0
    return root / "packed"


@pytest.fixture(scope="module")
def in_memory(packed, tmp_path_factory):
    """The uninterrupted run, with the packed data held in memory (they fit the default budget)."""
    run_dir = tmp_path_factory.mktemp("memory") / "run"
    with pytest.MonkeyPatch.context():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            trainer = train(run_dir, [f"dataset.params.path={packed}", f"train.epochs={EPOCHS}"], base=TRAIN)
        finally:
            torch.set_num_threads(threads)
    assert not trainer.feed.streamed
    return run_dir


def test_pack_writes_uint8_shards_labels_and_a_manifest(packed, capsys):
    manifest = json.loads((packed / "manifest.json").read_text())
    assert manifest["count"] == 64 and manifest["shape"] == [3, SIZE, SIZE] and manifest["classes"] == ["cats", "dogs"]
    assert [shard["count"] for shard in manifest["shards"]] == [24, 24, 16]
    first = np.load(packed / manifest["shards"][0]["file"], mmap_mode="r")  # numpy's own format
    assert first.dtype == np.uint8 and first.shape == (24, 3, SIZE, SIZE)
    assert np.load(packed / "labels.npy").tolist() == [0] * 32 + [1] * 32
    assert len(manifest["source"]["files"]) == 64 and not manifest["skipped"]
    assert not [p for p in packed.parent.iterdir() if p.name.startswith(".")]  # no partial folder left


def test_streamed_shards_stop_mid_epoch_and_resume_to_the_in_memory_run(packed, in_memory, tmp_path):
    run_dir = tmp_path / "run"
    overrides = [f"dataset.params.path={packed}", f"train.epochs={EPOCHS}", *STREAMED]
    stopped = train(run_dir, overrides, stop_at=6, base=TRAIN)  # step 6: mid-way through epoch 2
    assert isinstance(stopped, TrainingInterrupted) and stopped.step == 6
    assert not [t for t in threading.enumerate() if t.name == "ganzoo-row-reader"]  # the reader ended with it
    resumed = train(run_dir, resume=True, base=TRAIN)
    assert resumed.feed.streamed
    assert_same_run(run_dir, in_memory)


def test_sigkill_while_streaming_then_resume_gives_the_in_memory_run(packed, in_memory, tmp_path):
    run_dir = tmp_path / "run"
    overrides = [f"dataset.params.path={packed}", f"train.epochs={EPOCHS}", *STREAMED]
    process = subprocess.Popen([sys.executable, "-m", "ganzoo", "run", str(RECIPE), *TRAIN, *overrides,
                                "--out", str(run_dir), "--quiet"], cwd=ROOT, env=os.environ.copy(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not checkpoint.list_checkpoints(run_dir):
            assert process.poll() is None, process.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == -signal.SIGKILL, "the run ended before the kill"
    assert int(checkpoint.list_checkpoints(run_dir)[-1].stem.split("-")[1]) < EPOCHS * 4
    assert cli.main(["run", "--resume", str(run_dir), "--quiet"]) == 0
    assert_same_run(run_dir, in_memory)


def _run(capsys, *arguments) -> str:
    code = cli.main([*map(str, arguments)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    return err


def _copy(packed, tmp_path):
    import shutil

    shutil.copytree(packed, tmp_path / "copy")
    return tmp_path / "copy"


def _train_args(path, *more):
    return ["run", RECIPE, *TRAIN, f"dataset.params.path={path}", "train.epochs=1", *more,
            "--out", path.parent / "run", "--quiet"]


def test_a_truncated_shard_is_refused(packed, tmp_path, capsys):
    copy = _copy(packed, tmp_path)
    shard = copy / "images-00001.npy"
    shard.write_bytes(shard.read_bytes()[:-100])
    err = _run(capsys, *_train_args(copy))
    assert "images-00001.npy is truncated" in err and "pack the folder again" in err
    assert not (tmp_path / "run").exists()  # nothing written


def test_a_missing_shard_is_refused(packed, tmp_path, capsys):
    copy = _copy(packed, tmp_path)
    (copy / "images-00002.npy").unlink()
    assert "images-00002.npy of the packed dataset is missing" in _run(capsys, *_train_args(copy))


def test_a_damaged_shard_fails_its_checksum(packed, tmp_path, capsys):
    copy = _copy(packed, tmp_path)
    shard = copy / "images-00000.npy"
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0xFF
    shard.write_bytes(bytes(data))
    assert "SHA-256 does not match the manifest" in _run(capsys, *_train_args(copy))


def test_a_folder_that_is_not_packed_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert "is not a packed dataset (no manifest.json" in _run(capsys, *_train_args(tmp_path / "empty"))


@pytest.mark.parametrize("change, words", [
    (lambda folder: (folder / "cats" / "000.png").write_bytes(b"\x89PNG" + bytes(10)), "cats/000.png was modified"),
    (lambda folder: (folder / "dogs" / "007.png").unlink(), "dogs/007.png is gone"),
    (lambda folder: (folder / "cats" / "000.png").rename(folder / "cats" / "new.png"), "cats/000.png is gone"),
], ids=["modified", "removed", "renamed"])
def test_a_folder_changed_since_packing_is_refused(tmp_path, capsys, change, words):
    folder = write_folder(tmp_path / "images", per_class=8)
    assert pack(folder, tmp_path / "packed") == 0
    capsys.readouterr()
    change(folder)
    err = _run(capsys, *_train_args(tmp_path / "packed", f"dataset.params.folder={folder}", "train.batch_size=4"))
    assert "changed since it was packed" in err and words in err and "ganzoo pack" in err


def test_an_undecodable_image_stops_the_pack_naming_it_or_is_skipped_and_counted(tmp_path, capsys):
    folder = write_folder(tmp_path / "images", per_class=4)
    (folder / "dogs" / "broken.png").write_bytes(b"not a png at all")
    err = _run(capsys, "pack", folder, "--out", tmp_path / "packed", "--quiet")
    assert "cannot read image" in err and "broken.png" in err and "--bad-images=skip" in err
    assert list(tmp_path.iterdir()) == [folder]  # the failed pack left nothing behind
    assert pack(folder, tmp_path / "packed", "--bad-images", "skip") == 0
    err = capsys.readouterr().err
    assert "packed 8 images" in err and "1 that cannot be decoded skipped" in err
    assert json.loads((tmp_path / "packed" / "manifest.json").read_text())["skipped"] == ["dogs/broken.png"]


def test_pack_refuses_a_used_out_folder(packed, tmp_path, capsys):
    assert "already exists and is not an empty folder" in _run(capsys, "pack", tmp_path, "--out", packed, "--quiet")


def test_data_over_the_memory_budget_are_refused_saying_how_to_pack_them(tmp_path, capsys):
    folder = write_folder(tmp_path / "images", per_class=8)
    err = _run(capsys, "run", RECIPE, *TRAIN, "dataset.name=image-folder", f"dataset.params.path={folder}",
               "dataset.params.size=8", "data.memory_budget_gb=0.000001", "train.batch_size=4", "--out", tmp_path / "run")
    assert "more than data.memory_budget_gb=1e-06" in err and "ganzoo pack" in err


def _point_shard_at(copy, where):
    manifest_path = copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["shards"][0]["file"] = where
    manifest_path.write_text(json.dumps(manifest))


def test_a_manifest_naming_a_shard_outside_its_folder_is_refused(packed, tmp_path, capsys):
    copy = _copy(packed, tmp_path)
    outside = tmp_path / "other"
    outside.mkdir()
    (outside / "images-00000.npy").write_bytes((copy / "images-00000.npy").read_bytes())  # same SHA-256
    _point_shard_at(copy, "../other/images-00000.npy")
    err = _run(capsys, *_train_args(copy))
    assert "names shard '../other/images-00000.npy', which is not a file inside" in err
    assert "pack the folder again" in err
    assert not (tmp_path / "run").exists()


def test_a_manifest_naming_an_absolute_shard_is_refused_without_disclosing_it(packed, tmp_path, capsys):
    copy = _copy(packed, tmp_path)
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"x" * 1234)
    _point_shard_at(copy, str(secret))
    err = _run(capsys, *_train_args(copy))
    assert f"names shard '{secret}', which is not a file inside" in err
    assert "1234" not in err and "bytes" not in err  # nothing about the outside file is told


def test_a_shard_that_is_a_symlink_out_of_its_folder_is_refused(packed, tmp_path, capsys):
    copy = _copy(packed, tmp_path)
    outside = tmp_path / "elsewhere.npy"
    (copy / "images-00000.npy").rename(outside)
    (copy / "images-00000.npy").symlink_to(outside)
    err = _run(capsys, *_train_args(copy))
    assert "names shard 'images-00000.npy', which is not a file inside" in err


def test_a_manifest_naming_labels_outside_its_folder_is_refused(packed, tmp_path, capsys):
    copy = _copy(packed, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    (tmp_path / "labels.npy").write_bytes((copy / "labels.npy").read_bytes())
    manifest["labels"]["file"] = "../labels.npy"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    err = _run(capsys, *_train_args(copy))
    assert "names labels '../labels.npy', which is not a file inside" in err


def test_a_manifest_that_is_a_symlink_out_of_its_folder_is_refused(packed, tmp_path, capsys):
    copy = _copy(packed, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("not json at all")
    (copy / "manifest.json").unlink()
    (copy / "manifest.json").symlink_to(secret)
    err = _run(capsys, *_train_args(copy))
    assert f"{copy / 'manifest.json'} is a symlink out of {copy}" in err and "Expecting value" not in err
