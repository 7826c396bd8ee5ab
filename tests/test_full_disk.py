"""Every command that writes, onto a full disk: one line saying the disk is full (exit 2), and nothing
half-written left behind (no partial file, no temporary file or folder, no folder made for the output).

The disk is a small tmpfs mounted for each test (Linux, as root); where mounting is not allowed the
tests are skipped, and ``test_a_failing_writer_leaves_nothing`` still injects the fault by hand.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import RECIPE
from ganzoo import GanzooError, cli
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY

FULL = "No space left on device; free some disk space or choose another folder"
PIX2PIX = ["train.epochs=1", "train.batch_size=32", "train.device=cpu", "train.log_every=2", "output.grid_size=8",
           "dataset.params.limit=64", "dataset.params.test_limit=32", "generator.params.base_channels=4",
           "discriminator.params.base_channels=4"]


class Disk:
    """The small tmpfs mounted at ``root``; ``fill(leave)`` leaves about ``leave`` bytes of it free."""

    def __init__(self, root: Path):
        self.root = root
        self.filler = root / "filler"

    def fill(self, leave: int = 0) -> "Disk":
        self.filler.unlink(missing_ok=True)
        free = shutil.disk_usage(self.root).free
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.write(fd, b"\0" * max(0, free - leave))
            while leave == 0:  # to the last byte
                os.write(fd, b"\0" * 512)
        except OSError as error:
            assert error.errno == errno.ENOSPC
        finally:
            os.close(fd)
        return self

    def contents(self) -> list[str]:
        """Everything on the disk but the filler, hidden files too."""
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p != self.filler)


@pytest.fixture
def disk(tmp_path):
    root = tmp_path / "disk"
    root.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(root)], capture_output=True)
        why = mounted.stderr.decode().strip() or "not root" if mounted.returncode else ""
    except OSError as error:  # no mount command (not Linux)
        why = str(error)
    if why:
        pytest.skip(f"cannot mount a tmpfs here ({why}); test_a_failing_writer_leaves_nothing injects the fault "
                    "instead")
    try:
        yield Disk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], capture_output=True)


def disk_full(capsys, *argv) -> str:
    """Run the CLI in this process; assert exit 2 with one line saying the disk is full, and return it."""
    code = cli.main([str(a) for a in argv])
    err = [line for line in capsys.readouterr().err.strip().splitlines()
           if not line.startswith(("epoch ", "training on ", "ganzoo: warning: "))]
    assert code == 2 and len(err) == 1 and err[0].startswith("ganzoo: error: "), (code, err)
    assert FULL in err[0] or "free some disk space" in err[0], err[0]
    return err[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, mnist_root):
    """A tiny finished run that generates from noise, and a tiny translation run (pix2pix)."""
    folder = tmp_path_factory.mktemp("full-disk")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            assert cli.main(["run", str(RECIPE), *TINY, "train.epochs=1", "--quiet", "--out", str(folder / "mlp")]) == 0
            assert cli.main(["run", "pix2pix_edges_mnist", *PIX2PIX, "--quiet", "--out", str(folder / "p2p")]) == 0
        finally:
            torch.set_num_threads(threads)
    return {"mlp": folder / "mlp", "p2p": folder / "p2p"}


@pytest.mark.parametrize("leave, fails_on", [(0, ".lock"), (4096, "recipe.yaml")])
def test_run_that_cannot_start_leaves_no_lock_and_no_folder(disk, capsys, data_env, leave, fails_on):
    disk.fill(leave=leave)  # 4096: the lock file's pid fits, recipe.yaml does not
    out = disk.root / "runs" / "first"
    line = disk_full(capsys, "run", RECIPE, *TINY, "--quiet", "--out", out)
    assert f"cannot write {out.resolve() / fails_on if fails_on == '.lock' else out / fails_on}: {FULL}" in line, line
    assert disk.contents() == []


def test_run_that_fills_the_disk_keeps_no_half_line(disk, capsys, data_env):
    from ganzoo.training.run_folder import logged_step

    disk.fill(leave=4096 * 3)  # the lock, recipe.yaml and the first metrics page; the grid does not fit
    disk_full(capsys, "run", RECIPE, *TINY, "train.log_every=1", "--quiet", "--out", disk.root / "run")
    leftovers = disk.contents()
    assert not [name for name in leftovers if name.endswith(".tmp") or "/." in name.replace("/.lock", "")], leftovers
    metrics = disk.root / "run" / "metrics.jsonl"
    if metrics.exists():
        assert all(logged_step(line) is not None for line in metrics.read_text().splitlines())


@pytest.mark.parametrize("out", ["samples.npz", "grid.png"])
def test_sample(disk, runs, capsys, out):
    disk.fill()
    line = disk_full(capsys, "sample", runs["mlp"], "-n", "64", "--out", disk.root / out)
    assert f"cannot write {disk.root / out}: {FULL}" in line
    assert disk.contents() == []


@pytest.mark.parametrize("fmt", ["torchscript", "onnx", "safetensors"])
def test_export_never_aborts_and_leaves_nothing(disk, runs, capsys, fmt):
    pytest.importorskip({"torchscript": "torch", "onnx": "onnx", "safetensors": "safetensors"}[fmt])
    disk.fill(leave=8192)  # the model is ~100 kB: it starts writing, then the disk is full
    out = disk.root / f"generator.{fmt}"
    line = disk_full(capsys, "export", runs["p2p"], "--format", fmt, "--out", out)
    assert f"cannot write {out}: " in line
    assert disk.contents() == []


def test_torchscript_export_onto_a_full_disk_in_a_process_exits_2_not_134(disk, runs):
    """torch's C++ file writer aborted the process when the disk filled: the exit code says it did not."""
    disk.fill()
    done = subprocess.run([os.sys.executable, "-m", "ganzoo", "export", str(runs["mlp"]), "--format", "torchscript",
                           "--out", str(disk.root / "g.pt")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == f"ganzoo: error: cannot write {disk.root / 'g.pt'}: {FULL}"
    assert disk.contents() == []


@pytest.mark.parametrize("kind", ["npz", "folder", "picture"])
def test_translate(disk, runs, tmp_path, capsys, kind):
    from PIL import Image

    edges = np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    if kind == "npz":
        source, out = tmp_path / "edges.npz", disk.root / "translated.npz"
        np.savez(source, images=edges)
    elif kind == "folder":
        source, out = tmp_path / "edges", disk.root / "translated"
        source.mkdir()
        for index, picture in enumerate(edges):
            Image.fromarray(picture).save(source / f"{index:02d}.png")
    else:
        source, out = tmp_path / "edge.png", disk.root / "translated.png"
        Image.fromarray(edges[0]).save(source)
    disk.fill(leave=4096 if kind == "folder" else 0)  # a folder fills up after a picture or two
    line = disk_full(capsys, "translate", runs["p2p"], source, "--out", out)
    assert f"cannot write {out}: {FULL}" in line
    assert disk.contents() == []


@pytest.mark.parametrize("leave", [0, 4096])
def test_pack(disk, tmp_path, capsys, leave):
    from packed_data import write_folder

    pictures = write_folder(tmp_path / "pictures", per_class=3)
    disk.fill(leave=leave)  # 4096: the shard fits, its labels or manifest do not
    out = disk.root / "packed"
    line = disk_full(capsys, "pack", pictures, "--out", out, "--size", "8", "--quiet")
    assert str(out) in line
    assert disk.contents() == []


@pytest.mark.parametrize("into", ["new-folder", "."])
def test_compare(disk, runs, capsys, into):
    disk.fill(leave=4096)  # compare.csv fits, compare.png does not
    out = disk.root / into
    line = disk_full(capsys, "compare", runs["mlp"], runs["p2p"], "--out", out)
    assert "cannot write" in line and str(disk.root) in line
    assert disk.contents() == []


def test_a_failing_writer_leaves_nothing(tmp_path, monkeypatch):
    """Without a tmpfs: a writer that fails as a full disk does, through every atomic way ganzoo writes."""
    from ganzoo.output import files

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "out" / "file.bin"
    with pytest.raises(GanzooError, match=f"cannot write {target}: {FULL}"):
        files.write_atomic(target, lambda handle: (handle.write(b"half"), full()))
    with pytest.raises(GanzooError, match=f"cannot write {target}: {FULL}"):
        with files.atomic_path(target) as staged:
            staged.write_bytes(b"half")
            full()
    monkeypatch.setattr(files.os, "replace", full)
    with pytest.raises(GanzooError, match=f"cannot write {target}: {FULL}"):
        files.write_text_atomic(target, "whole, but never renamed")
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def test_translate_of_an_empty_npz_is_one_line(runs, tmp_path, capsys):
    """(Not a full disk: kept here beside the one translation run these tests train.)"""
    empty = tmp_path / "empty.npz"
    np.savez(empty, images=np.zeros((0, 28, 28), dtype=np.uint8))
    assert cli.main(["translate", str(runs["p2p"]), str(empty), "--out", str(tmp_path / "out.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"ganzoo: error: '{empty}' holds no images (its 'images' array is (0, 28, 28)); give an .npz "
                   "with at least one"], err
    assert not (tmp_path / "out.npz").exists()
