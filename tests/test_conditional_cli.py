"""A conditional GAN end to end through the CLI: labels flow from the data, --label picks a class.

The CLI runs in-process (``ganzoo.cli.main``) to keep the test quick; other tests run it as a subprocess.
"""

import warnings

import numpy as np
import pytest

from conftest import QUICK, ROOT
from ganzoo.cli import main

TINY = [*QUICK, "train.epochs=1", "train.batch_size=32", "dataset.params.limit=64", "generator.params.base_channels=8",
        "discriminator.params.base_channels=8", "train.device=cpu"]


@pytest.fixture(autouse=True)
def keep_warnings(monkeypatch):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it


def test_sample_one_class_from_a_conditional_run(data_env, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["run", str(ROOT / "recipes" / "cgan_mnist.yaml"), *TINY, "--out", str(run_dir), "--quiet"]) == 0

    drawn = {}
    for label in (7, 3):
        out = tmp_path / f"label{label}.npz"
        assert main(["sample", str(run_dir), "-n", "6", "--label", str(label), "--seed", "1", "--out", str(out)]) == 0
        drawn[label] = np.load(out)["images"]
        assert drawn[label].shape == (6, 28, 28) and drawn[label].dtype == np.uint8
    assert not np.array_equal(drawn[7], drawn[3])  # same noise; the label changes the images

    capsys.readouterr()
    assert main(["sample", str(run_dir), "--label", "10", "--out", str(tmp_path / "x.npz")]) == 2
    assert "--label must be in 0..9" in capsys.readouterr().err
