"""`ganzoo eval` and evaluation during training, end to end on the tiny MNIST fixture."""

import json

import pytest

from conftest import QUICK, RECIPE, SHARED_DATA, needs_real_mnist
from ganzoo.cli import main

METRICS = {"fid", "kid", "mnist_score", "modes", "mode_kl", "precision", "recall", "density", "coverage"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, mnist_root):
    """A two-epoch run that evaluates itself after every epoch on 64 images."""
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        assert main(["run", str(RECIPE), *QUICK, "eval.every=1", "eval.n=64", "train.device=cpu",
                     "--out", str(run_dir), "--quiet"]) == 0
    return run_dir


def test_a_run_logs_its_metrics_every_k_epochs_and_draws_its_loss_curves(tiny_run):
    records = [json.loads(line) for line in (tiny_run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if "eval" in r]
    assert [r["epoch"] for r in evals] == [1, 2]
    assert set(evals[0]["eval"]) == METRICS
    assert (tiny_run / "losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_prints_a_table_beside_real_vs_real_and_writes_eval_json(tiny_run, data_env, capsys):
    assert main(["eval", str(tiny_run), "-n", "64", "--device", "cpu"]) == 0
    table = capsys.readouterr().out
    assert "real vs real" in table and "mnist_score" in table
    report = json.loads((tiny_run / "eval.json").read_text())
    assert report["n"] == 64 and report["test_images"] == 128
    assert set(report["metrics"]) == METRICS
    for key, entry in report["metrics"].items():
        assert entry["better"] in ("lower", "higher")
        assert entry["generated"] == entry["generated"] and entry["real_vs_real"] == entry["real_vs_real"]


def test_eval_json_output_is_the_report(tiny_run, data_env, capsys):
    assert main(["eval", str(tiny_run), "-n", "32", "--json", "--device", "cpu"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tiny_run / "eval.json").read_text())
    assert 0 <= printed["metrics"]["precision"]["real_vs_real"] <= 1


def test_eval_without_the_test_set_is_a_one_line_error(tiny_run, tmp_path, capsys):
    assert main(["eval", str(tiny_run), "-n", "32", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "MNIST not found in" in err and "--data" in err


@pytest.mark.parametrize("args, message", [
    (["-n", "3"], "-n must be at least 10"),
    (["-n", "1000"], "real-vs-real reference draws from"),
])
def test_eval_rejects_bad_sizes(tiny_run, data_env, capsys, args, message):
    assert main(["eval", str(tiny_run), *args, "--device", "cpu"]) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_metric_in_the_recipe_fails_before_training(data_env, tmp_path, capsys):
    assert main(["run", str(RECIPE), *QUICK, "eval.metrics={nope: {}}", "--out", str(tmp_path / "r")]) == 2
    assert "unknown metric 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "r" / "recipe.yaml").exists()


@needs_real_mnist
def test_real_vs_real_on_mnist_looks_like_a_perfect_generator():
    from ganzoo.eval.evaluation import Evaluator, load_run_data
    from ganzoo.recipe import load_recipe
    from ganzoo.pluginhost.registry import load_registry

    registry = load_registry()
    recipe = load_recipe(RECIPE, ["eval.metrics={fid: {}, mnist_score: {}, modes: {}}",
                                  "dataset.params.download=false"])
    reference = Evaluator(registry, recipe, load_run_data(registry, recipe, str(SHARED_DATA)))
    scores = {key: entry["value"] for key, entry in reference.reference(2000).items()}
    assert scores["fid"] < 1.0
    assert scores["mnist_score"] > 9.5  # 2,000 images: splits of 200 bias the score a little low
    assert scores["modes"] == 10 and scores["mode_kl"] < 0.01


def test_metrics_are_a_plugin_kind_that_recipes_do_not_have_to_name(capsys):
    from ganzoo.recipe import load_recipe

    assert main(["list", "--kind", "metric", "--json"]) == 0
    listed = {c["name"] for c in json.loads(capsys.readouterr().out)["components"]}
    assert listed == {"fid", "kid", "mnist_score", "modes", "precision_recall", "density_coverage",
                      "l1", "psnr", "ssim", "accuracy"}  # the last four: translation runs' right answers and classes
    assert "metric" not in load_recipe(RECIPE).params  # the recipe names no metric and still loads


FASHION = ["dataset.name=fashion-mnist", "dataset.params={download: false, source: /nonexistent}"]


def test_a_run_whose_feature_extractor_cannot_load_refuses_evaluation_before_training(tmp_path, capsys,
                                                                                     monkeypatch):
    """Colour pictures of a folder: no classifier of ganzoo's scores them, Inception does, and without
    Inception's weights on disk the run stops once it knows its images' shape."""
    from ganzoo.training import checkpoint

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no Inception weights there
    folder = colour_folder(tmp_path / "pictures", 20, seed=0)
    out = tmp_path / "folder"
    assert main(["run", str(RECIPE), *FOLDER_QUICK, f"dataset.params={{path: {folder}, size: 8, held_out: 4}}",
                 "eval.every=1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scoring this run's 'image-folder' data goes through the feature extractor " \
        "'inception'" in err[0] and "weights-inception-2015-12-05-6726825d.pth" in err[0]
    assert "set eval.every=0" in err[0]
    assert not out.exists() or not checkpoint.list_checkpoints(out)  # nothing trained


def test_a_dataset_no_extractor_could_score_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    from ganzoo.pluginhost.registry import load_registry

    registry = load_registry()
    for name in ("inception", "points", "fashion-classifier"):
        del registry.components[("feature_extractor", name)]
    monkeypatch.setattr("ganzoo.commands.run._registry", lambda *args, **kwargs: registry, raising=False)
    out = tmp_path / "fashion"
    assert main(["run", str(RECIPE), *QUICK, *FASHION, "eval.every=1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no feature extractor accepts this run's images of 'fashion-mnist'" in err[0]
    assert not (out / "recipe.yaml").exists()  # failed before loading data (the source does not exist)


def test_evaluating_during_training_leaves_the_training_as_it_is(tiny_run, data_env, tmp_path):
    """The classifier is built from the global random stream that dropout draws from; it must not
    change what the run trains (the vanilla recipe has dropout in D)."""
    plain = tmp_path / "plain"
    assert main(["run", str(RECIPE), *QUICK, "train.device=cpu", "--out", str(plain), "--quiet"]) == 0
    losses = lambda run: [{k: r[k] for k in ("step", "d_loss", "g_loss")}  # noqa: E731
                          for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if "eval" not in r]
    assert losses(plain) == losses(tiny_run)


def test_feature_extractors_are_a_plugin_kind_and_eval_json_names_the_weights(tiny_run, data_env, capsys):
    from ganzoo.eval.classifier import SHIPPED_SHA256

    assert main(["list", "--kind", "feature_extractor", "--json"]) == 0
    listed = {c["name"] for c in json.loads(capsys.readouterr().out)["components"]}
    assert listed == {"mnist-classifier", "fashion-classifier", "inception", "points"}
    assert main(["eval", str(tiny_run), "-n", "32", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["features"] == "mnist-classifier" and report["weights_sha256"] == SHIPPED_SHA256
    assert report["weights"] == "mnist_classifier.pt"


@pytest.mark.parametrize("name, message", [
    ("nope", "unknown feature_extractor 'nope'"),
    ("pixels", "--features pixels cannot score this run's 1x28x28 images of 'mnist': it takes 3x32x32 images"),
])
def test_a_feature_extractor_that_cannot_score_the_run_is_refused_in_one_line(tiny_run, data_env, capsys, name,
                                                                              message):
    registry = registry_with_extractor(Pixels, image_shape=(3, 32, 32))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ganzoo.eval.evaluation.load_registry", lambda: registry)
        assert main(["eval", str(tiny_run), "-n", "32", "--features", name, "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_plugins_feature_extractor_that_names_the_dataset_is_picked(tiny_run, data_env, capsys):
    registry = registry_with_extractor(Pixels, image_shape=(1, 28, 28), datasets=("mnist",))
    with pytest.MonkeyPatch.context() as patch:  # "a-pixels" sorts before "mnist-classifier": named first
        patch.setattr("ganzoo.eval.evaluation.load_registry", lambda: registry)
        assert main(["eval", str(tiny_run), "-n", "32", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["features"] == "a-pixels" and report["weights"] == "no-file"
    assert "fid" in report["metrics"] and "mnist_score" not in report["metrics"]  # no classes: no class metrics
    assert (tiny_run / "eval.json").is_file()


def test_no_feature_extractor_for_the_data_is_a_one_line_error(tiny_run, data_env, capsys):
    from ganzoo.pluginhost.registry import load_registry

    registry = load_registry()
    del registry.components[("feature_extractor", "mnist-classifier")]
    del registry.components[("feature_extractor", "inception")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ganzoo.eval.evaluation.load_registry", lambda: registry)
        assert main(["eval", str(tiny_run), "-n", "32", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no feature extractor accepts this run's 1x28x28 images of 'mnist'" in err[0]


class Pixels:
    """A third party's extractor: the images pooled to side x side, no classes."""

    side = 4

    def __init__(self, params):
        pass

    def load(self, device):
        return "no-file", "0" * 64

    def embed(self, images):
        import torch

        from ganzoo import Features

        return Features(torch.nn.functional.adaptive_avg_pool2d(images.float() / 255, self.side).flatten(1),
                        None)


def registry_with_extractor(cls, **attributes):
    from ganzoo import FeatureExtractor
    from ganzoo.pluginhost.registry import Component, NoParams, PluginInfo, load_registry

    registry = load_registry()
    extractor = type("Extractor", (cls, FeatureExtractor), attributes)
    plugin = PluginInfo("pixels", "ganzoo-pixels", "1.0")
    name = "a-pixels" if attributes.get("datasets") else "pixels"
    registry.add(Component("feature_extractor", name, extractor, NoParams, "pooled pixels", plugin))
    return registry


def test_a_fashion_mnist_run_is_scored_against_its_test_set_with_the_fashion_classifier(tmp_path, capsys):
    from ganzoo.eval.classifier import SHIPPED

    source = fashion_source(tmp_path / "fashion-source")
    run_dir = tmp_path / "fashion"
    assert main(["run", str(RECIPE), *QUICK, "dataset.name=fashion-mnist", f"dataset.params.source={source}",
                 f"dataset.params.root={tmp_path / 'data'}", "train.device=cpu", "--out", str(run_dir),
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run_dir), "-n", "32", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == "fashion-mnist" and report["features"] == "fashion-classifier"
    assert report["weights"] == "fashion_classifier.pt" and report["weights_sha256"] == SHIPPED["fashion-mnist"][1]
    assert report["test_images"] == 40  # the test set, held out
    assert {"fid", "kid", "fashion_score", "modes", "mode_kl", "precision", "recall", "density", "coverage"} == \
        set(report["metrics"])
    assert report["metrics"]["fid"]["real_vs_real"] < report["metrics"]["fid"]["generated"]


def colour_folder(folder, count, seed):
    from PIL import Image

    rng = torch_generator(seed)
    folder.mkdir(parents=True)
    for i in range(count):
        colour = tuple(int(v) for v in (rng.rand(3) * 255))
        Image.new("RGB", (12, 12), colour).save(folder / f"{i:03d}.png")
    return folder


def torch_generator(seed):
    import numpy as np

    return np.random.RandomState(seed)


FOLDER_QUICK = ["train.epochs=1", "train.batch_size=16", "train.log_every=1", "output.grid_size=4",
                "train.device=cpu", "dataset.name=image-folder"]


def test_an_image_folder_run_is_scored_against_its_seeded_held_out_split_or_a_reference_folder(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no Inception weights: the plugin's is picked
    folder = colour_folder(tmp_path / "pictures", 40, seed=0)
    registry = registry_with_extractor(Pixels, side=1)  # any 1- or 3-channel pictures; their mean colours
    monkeypatch.setattr("ganzoo.eval.evaluation.load_registry", lambda: registry)
    held = tmp_path / "held"
    assert main(["run", str(RECIPE), *FOLDER_QUICK, f"dataset.params={{path: {folder}, size: 8, held_out: 8}}",
                 "--out", str(held), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(held), "-n", "16", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == "image-folder" and report["test_images"] == 8  # the split the recipe records
    assert "held_out: 8" in (held / "recipe.yaml").read_text()

    plain = tmp_path / "plain"
    assert main(["run", str(RECIPE), *FOLDER_QUICK, f"dataset.params={{path: {folder}, size: 8}}",
                 "--out", str(plain), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(plain), "-n", "16", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds no reference set out" in err[0] and "--reference FOLDER" in err[0]
    other = colour_folder(tmp_path / "other", 12, seed=1)
    assert main(["eval", str(plain), "-n", "16", "--json", "--device", "cpu", "--reference", str(other)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["test_images"] == 12 and report["reference"] == str(other)


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory, mnist_root):
    from conftest import ROOT

    run_dir = tmp_path_factory.mktemp("runs") / "cgan"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        assert main(["run", str(ROOT / "recipes" / "cgan_mnist.yaml"), *QUICK, "train.epochs=1",
                     "train.batch_size=32", "dataset.params.limit=200", "generator.params.base_channels=8",
                     "discriminator.params.base_channels=8", "train.device=cpu", "--out", str(run_dir),
                     "--quiet"]) == 0
    return run_dir


def test_a_conditional_run_gets_per_class_fid_beside_real_vs_real(cgan_run, data_env, capsys):
    capsys.readouterr()
    assert main(["eval", str(cgan_run), "-n", "100", "--json", "--device", "cpu"]) == 0
    class_fid = json.loads(capsys.readouterr().out)["metrics"]["class_fid"]
    assert class_fid["better"] == "lower" and class_fid["metric"] == "fid"
    assert 0 <= class_fid["real_vs_real"] < class_fid["generated"]  # one untrained epoch is far from the digits
    assert "class_fid" in json.loads((cgan_run / "eval.json").read_text())["metrics"]


def test_per_class_fid_groups_the_scored_sample_by_the_label_each_image_was_drawn_with(cgan_run, data_env):
    """A generator that draws real digits of the asked class scores per class about as real digits do; one that
    draws the next class's digits makes the same digits overall (the same FID) but a far worse per-class FID."""
    import torch

    from ganzoo.data import DataSpec
    from ganzoo.eval.evaluation import EVAL_FIX, Evaluator, load_run_data
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.training import checkpoint

    registry = load_registry()
    state = checkpoint.load_checkpoint(cgan_run)
    recipe = checkpoint.recipe_of(state, registry)
    data = load_run_data(registry, recipe)
    evaluator = Evaluator(registry, recipe, data, fix=EVAL_FIX)
    by_class = [data.images[data.labels == k].float() / 127.5 - 1 for k in range(10)]

    class RealDigits(torch.nn.Module):
        conditional, latent_dim = True, 4

        def __init__(self, shift):
            super().__init__()
            self.shift, self.drawn = shift, [0] * 10
            self.device_of = torch.nn.Parameter(torch.zeros(1))  # samplers read the device from a parameter

        def forward(self, z, labels):
            out = []
            for label in labels.tolist():
                pool = by_class[(label + self.shift) % 10]
                out.append(pool[self.drawn[label] % len(pool)])
                self.drawn[label] += 1
            return torch.stack(out)

    spec = DataSpec.from_dict(state["data_spec"])
    right, right_classes = evaluator.score_generator_and_classes(RealDigits(0), spec, 100, 0)
    wrong, wrong_classes = evaluator.score_generator_and_classes(RealDigits(1), spec, 100, 0)
    wrong_by_class = wrong_classes["class_fid"]["value"]
    assert max(right["fid"]["value"], wrong["fid"]["value"]) < wrong_by_class / 10  # the same digits overall
    assert wrong_by_class > 30 * right_classes["class_fid"]["value"]
    assert right_classes["class_fid"]["value"] < 2 * right_classes["class_fid"]["real_vs_real"]


def test_an_unconditional_run_gets_no_per_class_fid(tiny_run, data_env, capsys):
    assert main(["eval", str(tiny_run), "-n", "64", "--json", "--device", "cpu"]) == 0
    assert "class_fid" not in json.loads(capsys.readouterr().out)["metrics"]


def test_a_gaussian_ring_run_is_scored_against_fresh_samples_of_the_true_mixture(tmp_path, capsys):
    from conftest import ROOT

    run_dir = tmp_path / "ring"
    assert main(["run", str(ROOT / "recipes" / "gaussians_ring.yaml"), "dataset.params.samples=1000",
                 "dataset.params.reference_samples=500",
                 "train.epochs=1", "train.batch_size=100", "train.log_every=5", "train.device=cpu",
                 "--out", str(run_dir), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run_dir), "-n", "300", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == "gaussians" and report["features"] == "points"
    assert report["test_images"] == 500  # fresh points of the mixture, never trained on
    metrics = report["metrics"]
    assert {"fid", "kid", "precision", "recall", "density", "coverage"} <= set(metrics)
    assert "mnist_score" not in metrics  # points have no classes to score
    assert metrics["fid"]["real_vs_real"] < 0.01 < metrics["fid"]["generated"]  # one epoch is far from the ring
    assert metrics["coverage"]["real_vs_real"] > metrics["coverage"]["generated"]
    # the mixture's own figures (VEEGAN's), in the same record: fresh real points cover every mode
    assert metrics["modes"]["metric"] == "figures" and metrics["modes"]["real_vs_real"] == 8 == metrics["modes_total"][
        "generated"]
    assert metrics["high_quality"]["real_vs_real"] > 0.9


def fashion_source(source):
    """The four .gz files of a tiny Fashion-MNIST (96 training and 40 test images), as the Debian package has them."""
    import gzip

    from idx import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, idx_bytes, synthetic_digits

    source.mkdir(parents=True)
    train, test = synthetic_digits(96, seed=3), synthetic_digits(40, seed=4)
    for name, array in ((TRAIN_IMAGES, train[0]), (TRAIN_LABELS, train[1]), (TEST_IMAGES, test[0]),
                        (TEST_LABELS, test[1])):
        (source / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
    return source


def test_a_packed_run_is_scored_against_a_reference_folder(tmp_path, capsys, monkeypatch):
    from packed_data import TRAIN, pack, write_folder

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no Inception weights: the plugin's is picked
    registry = registry_with_extractor(Pixels, side=1)
    monkeypatch.setattr("ganzoo.eval.evaluation.load_registry", lambda: registry)
    assert pack(write_folder(tmp_path / "images", per_class=16), tmp_path / "packed") == 0
    run_dir = tmp_path / "run"
    assert main(["run", str(RECIPE), *TRAIN, f"dataset.params.path={tmp_path / 'packed'}", "train.epochs=1",
                 "data.memory_budget_gb=0", "--out", str(run_dir), "--quiet"]) == 0  # streamed from the shards
    capsys.readouterr()
    assert main(["eval", str(run_dir), "-n", "16", "--device", "cpu"]) == 2
    assert "--reference FOLDER" in capsys.readouterr().err
    other = colour_folder(tmp_path / "other", 10, seed=2)
    assert main(["eval", str(run_dir), "-n", "16", "--json", "--device", "cpu", "--reference", str(other)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == "packed" and report["test_images"] == 10 and report["features"] == "pixels"


def test_a_packed_run_is_scored_against_its_seeded_held_out_split_which_training_never_reads(tmp_path, capsys,
                                                                                             monkeypatch):
    import torch

    from packed_data import TRAIN, pack, write_folder
    from ganzoo_zoo.packed import PackedParams, load_packed

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no Inception weights: the plugin's is picked
    registry = registry_with_extractor(Pixels, side=1)
    monkeypatch.setattr("ganzoo.eval.evaluation.load_registry", lambda: registry)
    assert pack(write_folder(tmp_path / "images", per_class=16), tmp_path / "packed") == 0
    whole = load_packed(PackedParams(path=str(tmp_path / "packed")))
    data = load_packed(PackedParams(path=str(tmp_path / "packed"), held_out=8, held_out_seed=3))
    again = load_packed(PackedParams(path=str(tmp_path / "packed"), held_out=8, held_out_seed=3))
    assert len(data.images) == 24 and len(data.held_out.images) == 8
    assert torch.equal(data.held_out.images, again.held_out.images)  # the seed draws the same split
    assert type(data.images).__name__ == "PackedImages"  # training still reads its rows from the shards
    rows = {bytes(image.numpy()) for image in whole.images.load()}
    trained, held = ({bytes(image.numpy()) for image in part} for part in (data.images.load(), data.held_out.images))
    assert trained | held == rows and not trained & held
    assert [int(label) for label in data.labels] + [int(label) for label in data.held_out.labels] != [] and \
        sorted(data.labels.tolist() + data.held_out.labels.tolist()) == sorted(whole.labels.tolist())

    run_dir = tmp_path / "run"
    assert main(["run", str(RECIPE), *TRAIN, f"dataset.params={{path: {tmp_path / 'packed'}, held_out: 8}}",
                 "train.epochs=1", "data.memory_budget_gb=0", "--out", str(run_dir), "--quiet"]) == 0  # streamed
    capsys.readouterr()
    assert "held_out: 8" in (run_dir / "recipe.yaml").read_text()  # the split is recorded in the run
    assert main(["eval", str(run_dir), "-n", "16", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == "packed" and report["test_images"] == 8 and report["features"] == "pixels"
    assert report["reference"] == "held out by the dataset" and "fid" in report["metrics"]
