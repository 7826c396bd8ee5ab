"""Issue 24 (third reliability pass), part B: hostile inputs to the newer commands and the Python API.

Each case gives one line that says what is wrong and how to mend it (exit 2 from the CLI, a
``GanzooError`` from the API), and leaves nothing half-written.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

import ganzoo
from conftest import RECIPE
from ganzoo import GanzooError, cli, hookimpl
from ganzoo.plugins.registry import PluginInfo, load_registry
from ganzoo.training import checkpoint
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY, StopAt


def fails(capsys, *argv) -> str:
    """Run the CLI in this process; assert exit 2 with a one-line error and return it."""
    code = cli.main([str(a) for a in argv])
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith(("epoch ", "training on "))]
    assert code == 2 and len(err) == 1 and err[0].startswith("ganzoo: error: "), (code, err)
    return err[0]


@pytest.fixture(scope="module")
def trained(mnist_root, tmp_path_factory):
    """A finished one-epoch tiny run (8 steps, one checkpoint)."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            assert cli.main(["run", str(RECIPE), *TINY, "train.epochs=1", "--quiet", "--out", str(run_dir)]) == 0
        finally:
            torch.set_num_threads(threads)
    return run_dir


def crafted(trained, tmp_path, edit) -> Path:
    """A copy of the trained run whose checkpoint ``edit`` changed, with a valid checksum (as a forger would)."""
    run_dir = tmp_path / "crafted"
    shutil.copytree(trained, run_dir)
    path = checkpoint.list_checkpoints(run_dir)[-1]
    state = torch.load(path, weights_only=True)
    edit(state)
    state[checkpoint.CHECKSUM] = checkpoint.content_checksum(state)
    torch.save(state, path)
    return run_dir


# ------------------------------------------------------- checkpoints whose content is hostile

def test_a_checkpoint_recipe_with_a_duplicate_key_is_one_line_for_sample_and_resume(trained, tmp_path, capsys,
                                                                                    data_env):
    run_dir = crafted(trained, tmp_path, lambda state: state.update(recipe=state["recipe"] + "\nseed: 3\n"))
    for argv in (["sample", run_dir, "--out", tmp_path / "x.npz"], ["run", "--resume", run_dir, "train.epochs=2"]):
        line = fails(capsys, *argv)
        assert "is not valid YAML" in line and "found duplicate key seed" in line, line
        assert "damaged or was not written by ganzoo" in line, line
    assert not (tmp_path / "x.npz").exists()


def test_a_checkpoint_with_a_bogus_data_spec_is_refused_as_damaged(trained, tmp_path, capsys, data_env):
    run_dir = crafted(trained, tmp_path, lambda state: state.update(data_spec={"bogus": 1}))
    for argv in (["sample", run_dir, "--out", tmp_path / "x.npz"], ["export", run_dir, "--out", tmp_path / "g.pt"],
                 ["run", "--resume", run_dir, "train.epochs=2"]):
        line = fails(capsys, *argv)
        assert "is damaged: its data spec is not one ganzoo writes (it has no image_shape)" in line, line


@pytest.mark.parametrize("spec, words", [
    ({"image_shape": [1, -28, 28]}, "not a list of 1 to 4 positive sizes"),
    ({"image_shape": "1x28x28"}, "not a list of 1 to 4 positive sizes"),
    ({"image_shape": [1, 28, 28], "num_classes": 0}, "not a positive whole number"),
])
def test_data_specs_out_of_range_are_named(spec, words):
    from ganzoo.data import DataSpec

    with pytest.raises(ValueError, match=words):
        DataSpec.from_dict(spec)


def test_an_empty_generator_in_a_checkpoint_says_it_holds_no_weights(trained, tmp_path, capsys):
    run_dir = crafted(trained, tmp_path, lambda state: state["models"].update(generator={}))
    line = fails(capsys, "sample", run_dir, "--out", tmp_path / "x.npz")
    assert "holds no weights for the generator 'mlp' (ganzoo" in line, line
    assert "for MLPGenerator:" not in line


def test_weights_that_do_not_fit_say_which_differ(trained, tmp_path, capsys, data_env):
    line = fails(capsys, "run", "--resume", shutil.copytree(trained, tmp_path / "run"), "generator.params.hidden=[8]",
                 "train.epochs=2")
    assert "does not fit the generator 'mlp' (ganzoo" in line, line
    assert "net.0.weight is [32, 16] there, [8, 16] in the model" in line, line
    assert line.endswith("resume with the recipe it was written by"), line


# ------------------------------------------------------- a plugin whose load_state_dict raises

@dataclass
class FragileParams:
    latent_dim: int = 16


class FragileGenerator(torch.nn.Module):
    """Trains like any generator; its own load_state_dict fails, as a buggy plugin's may."""

    def __init__(self, params, data):
        super().__init__()
        self.latent_dim = params.latent_dim
        self.image_shape = tuple(data.image_shape)
        self.net = torch.nn.Linear(params.latent_dim, int(np.prod(self.image_shape)))

    def forward(self, z):
        return torch.tanh(self.net(z)).view(z.shape[0], *self.image_shape)

    def load_state_dict(self, state, strict=True, assign=False):
        raise ValueError("fragile weights cannot be restored")


class Fragile:
    @hookimpl
    def register_generators(self, register):
        register("fragile", FragileGenerator, FragileParams)


def test_a_plugins_failing_load_state_dict_names_the_component_and_its_plugin(mnist_root, tmp_path, monkeypatch):
    from ganzoo.training.trainer import resume_run, start_run

    monkeypatch.setenv("GANZOO_DATA", str(mnist_root))
    registry = load_registry(extra_plugins=[(PluginInfo("fragile", "ganzoo-fragile", "0.2.0"), Fragile())])
    document = yaml.safe_load(RECIPE.read_text())
    document["generator"] = {"name": "fragile", "params": {}}
    recipe_file = tmp_path / "fragile.yaml"
    recipe_file.write_text(yaml.safe_dump(document))
    recipe = ganzoo.make_recipe(recipe_file, [item for item in TINY if not item.startswith("generator.")], registry)
    run_dir = tmp_path / "run"
    trainer = start_run(recipe, registry, run_dir, StopAt())
    try:
        trainer.fit()
    finally:
        from ganzoo.training import runlock
        runlock.release(run_dir)
    expected = "generator 'fragile' (ganzoo-fragile 0.2.0) failed while loading its state from checkpoint"
    with pytest.raises(GanzooError, match=re.escape(expected)) as caught:
        ganzoo.load(run_dir, registry=registry)
    assert "ValueError: fragile weights cannot be restored" in str(caught.value)
    assert "recipe" not in str(caught.value)
    with pytest.raises(GanzooError, match=re.escape(expected)) as caught:
        resume_run(run_dir, registry, StopAt(), ["train.epochs=2"])
    assert "resume with the recipe" not in str(caught.value)


# ------------------------------------------------------- recipes

def test_a_null_component_section_says_to_name_a_component(tmp_path, capsys):
    document = yaml.safe_load(RECIPE.read_text())
    document["generator"] = None
    recipe = tmp_path / "null.yaml"
    recipe.write_text(yaml.safe_dump(document))
    line = fails(capsys, "run", recipe)
    assert "bad value for 'generator': it cannot be null: a component section names its component" in line, line
    assert "is not Optional" not in line


def test_a_huge_recipe_is_refused_by_its_size_before_parsing(tmp_path, capsys):
    recipe = tmp_path / "big.yaml"
    recipe.write_text("seed: [" + ",".join(["1"] * 1_200_000) + "]\n")  # 2.3 MiB
    line = fails(capsys, "run", recipe)
    assert "is 2.3 MiB; a recipe is a few kilobytes of settings" in line, line
    assert "alias" not in line and "OMEGACONF" not in line


def test_a_recipe_of_too_many_values_says_so_not_the_alias_limit(tmp_path, capsys):
    recipe = tmp_path / "long.yaml"
    recipe.write_text("seed: [" + ",".join(["1"] * 20_000) + "]\n")  # 40 kB, 20000 values
    line = fails(capsys, "run", recipe)
    assert "holds more than 10000 values" in line and "keep long lists of data out of it" in line, line
    assert "alias-limits" not in line and "OMEGACONF" not in line


# ------------------------------------------------------- the Python API

def test_train_refuses_one_string_of_overrides(tmp_path):
    with pytest.raises(GanzooError, match=re.escape("overrides is a list of KEY=VALUE strings, not one string: "
                                                    "write overrides=['a=b']")):
        ganzoo.train(RECIPE, overrides="a=b", out=tmp_path / "run")
    with pytest.raises(GanzooError, match="each override is a KEY=VALUE string"):
        ganzoo.make_recipe(RECIPE, [3])
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("call, words", [
    (lambda run: run.sample("ten"), "n must be a whole number, got 'ten' (str)"),
    (lambda run: run.sample(4, seed=1.5), "seed must be a whole number, got 1.5 (float)"),
    (lambda run: run.sample(4, seed=-1), "seed must be between 0 and"),
])
def test_sample_refuses_arguments_of_the_wrong_type(trained, call, words):
    with pytest.raises(GanzooError, match=re.escape(words)):
        call(ganzoo.load(trained))


@pytest.fixture(scope="module")
def safetensors_file(trained, tmp_path_factory):
    pytest.importorskip("safetensors")
    return ganzoo.load(trained).export(tmp_path_factory.mktemp("st") / "g.safetensors")


@pytest.mark.parametrize("change, words", [
    ({"recipe": "a: [1,\n"}, "is not valid YAML at line 2"),
    ({"recipe": "dup"}, "found duplicate key seed; the file is damaged or was not written by ganzoo"),
    ({"recipe": None}, "holds no recipe"),
    ({"data_spec": "{"}, "is damaged: its data spec is not one ganzoo writes"),
    ({"data_spec": "{}"}, "its data spec is not one ganzoo writes (it has no image_shape)"),
    ({"role": "nope"}, "is damaged: its role 'nope' is none of its recipe's"),
])
def test_load_safetensors_turns_bad_metadata_into_one_line(safetensors_file, tmp_path, change, words):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from ganzoo.output.export import load_safetensors

    with safe_open(str(safetensors_file), framework="pt") as handle:
        metadata = handle.metadata()
    if change.get("recipe") == "dup":
        change = {"recipe": metadata["recipe"] + "\nseed: 1\n"}
    metadata = {key: value for key, value in {**metadata, **change}.items() if value is not None}
    bad = tmp_path / "bad.safetensors"
    save_file(load_file(str(safetensors_file)), str(bad), metadata=metadata)
    with pytest.raises(GanzooError, match=re.escape(words)):
        load_safetensors(bad)


def test_load_safetensors_of_another_file_is_one_line(tmp_path):
    from ganzoo.output.export import load_safetensors

    other = tmp_path / "other.safetensors"
    other.write_text(json.dumps({"not": "safetensors"}) * 100)
    with pytest.raises(GanzooError, match="cannot read .* as safetensors"):
        load_safetensors(other)
    with pytest.raises(GanzooError, match="not found"):
        load_safetensors(tmp_path / "missing.safetensors")
