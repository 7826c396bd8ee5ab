"""No command writes outside the folders the user named: each command runs with its current folder,
HOME and temporary folder inside one temporary root, and the root's file tree is compared before and
after: every file created or changed lies in the output the command was given (nothing in HOME, the
current folder's other corners, the data folder, the temporary folder), and nothing new appears in the
repository (the checkout these tests run from)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from conftest import RECIPE, ROOT
from ganzoo import cli
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY
from test_bad_input import trained  # noqa: F401 (fixture: a finished one-epoch run)

SKIPPED = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}
PIX2PIX = ["train.epochs=1", "train.batch_size=32", "train.device=cpu", "train.log_every=2", "output.grid_size=8",
           "dataset.params.limit=64", "dataset.params.test_limit=32", "generator.params.base_channels=4",
           "discriminator.params.base_channels=4", "eval.every=0"]


def tree(root: Path, skipped=frozenset()) -> dict:
    """Every file and folder under ``root``: its kind, size and modification time."""
    found = {}
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if name not in skipped]
        for name in folders + files:
            path = Path(folder) / name
            stat = path.lstat()
            found[str(path.relative_to(root))] = (path.is_dir(), 0 if path.is_dir() else stat.st_size, stat.st_mtime_ns)
    return found


def torch_cache(path: str) -> bool:
    """torch's own compile cache, an empty folder its optimisers make in the temporary folder on their first
    step (``torchinductor_<user>``), shared by every torch program: not ganzoo's to write or remove."""
    return path.startswith("tmp/torchinductor_") and "/" not in path.removeprefix("tmp/")


def changed(before: dict, after: dict) -> list:
    return sorted(path for path in after if before.get(path) != after[path] and not (
        after[path][0] and path in before) and not torch_cache(path))  # a folder's mtime changes with its files


def test_no_command_writes_outside_the_folders_it_was_given(mnist_root, tmp_path, monkeypatch, capsys):
    root = tmp_path / "root"
    cwd, home, temporary, data, images, inputs = (root / name for name in ("cwd", "home", "tmp", "data", "images",
                                                                         "inputs"))
    for folder in (cwd, home, temporary, images, inputs):
        folder.mkdir(parents=True)
    shutil.copytree(mnist_root, data)
    rng = np.random.default_rng(0)
    for index in range(6):
        Image.fromarray(rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)).save(images / f"{index}.png")
    np.savez(inputs / "in.npz", images=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8))

    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GANZOO_DATA", str(data))
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    for variable in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "TORCH_HOME", "MPLCONFIGDIR"):
        monkeypatch.delenv(variable, raising=False)
    repository = tree(ROOT, SKIPPED)

    commands = [  # (argv, what it may write, relative to the current folder)
        (["run", RECIPE, *TINY, "train.epochs=1", "--out", "runs/gan", "--quiet"], "runs/gan"),
        (["sample", "runs/gan", "-n", "4", "--out", "drawn/s.png"], "drawn"),
        (["export", "runs/gan", "--format", "safetensors", "--out", "g.safetensors"], "g.safetensors"),
        (["pack", images, "--out", "packed", "--size", "8", "--quiet"], "packed"),
        (["run", "pix2pix_edges_mnist", *PIX2PIX, "--out", "runs/p2p", "--quiet"], "runs/p2p"),
        (["translate", "runs/p2p", inputs / "in.npz", "--out", "out.npz", "--device", "cpu"], "out.npz"),
        (["export", "runs/p2p", "--format", "torchscript", "--out", "p2p.pt"], "p2p.pt"),
        (["eval", "runs/p2p", "--device", "cpu"], "runs/p2p"),
        (["compare", "runs/gan", "runs/p2p", "--out", "compared"], "compared"),
    ]
    for argv, allowed in commands:
        before = tree(root)
        code = cli.main([str(a) for a in argv])
        assert code == 0, (argv, capsys.readouterr().err)
        written = changed(before, tree(root))
        inside = f"cwd/{allowed}"
        stray = [path for path in written if path != inside and not path.startswith(inside + "/")
                 and not inside.startswith(path + "/")]  # the folders that lead to the output
        assert stray == [], (argv[0], stray)
        assert any(path == inside or path.startswith(inside + "/") for path in written), (argv[0], written)
    assert [path for path in temporary.iterdir() if not torch_cache(f"tmp/{path.name}")] == []  # nothing left
    assert list(home.iterdir()) == []
    assert changed(repository, tree(ROOT, SKIPPED)) == []


SETTINGS = settings(max_examples=int(os.environ.get("GANZOO_HYPOTHESIS_EXAMPLES", "6")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NAMES = st.text(alphabet="abcxyz-_.0", min_size=1, max_size=6).filter(lambda name: name not in (".", ".."))


@SETTINGS
@given(style=st.sampled_from(["relative", "up", "absolute"]), folders=st.lists(NAMES, min_size=0, max_size=2),
       command=st.sampled_from(["sample", "export", "pack"]))
def test_an_output_named_any_way_is_the_only_thing_written(trained, tmp_path, monkeypatch, capsys, style, folders,
                                                          command):
    root = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis runs this many times in one tmp_path
    cwd, images = root / "cwd", root / "images"
    cwd.mkdir()
    images.mkdir()
    for index in range(2):
        Image.fromarray(np.full((8, 8, 3), index * 100, dtype=np.uint8)).save(images / f"{index}.png")
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    name = {"sample": "s.png", "export": "g.safetensors", "pack": "packed"}[command]
    relative = Path(*folders, name)
    out = {"relative": relative, "up": Path("..", "elsewhere", relative), "absolute": root / "far" / relative}[style]
    out_option = f"--out={out}"  # the = form: a path may start with '-', which argparse takes for an option
    argv = {"sample": ["sample", trained, "-n", "2", out_option],
            "export": ["export", trained, "--format", "safetensors", out_option],
            "pack": ["pack", images, out_option, "--size", "4", "--quiet"]}[command]
    before = tree(root)
    assert cli.main([str(a) for a in argv]) == 0, capsys.readouterr().err
    target = str((cwd / out).resolve().relative_to(root))
    written = changed(before, tree(root))
    assert target in written
    assert [path for path in written if path != target and not path.startswith(target + "/")
            and not target.startswith(path + "/")] == []
