"""Every built-in recipe (recipes/) trains a few steps on tiny data, so none can rot.

A recipe whose dataset has no entry in TINY_DATA fails here: add one.
"""

import gzip
import io
import json
import math
import os
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT
from ganzoo.training.checkpoint import list_checkpoints
from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry
from ganzoo.training.trainer import start_run
from idx import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, idx_bytes, synthetic_digits

RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))
BATCH = 16
STEPS = 5  # enough for one generator step at algorithm.params.d_steps=5
SHRINK = ["train.epochs=1", f"train.batch_size={BATCH}", "train.log_every=1", "output.grid_size=4",
          "train.device=cpu"]
# Recipes whose own settings do not fit the tiny data: dcgan_sharp's (and its speedrun's) 100 clusters need 100 images;
# esrgan_mnist's (and esrgan_fashion_mnist's) 250 PSNR-stage steps come before their GAN stage.
FIT_TINY_DATA = {"dcgan_sharp": [f"dataset.params.clusters={BATCH // 2}"],
                 "speedrun_uncond_mnist": [f"dataset.params.clusters={BATCH // 2}"],
                 "esrgan_mnist": ["algorithm.params.psnr_steps=2"],
                 "esrgan_fashion_mnist": ["algorithm.params.psnr_steps=2"]}
# Each recipe's logged values at its last tiny step, as the code gave them when they were recorded:
# a refactoring that changes what any family computes fails here. Record again (after a change
# that is meant to change the numbers, saying so in the commit) with
#   GANZOO_RECORD_OUTPUTS=1 python -m pytest -n 0 tests/test_recipes.py -k recipe_trains
OUTPUTS = Path(__file__).with_name("recipe_outputs.json")
RELATIVE, ABSOLUTE = 1e-3, 1e-4  # float rounding differs between CPUs (AVX2, AVX-512, AMX); a changed rule does not


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, mnist_root) -> dict:
    """Overrides that point each dataset at a few examples."""
    return write_tiny_data(tmp_path_factory, mnist_root)


def write_tiny_data(tmp_path_factory, mnist_root) -> dict:
    """Write a few examples of each dataset (folders from ``tmp_path_factory.mktemp``); return the overrides
    that point each dataset at them (benchmarks/output_fingerprints.py uses it too)."""
    fashion = tmp_path_factory.mktemp("fashion-source")
    images, labels = synthetic_digits(BATCH * STEPS, seed=5)
    for name, array in ((TRAIN_IMAGES, images), (TRAIN_LABELS, labels), (TEST_IMAGES, images), (TEST_LABELS, labels)):
        (fashion / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
    folder = tmp_path_factory.mktemp("images")
    for i in range(BATCH * STEPS):
        Image.new("RGB", (40, 36), (i * 3 % 256, 80, 160)).save(folder / f"{i:03d}.png")
    limit = f"dataset.params.limit={BATCH * STEPS}"
    pairs = tmp_path_factory.mktemp("pairs")  # aligned A|B pictures: 16x16 inputs beside their targets
    for split, count in (("train", BATCH * STEPS), ("test", 4)):
        (pairs / split).mkdir()
        for i in range(count):
            Image.new("RGB", (32, 16), (i * 3 % 256, 80, 160)).save(pairs / split / f"{i:03d}.png")
    mnist_task = [f"dataset.params.root={mnist_root}", limit, "dataset.params.test_limit=16"]
    domains = tmp_path_factory.mktemp("domains")  # CycleGAN's layout: 16x16 pictures, two domains
    for split in ("trainA", "trainB", "testA", "testB"):
        (domains / split).mkdir()
        for i in range(BATCH * STEPS if split.startswith("train") else 4):
            Image.new("RGB", (16, 16), (i * 3 % 256, 80 if split.endswith("A") else 200, 160)).save(
                domains / split / f"{i:03d}.png")
    tiny = {
        "mnist": [f"dataset.params.root={mnist_root}", "dataset.params.download=false", limit],
        "fashion-mnist": [f"dataset.params.root={tmp_path_factory.mktemp('fashion-root')}",
                          f"dataset.params.source={fashion}", "dataset.params.download=false", limit],
        "gaussians": [f"dataset.params.samples={BATCH * STEPS}"],
        "image-folder": [f"dataset.params.path={folder}", limit],
        "mnist-edges": mnist_task,
        "mnist-sr": mnist_task,
        "mnist-inpaint": mnist_task,
        "mnist-domains": mnist_task,
        "mnist-colour": [f"dataset.params.root={mnist_root}", f"dataset.params.limit={2 * BATCH * STEPS}",
                         "dataset.params.test_limit=16"],
        "paired-folder": [f"dataset.params.path={pairs}"],
        "mnist-unpaired": [f"dataset.params.root={mnist_root}", f"dataset.params.limit={2 * BATCH * STEPS}",
                           "dataset.params.test_limit=16"],
        "unpaired-folder": [f"dataset.params.path={domains}"],
        "domains-folder": [f"dataset.params.path={domains}", "dataset.params.domains=[trainA,trainB]",
                           "dataset.params.size=16", f"dataset.params.limit={BATCH * STEPS // 2}"],  # a domain
        "inpaint-folder": [f"dataset.params.path={pairs}", "dataset.params.size=16", "dataset.params.mask_size=8"],
    }
    # super-resolution builds the dataset it names (fashion-mnist in the recipes): that one's overrides, a level down
    tiny["super-resolution"] = [override.replace("dataset.params.", "dataset.params.source.params.", 1)
                                for override in tiny["fashion-mnist"]] + ["dataset.params.test_limit=16"]
    return tiny


def test_there_are_recipes():
    assert len(RECIPES) >= 8


def test_the_zoo_plugin_registers_its_components():
    registry = load_registry()
    zoo = {(c.kind, c.name) for c in registry.of_kind() if c.plugin.name == "zoo"}
    assert zoo == {("generator", "dcgan"), ("discriminator", "dcgan"), ("loss", "lsgan"), ("loss", "hinge"),
                   ("loss", "wgan-gp"), ("loss", "wasserstein"), ("dataset", "fashion-mnist"), ("dataset", "gaussians"),
                   ("dataset", "image-folder"), ("dataset", "packed"), ("callback", "clip-weights"), ("discriminator", "diffaugment"),
                   ("algorithm", "acgan"), ("algorithm", "infogan"),
                   ("loss", "bgan"), ("loss", "dragan"), ("loss", "relativistic"), ("loss", "softmax-gan"),
                   ("loss", "wgan-div")}


@pytest.mark.parametrize("recipe_path", RECIPES, ids=lambda p: p.stem)
def test_recipe_trains(recipe_path: Path, tiny_data, tmp_path):
    registry = load_registry()
    dataset = load_recipe(recipe_path, [], registry).config.dataset.name
    assert dataset in tiny_data, f"add tiny overrides for dataset '{dataset}' to tests/test_recipes.py"
    overrides = [*SHRINK, *tiny_data[dataset], *FIT_TINY_DATA.get(recipe_path.stem, [])]
    recipe = load_recipe(recipe_path, overrides, registry)
    log = io.StringIO()
    trainer = start_run(recipe, registry, tmp_path / "run", PlainProgress(log))
    trainer.fit()
    assert trainer.steps_done == STEPS
    assert list_checkpoints(tmp_path / "run")
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [record["step"] for record in records] == list(range(1, STEPS + 1))  # one record a step, none twice
    scalars = list(trainer.algorithm.scalars)
    assert all(list(record)[:len(scalars) + 4] == ["step", "epoch", *scalars, "images_per_sec", "lr"]
               for record in records)  # the columns in their order, for every family
    last = records[-1]
    assert last["g_loss"] is not None  # the generator was trained too
    check_outputs(recipe_path.stem, {key: last[key] for key in scalars}, trainer.precision.name)
    if os.environ.get("GANZOO_RECORD_OUTPUTS") and trainer.precision.name != "fp32":
        # train.precision: auto took bf16 on this CPU; a CPU without bf16 instructions runs fp32 and checks those
        fp32 = start_run(load_recipe(recipe_path, [*overrides, "train.precision=fp32"], registry), registry,
                         tmp_path / "fp32", PlainProgress(io.StringIO()))
        fp32.fit()
        last_fp32 = json.loads((tmp_path / "fp32" / "metrics.jsonl").read_text().splitlines()[-1])
        check_outputs(recipe_path.stem, {key: last_fp32[key] for key in scalars}, fp32.precision.name)
    picture = Image.open(tmp_path / "run" / "samples" / "epoch-001.png")
    assert picture.format == "PNG"
    if trainer.algorithm.directions and dataset not in SCORED:  # `ganzoo eval` scores each translation dataset
        SCORED.add(dataset)  # (once each: the scores depend on the data's sides, not on the algorithm)
        check_scored(recipe_path.stem, tmp_path / "run", dataset, registry)
    if dataset == "gaussians":  # not images: the dataset's scatter plot and figures instead of a grid
        assert picture.size[0] >= 400 and "epoch-001 samples: modes " in log.getvalue()


#: translation datasets of pictures no shipped extractor reads and no right answer scores: `ganzoo eval` says so
NOTHING_TO_SCORE = {"unpaired-folder", "domains-folder"}
SCORED: set = set()  # the translation datasets whose first recipe was scored
#: the extractor `ganzoo eval` reads a translation dataset's outputs with (the recipes' super-resolution: fashion-mnist)
READ_BY = {"mnist-sr": "mnist-classifier", "super-resolution": "fashion-classifier"}


def check_scored(name: str, run_dir: Path, dataset: str, registry) -> None:
    """``ganzoo eval``'s record of a translation run: every direction scored, beside its baseline."""
    from ganzoo.errors import GanzooError
    from ganzoo.eval.evaluation import evaluate_run

    try:
        report = evaluate_run(run_dir, n=16, device="cpu", registry=registry)
    except GanzooError as error:
        assert dataset in NOTHING_TO_SCORE and "nothing to score" in str(error), f"{name}: {error}"
        return
    assert dataset not in NOTHING_TO_SCORE, f"{name} is scored now: take {dataset} out of NOTHING_TO_SCORE"
    assert report["kind"] == "translation" and (run_dir / "eval.json").is_file()
    assert report["features"] == READ_BY.get(dataset, report["features"]), f"{name}: read by {report['features']}"
    for direction in report["directions"]:
        scored = {key: entry for key, entry in report["metrics"].items() if entry["direction"] == direction}
        assert scored, f"{name}: nothing scored {direction}"
        assert any(isinstance(entry["baseline"], float) for entry in scored.values())


def check_outputs(name: str, values: dict, precision: str) -> None:
    """``values`` (the last record's scalars) against those recorded for recipe ``name``; in fp32 only,
    as reduced precision (``train.precision: auto`` picks bf16 on CPUs with AMX) rounds otherwise."""
    recorded = json.loads(OUTPUTS.read_text()) if OUTPUTS.is_file() else {}
    if os.environ.get("GANZOO_RECORD_OUTPUTS"):
        if precision == "fp32":
            OUTPUTS.write_text(json.dumps({**recorded, name: values}, indent=1, sort_keys=True) + "\n")
        return
    if precision != "fp32":
        return
    assert name in recorded, f"no recorded outputs for recipe {name}: record them (see OUTPUTS in this file)"
    expected = recorded[name]
    assert set(values) == set(expected), f"{name} logs {sorted(values)}, recorded {sorted(expected)}"
    differ = {key: (values[key], expected[key]) for key in values
              if not (values[key] is None and expected[key] is None)
              and (values[key] is None or expected[key] is None
                   or not math.isclose(values[key], expected[key], rel_tol=RELATIVE, abs_tol=ABSOLUTE))}
    assert not differ, f"{name}'s outputs changed (now, recorded): {differ}"
