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
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from ganzoo.training import checkpoint
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY, StopAt
from test_bad_input import trained  # noqa: F401 (module fixture: a finished tiny run)


def fails(capsys, *argv) -> str:
    """Run the CLI in this process; assert exit 2 with a one-line error and return it."""
    code = cli.main([str(a) for a in argv])
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith(("epoch ", "training on "))]
    assert code == 2 and len(err) == 1 and err[0].startswith("ganzoo: error: "), (code, err)
    return err[0]


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


# ------------------------------------------------------- the run folder and --out

@pytest.mark.parametrize("name", ["checkpoints", "samples"])
def test_a_file_where_the_run_keeps_a_folder_is_named_before_training(trained, tmp_path, capsys, data_env, name):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / name).write_text("in the way")
    line = fails(capsys, "run", RECIPE, *TINY, "--quiet", "--out", fresh)
    assert f"{fresh / name} is a file, but a run keeps its {name} in a folder of that name; move the file out of " \
           "the way" in line, line
    resumed = shutil.copytree(trained, tmp_path / "resumed")
    shutil.rmtree(resumed / name)
    (resumed / name).write_text("in the way")
    line = fails(capsys, "run", "--resume", resumed, "train.epochs=2", "--quiet")
    assert f"{resumed / name} is a file" in line, line


def test_a_write_below_a_file_names_the_file_in_the_way(tmp_path):
    from ganzoo.output.files import write_text_atomic

    blocker = tmp_path / "samples"
    blocker.write_text("in the way")
    with pytest.raises(GanzooError, match=re.escape(f"{blocker} is a file, not a folder: move it out of the way")):
        write_text_atomic(blocker / "epoch-001.png", "x")


def test_out_naming_a_folder_says_to_give_a_file_name(trained, tmp_path, capsys):
    folder = tmp_path / "samples.npz"
    folder.mkdir()
    line = fails(capsys, "sample", trained, "-n", "4", "--out", folder)
    assert f"{folder} is a folder: give a file name (e.g. {folder / 'output.npz'})" in line, line
    assert "permissions" not in line
    folder = tmp_path / "generator.pt"
    folder.mkdir()
    line = fails(capsys, "export", trained, "--out", folder)
    assert f"--out {folder} is a folder; give a file name, e.g. {folder / 'generator.pt'}" in line, line
    assert list(tmp_path.glob("**/.*")) == []  # no temporary file left


def test_export_to_a_read_only_folder_names_the_folder_not_a_temporary_file(trained, tmp_path, capsys):
    import subprocess

    folder = tmp_path / "read-only"
    folder.mkdir()
    try:
        refused = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                                 capture_output=True).returncode
    except OSError:  # no mount command (not Linux)
        refused = True
    if refused:
        pytest.skip("mounting a read-only tmpfs needs root (as root, permissions do not stop writes)")
    try:
        for suffix in (".pt", ".onnx", ".safetensors"):
            if suffix != ".pt":
                pytest.importorskip(suffix[1:])
            line = fails(capsys, "export", trained, "--out", folder / f"g{suffix}")
            assert f"cannot write {folder / f'g{suffix}'}: Read-only file system; the folder {folder} is not " \
                   "writable" in line, line
            assert "tmp" not in line.replace(str(tmp_path), "")
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# ------------------------------------------------------- files given to other commands

def test_a_bad_classifier_file_never_quotes_torchs_weights_only_advice(tmp_path):
    from ganzoo.eval.classifier import load_classifier

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"garbage")
    module = tmp_path / "module.pt"
    torch.save({"model": torch.nn.Linear(2, 2)}, module)
    for path, words in ((garbage, "in its pickled data"),
                        (module, "holds more than tensors and plain data (Unsupported global: GLOBAL "
                                 "torch.nn.modules.linear.Linear), and loading it could run code")):
        with pytest.raises(GanzooError) as caught:
            load_classifier(path)
        message = str(caught.value)
        assert words in message and "give weights that `ganzoo train-classifier` wrote" in message, message
        assert "weights_only" not in message and "add_safe_globals" not in message and "PyTorch" not in message


def test_jobs_0_is_refused_as_minus_1_is(tmp_path, capsys):
    for jobs in ("0", "-1"):
        line = fails(capsys, "run", RECIPE, "-m", "seed=0,1", "--jobs", jobs, "--out", tmp_path / "sweep")
        assert f"--jobs must be at least 1 (the runs going at a time), got {jobs}" in line, line
    assert not (tmp_path / "sweep").exists()


# ------------------------------------------------------- data that give nothing, or broken numbers

@dataclass
class BrokenParams:
    broken: str = "nan"  # nan: one image holds a NaN; empty: no images


class BrokenData:
    @hookimpl
    def register_datasets(self, register):
        def load(params):
            if params.broken == "empty":
                return ganzoo.ImageData(images=torch.zeros(0, 1, 28, 28, dtype=torch.uint8))
            images = torch.zeros(64, 1, 28, 28)
            images[37, 0, 3, 4] = float("nan")
            return ganzoo.ImageData(images=images)

        register("broken", load, BrokenParams)


@pytest.mark.parametrize("broken, words", [
    ("nan", "dataset 'broken' (ganzoo-broken 0.1.0) gave 1 images holding NaN or infinite values (the first: "
            "number 37); the data are broken, not the training"),
    ("empty", "dataset 'broken' (ganzoo-broken 0.1.0) gave no images to train on: check dataset.params"),
])
def test_data_that_are_empty_or_not_finite_are_blamed_not_the_training(tmp_path, broken, words):
    from ganzoo.training.trainer import start_run

    registry = load_registry(extra_plugins=[(PluginInfo("broken", "ganzoo-broken", "0.1.0"), BrokenData())])
    document = yaml.safe_load(RECIPE.read_text())
    document["dataset"] = {"name": "broken", "params": {"broken": broken}}
    recipe_file = tmp_path / "broken.yaml"
    recipe_file.write_text(yaml.safe_dump(document))
    recipe = ganzoo.make_recipe(recipe_file, [item for item in TINY if not item.startswith("dataset.")], registry)
    with pytest.raises(GanzooError, match=re.escape(words)) as caught:
        start_run(recipe, registry, tmp_path / "run", StopAt())
    assert "learning rate" not in str(caught.value) and "batch size" not in str(caught.value)
    assert not (tmp_path / "run").exists()


def test_a_packed_folder_of_no_images_says_so(tmp_path, capsys, data_env):
    from packed_data import TRAIN, pack, write_folder

    assert pack(write_folder(tmp_path / "pictures", per_class=2), tmp_path / "packed") == 0
    manifest = json.loads((tmp_path / "packed" / "manifest.json").read_text())
    manifest.update(count=0, shards=[], labels=None, classes=None)
    (tmp_path / "packed" / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    line = fails(capsys, "run", RECIPE, *TRAIN, f"dataset.params.path={tmp_path / 'packed'}", "--out", tmp_path / "run")
    assert "dataset 'packed' (ganzoo 0.1.0) gave no images to train on" in line, line
    assert "batch size" not in line


def test_pack_of_a_file_says_it_is_a_file(tmp_path, capsys):
    from packed_data import write_folder

    picture = next(write_folder(tmp_path / "pictures", per_class=1).glob("*/*.png"))
    line = fails(capsys, "pack", picture, "--out", tmp_path / "packed")
    assert f"'{picture}' is a file; give the folder that holds the images (e.g. '{picture.parent}')" in line, line
    assert "not found" not in line


def test_pack_refuses_a_size_whose_shard_would_not_fit_in_memory_before_allocating(tmp_path, capsys):
    from packed_data import write_folder

    pictures = write_folder(tmp_path / "pictures", per_class=1)
    line = fails(capsys, "pack", pictures, "--out", tmp_path / "packed", "--size", "1000000")
    assert "--size 1000000 makes each image 2.73 TiB and a shard of 2 of them 5.46 TiB, more than half the" in line
    assert "give a smaller --size" in line
    assert not (tmp_path / "packed").exists() and [p.name for p in tmp_path.iterdir()] == ["pictures"]


def test_a_paired_folder_whose_pairs_are_all_held_out_says_so(tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "pairs"
    folder.mkdir()
    for index in range(2):
        Image.fromarray(np.zeros((8, 16, 3), dtype=np.uint8)).save(folder / f"{index}.png")
    line = fails(capsys, "run", "pix2pix_folder", f"dataset.params.path={folder}", "dataset.params.test_fraction=0.9",
                 "train.device=cpu", "--out", tmp_path / "run")
    assert f"'{folder}' holds 2 pairs and test_fraction=0.9 holds out 2 of them: none is left to train on; lower " \
           "dataset.params.test_fraction or add pairs" in line, line
    assert "depth" not in line and "batch size" not in line


def test_a_paired_folder_of_single_pictures_says_it_holds_no_pairs(tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "pictures"
    folder.mkdir()
    for index in range(4):
        Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(folder / f"{index}.png")
    line = fails(capsys, "run", "pix2pix_folder", f"dataset.params.path={folder}", "train.device=cpu",
                 "--out", tmp_path / "run")
    assert f"'{folder / '0.png'}' is 28x28, not twice as wide as high, so it is not an aligned A|B pair" in line, line
    assert "holds single pictures, not pairs; put the inputs in A/ and their targets in B/" in line
    assert "depth" not in line
