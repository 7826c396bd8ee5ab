"""The worked example plugin in examples/ganzoo-shapes, installed through its entry point."""

import importlib.util
import json
import tomllib
from pathlib import Path

import pytest

from conftest import run_ganzoo
from ganzoo import testing
from ganzoo.training.checkpoint import checkpoint_path, list_checkpoints
from plugin_dists import BROKEN_IMPORT_PLUGIN, path_env, write_distribution

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ganzoo-shapes"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """ganzoo-shapes installed as pip would (dist-info with its declared entry points, sources on the
    path), next to a broken plugin that fails to import."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    site = tmp_path_factory.mktemp("site")
    write_distribution(site, project["name"], project["entry-points"]["ganzoo"], version=project["version"])
    write_distribution(site, "ganzoo-brokenplug", {"brokenplug": "ganzoo_brokenplug"},
                       {"ganzoo_brokenplug.py": BROKEN_IMPORT_PLUGIN})
    return site


def test_list_shows_the_example_components(site):
    result = run_ganzoo("list", "--json", env=path_env(site, EXAMPLE / "src"))
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    found = {(c["kind"], c["name"]): c["plugin"]["distribution"] for c in listing["components"]}
    assert found[("loss", "rahinge")] == found[("dataset", "shapes")] == found[("metric", "mean_gap")] == "ganzoo-shapes"
    assert found[("loss", "bce")] == "ganzoo"
    assert [f["distribution"] for f in listing["failures"]] == ["ganzoo-brokenplug"]


def test_a_tiny_run_with_the_example_recipe_works_beside_a_broken_plugin(site, tmp_path):
    out = tmp_path / "run"
    result = run_ganzoo("run", EXAMPLE / "recipes" / "shapes_rahinge.yaml", "--quiet", "--out", out,
                        "dataset.params.n=128", "dataset.params.size=16", "generator.params.hidden=[32]",
                        "discriminator.params.hidden=[32]", "train.epochs=1", "train.batch_size=32",
                        "train.device=cpu", "train.log_every=2", "output.grid_size=4",
                        env=path_env(site, EXAMPLE / "src"))
    assert result.returncode == 0, result.stderr
    assert "ganzoo: warning: ganzoo plugin 'brokenplug' (ganzoo-brokenplug 0.1.0) was skipped" in result.stderr
    assert "loss:\n  name: rahinge" in (out / "recipe.yaml").read_text()
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["step"] == 4 and metrics[-1]["g_loss"] is not None
    assert [path.name for path in list_checkpoints(out)] == [checkpoint_path(out, 4).name]


def test_the_examples_own_tests_pass(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    monkeypatch.setenv("GANZOO_PLUGINS", "shapes")  # leave the broken plugin out, as its author would
    spec = importlib.util.spec_from_file_location("example_tests", EXAMPLE / "tests" / "test_ganzoo_shapes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [function for name, function in vars(module).items() if name.startswith("test_")]
    assert len(tests) == 6
    testing.default_registry.cache_clear()
    try:
        for test in tests:
            test()
    finally:
        testing.default_registry.cache_clear()


def test_the_examples_metric_scores_an_mnist_run_and_a_ring_run_with_no_code_for_either(site, data_env, tmp_path,
                                                                                       monkeypatch, capsys):
    """ganzoo eval reports every installed metric in the space of the extractor that scores the run: the example's
    mean_gap through the MNIST classifier for an MNIST run, through the coordinates for a 2-D ring."""
    from conftest import QUICK, RECIPE
    from ganzoo.cli import main

    mnist, ring = tmp_path / "mnist", tmp_path / "ring"
    assert main(["run", str(RECIPE), *QUICK, "train.epochs=1", "train.device=cpu", "--out", str(mnist), "--quiet"]) == 0
    assert main(["run", str(ROOT / "recipes" / "gaussians_ring.yaml"), "dataset.params.samples=1000",
                 "dataset.params.reference_samples=300", "train.epochs=1", "train.batch_size=100", "train.log_every=5",
                 "train.device=cpu", "--out", str(ring), "--quiet"]) == 0
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    monkeypatch.setenv("GANZOO_PLUGINS", "shapes")
    capsys.readouterr()
    reports = {}
    for run_dir in (mnist, ring):
        assert main(["eval", str(run_dir), "-n", "200", "--json", "--device", "cpu"]) == 0
        reports[run_dir.name] = json.loads(capsys.readouterr().out)
    assert (reports["mnist"]["features"], reports["ring"]["features"]) == ("mnist-classifier", "points")
    for report in reports.values():
        gap = report["metrics"]["mean_gap"]
        assert gap["metric"] == "mean_gap" and gap["better"] == "lower"
        assert 0 <= gap["real_vs_real"] < gap["generated"]  # one epoch of training is further off than real images
