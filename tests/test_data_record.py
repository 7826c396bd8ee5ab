"""A run remembers its data: resume, sample and eval work in a shell without GANZOO_DATA,
and a run says so when its data moved or changed."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from conftest import QUICK, RECIPE, ROOT, real_mnist_missing, real_mnist_root
from ganzoo.cli import main
from runs import TINY

FILES = ("MNIST/raw/train-images-idx3-ubyte", "MNIST/raw/train-labels-idx1-ubyte")


@pytest.fixture
def own_data(mnist_root, tmp_path):
    """A copy of the tiny MNIST that a test may move or alter."""
    return shutil.copytree(mnist_root, tmp_path / "data")


@pytest.fixture
def bare_shell(tmp_path, monkeypatch):
    """No GANZOO_DATA, and a working folder with no ./data in it."""
    monkeypatch.delenv("GANZOO_DATA", raising=False)
    shell = tmp_path / "elsewhere"
    shell.mkdir()
    monkeypatch.chdir(shell)
    return shell


def train(run_dir, data, monkeypatch, *overrides):
    with monkeypatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(data))
        assert main(["run", str(RECIPE), *TINY, "train.epochs=1", *overrides, "--out", str(run_dir), "--quiet"]) == 0


def recipe_of(run_dir):
    return OmegaConf.load(run_dir / "recipe.yaml")


def test_the_run_records_the_resolved_folder_and_each_files_size_and_checksum(own_data, tmp_path, monkeypatch):
    monkeypatch.chdir(own_data.parent)
    train(tmp_path / "run", "data", monkeypatch)  # a relative GANZOO_DATA, resolved
    recipe = recipe_of(tmp_path / "run")
    assert recipe.dataset.params.root == str(own_data.resolve())
    assert recipe.dataset.source.param == "root"
    assert set(recipe.dataset.source.files) == set(FILES)
    for name in FILES:
        data = (own_data / name).read_bytes()
        assert recipe.dataset.source.files[name] == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_resume_sample_and_eval_work_without_GANZOO_DATA(own_data, tmp_path, monkeypatch, bare_shell, capsys):
    run_dir = tmp_path / "run"
    train(run_dir, own_data, monkeypatch)
    assert main(["run", "--resume", str(run_dir), "train.epochs=2", "--quiet"]) == 0
    assert (run_dir / "samples" / "epoch-002.png").is_file()
    assert main(["sample", str(run_dir), "-n", "16", "--out", "grid.png"]) == 0
    assert main(["eval", str(run_dir), "-n", "64", "--device", "cpu", "--json"]) == 0
    assert '"modes"' in capsys.readouterr().out
    assert not (bare_shell / "data").exists()


def test_data_that_moved_are_named_and_a_new_folder_resumes(own_data, tmp_path, monkeypatch, bare_shell, capsys):
    run_dir = tmp_path / "run"
    train(run_dir, own_data, monkeypatch)
    moved = own_data.rename(tmp_path / "moved")
    capsys.readouterr()
    assert main(["run", "--resume", str(run_dir), "train.epochs=2", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "no longer where it read them" in err and str(own_data) in err
    assert "dataset.params.root=NEW_FOLDER" in err
    assert not own_data.exists()  # nothing was downloaded or created in the old place
    assert main(["eval", str(run_dir), "-n", "64", "--device", "cpu"]) == 2
    assert f"the run read its data from {own_data}" in capsys.readouterr().err

    assert main(["run", "--resume", str(run_dir), "train.epochs=2", f"dataset.params.root={moved}", "--quiet"]) == 0
    assert recipe_of(run_dir).dataset.params.root == str(moved)
    assert main(["eval", str(run_dir), "-n", "64", "--device", "cpu"]) == 0


def test_data_that_changed_are_refused_unless_the_record_is_dropped(own_data, tmp_path, monkeypatch, bare_shell,
                                                                    capsys):
    run_dir = tmp_path / "run"
    train(run_dir, own_data, monkeypatch)
    images = own_data / FILES[0]
    altered = bytearray(images.read_bytes())
    altered[-1] ^= 0xFF
    images.write_bytes(bytes(altered))
    capsys.readouterr()
    assert main(["run", "--resume", str(run_dir), "train.epochs=2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "differ from those this run trained on" in err and FILES[0] in err
    assert "dataset.source=null" in err

    assert main(["run", "--resume", str(run_dir), "train.epochs=2", "dataset.source=null", "--quiet"]) == 0
    files = recipe_of(run_dir).dataset.source.files
    assert files[FILES[0]].sha256 == hashlib.sha256(bytes(altered)).hexdigest()  # the data it now trained on


def test_a_recipe_with_a_recorded_source_reproduces_the_run(own_data, tmp_path, monkeypatch, bare_shell):
    """`ganzoo run RUN_DIR/recipe.yaml` checks the data against the record too."""
    train(tmp_path / "run", own_data, monkeypatch)
    assert main(["run", str(tmp_path / "run" / "recipe.yaml"), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    assert recipe_of(tmp_path / "again").dataset.source == recipe_of(tmp_path / "run").dataset.source


def test_quick_runs_are_unchanged_by_the_record(data_env, tmp_path):
    """The record is written after the data are read: a recipe without one trains as before."""
    assert main(["run", str(RECIPE), *QUICK, "train.epochs=1", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert recipe_of(tmp_path / "r").dataset.params.root == str(data_env.resolve())


def test_the_real_mnist_tests_skip_when_the_files_are_missing_not_only_the_folder(tmp_path, mnist_root):
    """A failed first run used to leave an empty MNIST/raw/, and the tests on real data then failed."""
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    reason = real_mnist_missing(tmp_path)
    assert "t10k-images-idx3-ubyte" in reason and str(tmp_path / "MNIST" / "raw") in reason
    assert real_mnist_missing(mnist_root) == ""


def test_the_real_mnist_tests_read_ganzoo_data_and_their_skip_says_to_set_it(tmp_path, mnist_root):
    """In a clone with no ../shared beside it, GANZOO_DATA=<MNIST folder> pytest runs them instead of skipping."""
    found = subprocess.run([sys.executable, "-c", "import conftest; print(conftest.REAL_MNIST_ROOT); "
                            "print(conftest.real_mnist_missing())"], cwd=Path(__file__).parent, text=True,
                           capture_output=True, env={**os.environ, "GANZOO_DATA": str(mnist_root)}, check=True)
    assert found.stdout.splitlines() == [str(mnist_root.resolve()), ""]
    assert real_mnist_root({"GANZOO_DATA": str(tmp_path)}) == tmp_path.resolve()
    assert real_mnist_root({}) == (ROOT.parent / "shared" / "datasets").resolve()
    assert "set GANZOO_DATA to the folder that holds MNIST/raw/" in real_mnist_missing(tmp_path)
