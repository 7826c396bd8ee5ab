"""The worked example examples/ganzoo-bigan: an algorithm with an encoder (kind encoder) and a joint
critic D(x, z) (kind network) beside its generator, no loss role, and no workaround. Seen as an
installed distribution (its entry point), it passes its own contract-kit tests, is listed by kind,
and trains from its recipe through the CLI with an optimiser and a checkpoint entry per role."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from conftest import ROOT
from ganzoo import testing
from ganzoo.cli import main
from ganzoo.training.checkpoint import load_checkpoint
from plugin_dists import write_distribution

EXAMPLE = ROOT / "examples" / "ganzoo-bigan"
TINY = ["train.device=cpu", "train.batch_size=64", "train.epochs=1", "train.log_every=4", "train.threads=1",
        "output.grid_size=4", "dataset.params.download=false", "generator.params.latent_dim=8",
        "generator.params.hidden=[16]", "encoder.params.hidden=16", "discriminator.params.hidden=16"]


@pytest.fixture
def bigan(tmp_path, monkeypatch):
    """ganzoo-bigan installed (its dist-info and entry point on the path, its source beside it), alone
    among the third-party plugins."""
    site = write_distribution(tmp_path / "site", "ganzoo-bigan", {"bigan": "ganzoo_bigan"})
    for folder in (site, EXAMPLE / "src"):
        monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("GANZOO_PLUGINS", "bigan")
    testing.default_registry.cache_clear()
    yield
    testing.default_registry.cache_clear()
    for name in [name for name in sys.modules if name.split(".")[0] in ("ganzoo_bigan", "test_ganzoo_bigan")]:
        del sys.modules[name]


def test_bigan_passes_its_own_contract_kit_tests(bigan):
    spec = importlib.util.spec_from_file_location("test_ganzoo_bigan", EXAMPLE / "tests" / "test_ganzoo_bigan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [getattr(module, name) for name in dir(module) if name.startswith("test_")]
    assert len(tests) == 5
    for test in tests:
        test()


def test_bigan_is_listed_by_kind_and_trains_every_role_from_its_recipe(bigan, data_env, tmp_path, capsys):
    for kind, name in (("encoder", "mlp-encoder"), ("network", "joint-critic")):
        assert main(["list", "--kind", kind, "--json"]) == 0
        found = {(c["name"], c["plugin"]["distribution"]) for c in json.loads(capsys.readouterr().out)["components"]}
        assert (name, "ganzoo-bigan") in found
    assert main(["params", "encoder", "mlp-encoder"]) == 0
    assert "latent_dim" in capsys.readouterr().out

    run_dir = tmp_path / "run"
    assert main(["run", str(EXAMPLE / "recipes" / "bigan_mnist.yaml"), *TINY, "--out", str(run_dir), "--quiet"]) == 0
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert records and all(set(record["lr"]) == {"generator", "encoder", "discriminator"} for record in records)
    assert all(record["recon"] > 0 and 0 < record["d_real"] < 1 for record in records)
    recipe = (run_dir / "recipe.yaml").read_text()
    assert "encoder:\n  name: mlp-encoder\n  params:\n    latent_dim: 8" in recipe and "\nloss:" not in recipe
    state = load_checkpoint(run_dir)
    assert set(state["models"]) == set(state["optimizers"]) == {"generator", "encoder", "discriminator"}
    assert "ema" not in state or not state["ema"]
