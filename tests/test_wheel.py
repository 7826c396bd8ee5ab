"""A wheel built from the repository carries the recipes: installed into a fresh venv, away from
the checkout, `ganzoo run vanilla_mnist` works.

Offline and quick: the wheel is built without build isolation, installed without its
dependencies, and the fresh venv borrows torch and the rest from this interpreter's
site-packages through a .pth file (which does not run this checkout's editable-install hook).
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import torch

from conftest import QUICK, ROOT

LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "runs", "build", "dist", "*.egg-info", "__pycache__",
                                  ".pytest_cache", "data")


def pip(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args, "--no-index", "--no-deps", "--quiet",
                           "--disable-pip-version-check"], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def fresh_venv(folder: Path) -> tuple[Path, Path]:
    """A venv without pip, and its site-packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return python, Path(site)


def test_a_built_wheel_installs_into_a_fresh_venv_and_runs_a_recipe_by_name(tmp_path, mnist_root):
    source = shutil.copytree(ROOT, tmp_path / "source", ignore=LEFT_OUT)
    pip("wheel", "--no-build-isolation", "--wheel-dir", str(tmp_path / "wheels"), str(source), cwd=tmp_path)
    wheel = next((tmp_path / "wheels").glob("ganzoo-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "ganzoo/recipes/vanilla_mnist.yaml" in names and "ganzoo/recipes/cgan_mnist.yaml" in names

    python, site = fresh_venv(tmp_path / "venv")
    pip("install", "--target", str(site), str(wheel), cwd=tmp_path)
    dependencies = {Path(torch.__file__).parents[1], Path(sysconfig.get_paths()["purelib"])}
    (site / "dependencies.pth").write_text("".join(f"{path}\n" for path in dependencies))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(GANZOO_DATA=str(mnist_root), OMP_NUM_THREADS="1")

    def ganzoo(*args):
        return subprocess.run([str(python), "-m", "ganzoo", *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=300)

    listed = ganzoo("list", "--kind", "recipe", "--json")
    assert listed.returncode == 0, listed.stderr
    vanilla = next(r for r in json.loads(listed.stdout)["recipes"] if r["name"] == "vanilla_mnist")
    assert Path(vanilla["path"]).is_relative_to(site)  # the wheel's copy, not the checkout's

    trained = ganzoo("run", "vanilla_mnist", "train.epochs=1", *QUICK[1:], "--out", "run", "--quiet")
    assert trained.returncode == 0, trained.stderr
    assert (elsewhere / "run" / "recipe.yaml").is_file() and list((elsewhere / "run" / "checkpoints").iterdir())
