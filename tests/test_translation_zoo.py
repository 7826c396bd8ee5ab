"""The translation zoo's ten models on tiny MNIST tasks: each resumes after kill -9 to the uninterrupted
run, its own state included (ESRGAN's PSNR-stage model, CC-GAN's labelled digits), and those two train
in two processes what they train in one; the unpaired models (DiscoGAN, DualGAN, UNIT, MUNIT) train both
ways, DualGAN's generators step every d_steps-th step only, UNIT's b2a model is its one network read the
other way; translate and export serve the family as they serve CycleGAN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import ROOT
from ganzoo import GanzooError, cli
from ganzoo.training import checkpoint
from ganzoo.training.trainer import TrainingInterrupted
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import assert_same_run, logged, train, train_reference

ROLES = ("generator", "generator_b2a", "discriminator", "discriminator_a")
# 64 training digits (32 a domain) at batch 8: 4 steps an epoch, 2 epochs; 4-channel models
BASE = ["train.epochs=2", "train.batch_size=8", "train.device=cpu", "train.log_every=2", "output.grid_size=2",
        "dataset.params.limit=64", "dataset.params.test_limit=8",
        *(f"{role}.params.base_channels=4" for role in ROLES)]
TINY = {
    "discogan": BASE,
    "dualgan": [*BASE, "algorithm.params.d_steps=3"],
    "unit": [*BASE, *(f"{role}.params.residual_blocks=0" for role in ("generator", "generator_b2a"))],
    "munit": [*BASE, *(f"{role}.params.{key}" for role in ("generator", "generator_b2a")
                       for key in ("mlp_dim=8", "style_dim=3"))],
}


def run(name, run_dir, overrides=(), **kwargs):
    return train(run_dir, overrides, recipe=ROOT / "recipes" / f"{name}_mnist.yaml", base=TINY[name], **kwargs)


class References(dict):
    """The uninterrupted tiny run of each model of ZOO (below), trained when a test first asks for it."""

    def __init__(self, mnist_root, tmp_path_factory):
        super().__init__()
        self.mnist_root, self.tmp_path_factory = mnist_root, tmp_path_factory

    def __missing__(self, name):
        recipe, base = ZOO[name][:2]
        run_dir = self.tmp_path_factory.mktemp(name) / "run"
        train_reference(self.mnist_root, run_dir, recipe=ROOT / "recipes" / f"{recipe}.yaml", base=base)
        self[name] = run_dir
        return run_dir


@pytest.fixture(scope="module")
def runs(mnist_root, tmp_path_factory):
    """One uninterrupted tiny run of each model, by name."""
    return References(mnist_root, tmp_path_factory)


@pytest.mark.parametrize("name", list(TINY))
def test_ganzoo_eval_scores_both_directions_through_the_one_record(name, runs, data_env, capsys):
    import json

    state = checkpoint.load_checkpoint(runs[name])  # trained both ways
    assert state["step"] == 8 and state["directions"] == {"a2b": "generator", "b2a": "generator_b2a"}
    assert cli.main(["eval", str(runs[name]), "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "translation" and report["features"] == "mnist-classifier"
    for direction in ("a2b", "b2a"):  # the known transform's right answers, the classifier's classes and FID
        for metric in ("l1", "psnr", "ssim", "accuracy", "fid", "kid", "precision"):
            entry = report["metrics"][f"{direction}_{metric}"]
            assert entry["direction"] == direction and entry["better"] in ("lower", "higher")
            assert all(isinstance(entry[column], float) for column in ("generated", "real_vs_real", "baseline"))
    # 4 held-out pictures a domain: too few for density's k=5 manifolds, which is said, not a failed evaluation
    assert "need more than 5 images" in report["skipped"]["density_coverage"]
    assert not any(key.endswith(("_density", "_coverage")) for key in report["metrics"])


def test_evaluation_during_training_logs_what_ganzoo_eval_gives_for_the_same_checkpoint(data_env, tmp_path, capsys):
    import json

    run("discogan", tmp_path / "run", ["eval.every=2", "eval.n=10"])
    during = [row["eval"] for row in logged(tmp_path / "run") if "eval" in row]
    assert len(during) == 1  # after the last epoch
    assert cli.main(["eval", str(tmp_path / "run"), "-n", "10", "--json", "--device", "cpu"]) == 0
    after = json.loads(capsys.readouterr().out)["metrics"]
    assert during[0] == {key: entry["generated"] for key, entry in after.items()}


def test_dualgans_generators_step_every_d_steps_th_step_only(runs):
    logged_steps = [(row["step"], row.get("g_loss")) for row in logged(runs["dualgan"])]
    with_g = [step for step, g_loss in logged_steps if g_loss is not None]
    assert with_g == [4, 6]  # generator steps at steps 3 and 6 (d_steps=3): logged in the windows ending at 4 and 6


def test_units_b2a_model_is_its_network_read_the_other_way(runs):
    weights = checkpoint.load_checkpoint(runs["unit"])["models"]
    assert weights["generator"].keys() == weights["generator_b2a"].keys()
    assert all(torch.equal(weights["generator"][k], weights["generator_b2a"][k]) for k in weights["generator"])
    assert any(k.startswith("shared_encoder.") for k in weights["generator"])


def test_unit_refuses_another_network_or_a_copy_of_another_size(data_env, tmp_path):
    with pytest.raises(GanzooError, match="unit's generator_b2a must be the unit network"):
        run("unit", tmp_path / "a", ["generator_b2a.name=resnet", "generator_b2a.params={direction: b2a}"])
    with pytest.raises(GanzooError, match="give it the generator's params, with direction: b2a"):
        run("unit", tmp_path / "b", ["generator_b2a.params.base_channels=8"])


def test_translate_and_export_serve_both_directions(runs, tmp_path, capsys):
    from ganzoo.eval.translation_eval import load_translators

    pictures = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "in.npz", images=pictures)
    images = torch.from_numpy(pictures).float().div(127.5).sub(1).unsqueeze(1)
    for name in ("unit", "dualgan", "munit"):
        generators, _ = load_translators(checkpoint.load_checkpoint(runs[name]), registry_of(), "cpu")
        outputs = {}
        for direction in ("a2b", "b2a"):
            out = tmp_path / f"{name}-{direction}.npz"
            assert cli.main(["translate", str(runs[name]), str(tmp_path / "in.npz"), "--out", str(out),
                             "--direction", direction, "--device", "cpu"]) == 0
            outputs[direction] = np.load(out)["images"]
            with torch.no_grad():
                want = generators[direction](images)
            assert np.abs(outputs[direction].astype(int)
                          - want.add(1).mul(127.5).round().squeeze(1).numpy()).max() <= 1
            exported = tmp_path / f"{name}-{direction}.pt"
            assert cli.main(["export", str(runs[name]), "--direction", direction, "--out", str(exported)]) == 0
            with torch.no_grad():
                assert torch.allclose(torch.jit.load(str(exported))(images), want, atol=1e-5)
        assert not np.array_equal(outputs["a2b"], outputs["b2a"])
    capsys.readouterr()


def registry_of():
    from runs import registry

    return registry()


# ---------------------------------------------------------------- Context Encoder
# 16 digits at batch 8: 2 steps an epoch, 2 epochs
INPAINT = ["train.epochs=2", "train.batch_size=8", "train.device=cpu", "train.log_every=1", "output.grid_size=2",
           "dataset.params.limit=16", "dataset.params.test_limit=8", "generator.params.base_channels=4",
           "discriminator.params.base_channels=4"]


def test_the_inpainting_task_masks_the_centre_with_the_training_mean(data_env):
    from ganzoo_translation_zoo.inpainting import MNISTInpaintParams, load_mnist_inpaint

    data = load_mnist_inpaint(MNISTInpaintParams(limit=32, test_limit=8, mask_size=10))
    assert data.two_sided.paired and data.held_out.images.shape == (8, 1, 28, 28)
    for side in (data, data.held_out):
        outside = torch.ones(28, 28, dtype=torch.bool)
        outside[9:19, 9:19] = False
        assert torch.equal(side.images[..., outside], side.two_sided.targets[..., outside])
        mean = data.two_sided.targets.mean(0)  # the training digits' mean, for the held-out digits too
        assert torch.equal(side.images[..., 9:19, 9:19], mean[..., 9:19, 9:19].expand(len(side.images), -1, -1, -1))
        assert side.two_sided.target_region == (9, 9, 10, 10)  # the square ganzoo eval scores alone


def test_the_context_encoder_changes_only_its_square(data_env):
    from ganzoo_translation_zoo.inpainting import ContextEncoderParams, make_context_encoder

    spec = ganzoo_spec()
    generator = make_context_encoder(ContextEncoderParams(mask_size=6, base_channels=4), spec).eval()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        y = generator(x)
    changed = (y != x).any(0)[0]
    assert changed[11:17, 11:17].all() and changed.sum() == 36


def ganzoo_spec():
    from ganzoo import DataSpec

    return DataSpec(image_shape=(1, 28, 28), num_classes=10, target_shape=(1, 28, 28), paired=True)


def test_context_encoder_trains_and_refuses_a_square_unlike_the_datasets(runs, data_env, tmp_path):
    trained = runs["context_encoder"]
    assert checkpoint.load_checkpoint(trained)["step"] == 4
    assert all(row.get("g_square_mse") is not None for row in logged(trained))
    with pytest.raises(GanzooError, match="differ from their targets outside it; give the generator the dataset's"):
        train(tmp_path / "bad", ["generator.params.mask_size=10"],
              recipe=ROOT / "recipes" / "context_encoder_mnist.yaml", base=INPAINT)



def test_ganzoo_eval_scores_the_filled_square_beside_the_mean_fill(runs, data_env, capsys):
    import json
    import math

    from ganzoo_metrics.pairs import PSNR_CAP

    assert cli.main(["eval", str(runs["context_encoder"]), "--json", "--device", "cpu"]) == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    for name in ("l1", "psnr", "ssim"):
        entry = metrics[f"a2b_{name}_region"]
        assert entry["metric"] == name and entry["direction"] == "a2b"
        assert entry["better"] == metrics[f"a2b_{name}"]["better"]
        assert all(isinstance(entry[column], float) for column in ("generated", "baseline", "real_vs_real"))
    assert metrics["a2b_psnr_region"]["real_vs_real"] == PSNR_CAP
    for column in ("generated", "baseline"):  # outside the 14x14 square both copy the input: 6.02 dB apart
        whole, square = metrics["a2b_psnr"][column], metrics["a2b_psnr_region"][column]
        assert square == pytest.approx(whole - 10 * math.log10(784 / 196), abs=1e-6)

# ---------------------------------------------------------------- BicycleGAN
BICYCLE = ["train.epochs=2", "train.batch_size=8", "train.device=cpu", "train.log_every=2", "output.grid_size=2",
           "dataset.params.limit=24", "dataset.params.test_limit=8", "generator.params.latent_dim=3",
           *(f"{role}.params.base_channels=4" for role in ("generator", "encoder", "discriminator", "discriminator_lr"))]


def test_bicyclegan_draws_many_outputs_and_translates_at_z_0(runs):
    from ganzoo.eval.translation_eval import load_translators

    generator = load_translators(checkpoint.load_checkpoint(runs["bicyclegan"]), registry_of(), "cpu")[0]["a2b"]
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        assert torch.equal(generator(x), generator(x, torch.zeros(4, 3)))  # translate/eval/export: z = 0
        assert not torch.allclose(generator(x, torch.randn(4, 3)), generator(x, torch.randn(4, 3)))


def test_bicyclegan_refuses_an_encoder_of_another_code_size(data_env, tmp_path):
    with pytest.raises(GanzooError, match="encoder makes codes of 5 but the generator takes 3"):
        train(tmp_path / "run", ["encoder.params.latent_dim=5"], recipe=ROOT / "recipes" / "bicyclegan_edges_mnist.yaml",
              base=BICYCLE)


# ---------------------------------------------------------------- ESRGAN
ESRGAN = ["train.epochs=2", "train.batch_size=8", "train.device=cpu", "train.log_every=1", "output.grid_size=2",
          "dataset.params.limit=16", "dataset.params.test_limit=4", "algorithm.params.psnr_steps=1",
          "generator.params.channels=4", "generator.params.growth=4", "generator.params.blocks=1",
          "discriminator.params.base_channels=4",
          # no batch statistics, so two processes train what one does; SGD: the relativistic loss cancels the bias
          # of D's last layer, whose gradient is then rounding noise, which Adam would scale up to lr-sized steps
          "discriminator.params.norm=instance", "optimizers.discriminator={name: sgd, lr: 0.05}"]


def test_esrgan_keeps_its_psnr_model_and_interpolates(runs, tmp_path):
    from ganzoo_translation_zoo.esrgan import interpolated

    state = checkpoint.load_checkpoint(runs["esrgan"])
    weights, psnr = state["models"]["generator"], state["algorithm"]["psnr_weights"]
    assert torch.equal(interpolated(weights, state["algorithm"], 1.0)["head.weight"], psnr["head.weight"])
    assert torch.equal(interpolated(weights, state["algorithm"], 0.0)["head.weight"], weights["head.weight"])
    assert not torch.equal(psnr["head.weight"], weights["head.weight"])  # the GAN stage moved on from it
    rows = logged(runs["esrgan"])
    assert rows[0].get("g_loss") is None and rows[-1].get("g_loss") is not None  # L1 alone, then the GAN
    ort = pytest.importorskip("onnxruntime")  # the bicubic skip's atanh is written out: ONNX has none
    assert cli.main(["export", str(runs["esrgan"]), "--out", str(tmp_path / "g.onnx")]) == 0
    from ganzoo.eval.translation_eval import load_translators

    generator = load_translators(state, registry_of(), "cpu")[0]["a2b"]
    x = torch.rand(3, 1, 7, 7, generator=torch.Generator().manual_seed(0)) * 2 - 1
    session = ort.InferenceSession(str(tmp_path / "g.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        assert np.allclose(session.run(["outputs"], {"images": x.numpy()})[0], generator(x).numpy(), atol=1e-5)


def test_the_rrdb_generator_upsamples_by_powers_of_2_only():
    from ganzoo import DataSpec
    from ganzoo_translation_zoo.esrgan import RRDBGeneratorParams, make_rrdb_generator

    generator = make_rrdb_generator(RRDBGeneratorParams(channels=4, growth=4, blocks=1),
                                    DataSpec(image_shape=(1, 7, 7), target_shape=(1, 28, 28), paired=True))
    assert generator(torch.zeros(2, 1, 7, 7)).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="upsamples by a power of 2"):
        make_rrdb_generator(RRDBGeneratorParams(), DataSpec(image_shape=(1, 4, 4), target_shape=(1, 28, 28),
                                                            paired=True))


def test_the_inpainting_folder_holds_out_its_last_tenth_and_masks_with_the_training_mean(tmp_path):
    from PIL import Image

    from ganzoo_translation_zoo.inpainting import InpaintFolderParams, load_inpaint_folder

    for i in range(10):
        Image.new("RGB", (20, 12), (i * 20, 40, 200)).save(tmp_path / f"{i:02d}.png")
    data = load_inpaint_folder(InpaintFolderParams(path=str(tmp_path), size=8, mask_size=4))
    assert data.images.shape == (9, 3, 8, 8) and data.held_out.two_sided.targets.shape == (1, 3, 8, 8)
    mean = data.two_sided.targets.mean(0)
    assert torch.equal(data.held_out.images[0, :, 2:6, 2:6], mean[:, 2:6, 2:6])
    assert torch.equal(data.held_out.images[0, :, :2], data.held_out.two_sided.targets[0, :, :2])
    assert data.two_sided.target_region == data.held_out.two_sided.target_region == (2, 2, 4, 4)  # scored alone


@pytest.mark.parametrize("make, message", [
    (lambda root: root / "nowhere", "inpainting folder '.*nowhere' not found"),
    (lambda root: root, "holds no .png or .jpg pictures; expected a folder of pictures, or train/ and test/"),
    (lambda root: (root / "train").mkdir() or root, "train' holds no .png or .jpg pictures"),
])
def test_an_inpainting_folder_without_pictures_gets_one_line_and_exit_2(tmp_path, capsys, make, message):
    import re

    root = make(_made(tmp_path / "pictures"))
    code = cli.main(["run", "context_encoder_folder", f"dataset.params.path={root}", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and re.search(message, err[0]), err
    assert not (tmp_path / "run").exists()


def _made(folder):
    folder.mkdir()
    return folder


# ---------------------------------------------------------------- which update trains what
G2, D2 = ("generator", "generator_b2a"), ("discriminator", "discriminator_a")


@pytest.mark.parametrize("recipe, overrides, shapes, expected", [
    ("discogan_mnist", [], ((1, 28, 28), False), [G2, D2]),
    ("dualgan_mnist", ["algorithm.params.d_steps=1"], ((1, 28, 28), False), [D2, G2]),
    ("unit_mnist", [], ((1, 28, 28), False), [("generator",), D2]),
    ("context_encoder_mnist", [], ((1, 28, 28), True), [("discriminator",), ("generator",)]),
    ("bicyclegan_edges_mnist", [], ((1, 28, 28), True),
     [("generator", "encoder"), ("generator",), ("discriminator", "discriminator_lr")]),
    ("esrgan_mnist", ["algorithm.params.psnr_steps=0"], ((1, 7, 7), True), [("discriminator",), ("generator",)]),
], ids=lambda value: value.split("_mnist")[0] if isinstance(value, str) else None)
def test_each_update_reaches_only_the_models_it_steps(recipe, overrides, shapes, expected):
    from ganzoo import Batch, DataSpec
    from ganzoo.assembly import build_losses, build_models
    from ganzoo.recipe import load_recipe
    from test_classics import RecordingStep

    (image_shape, paired), registry = shapes, registry_of()
    loaded = load_recipe(ROOT / "recipes" / f"{recipe}.yaml", list(overrides), registry)
    spec = DataSpec(image_shape, num_classes=10, target_shape=(1, 28, 28), paired=paired)
    algorithm = registry.get("algorithm", loaded.config.algorithm.name).factory(loaded.params["algorithm"])
    models, losses = build_models(loaded, spec, torch.device("cpu")), build_losses(loaded)
    algorithm.setup(models, losses, spec)
    step = RecordingStep(models, losses)
    torch.manual_seed(0)
    targets = torch.rand(4, 1, 28, 28) * 2 - 1
    images = torch.rand(4, *image_shape) * 2 - 1
    if image_shape == (1, 28, 28):  # inputs that agree with their targets outside the centre (inpainting)
        images = targets.clone()
        images[..., 7:21, 7:21] = 0
    algorithm.train_step(Batch(images, torch.arange(4), targets), step)
    assert [roles for roles, _ in step.updates] == [set(roles) for roles in expected]
    for roles, reached in step.updates:
        assert reached == roles, f"the update of {sorted(roles)} reached {sorted(reached)}"


# ---------------------------------------------------------------- StarGAN
STARGAN = ["train.epochs=2", "train.batch_size=8", "train.device=cpu", "train.log_every=2", "output.grid_size=2",
           "dataset.params.limit=24", "dataset.params.test_limit=8", "algorithm.params.d_steps=2",
           "generator.params.base_channels=4", "generator.params.residual_blocks=1",
           "discriminator.params.base_channels=4"]


def test_the_domains_task_draws_each_digit_in_a_seeded_domain(data_env):
    from ganzoo_translation.mnist_tasks import read_split
    from ganzoo_translation_zoo.stargan import MNIST_DOMAINS, MNISTDomainsParams, load_mnist_domains

    data = load_mnist_domains(MNISTDomainsParams(limit=60, test_limit=8, target_domain="inverted"))
    again = load_mnist_domains(MNISTDomainsParams(limit=60, test_limit=8, target_domain="inverted"))
    assert data.num_classes == 6 and torch.equal(data.labels, again.labels) and torch.equal(data.images, again.images)
    assert set(data.labels.tolist()) == set(range(6)) and data.two_sided.paired
    digits = read_split(__import__("pathlib").Path(data.source.root), "train", 60)[0]
    assert torch.equal(data.two_sided.targets, -digits)  # the other side: every digit in target_domain
    ink = {name: (data.images[data.labels == i] > 0).float().mean().item() for i, name in enumerate(MNIST_DOMAINS)}
    assert ink["thin"] < ink["plain"] < ink["thick"] and ink["inverted"] > 0.5 > ink["outlined"]
    rotated = data.labels == MNIST_DOMAINS.index("rotated")
    assert torch.equal(data.images[rotated], torch.rot90(digits[rotated], 1, dims=(-2, -1)))


def test_stargan_translates_into_the_asked_domain(runs, tmp_path, capsys):
    from ganzoo.eval.translation_eval import load_translators

    whole = runs["stargan"]
    generator_steps = [row["step"] for row in logged(whole) if row.get("g_domain") is not None]
    assert generator_steps == [2, 4, 6]  # every d_steps-th step (2): read as the asked domain
    # the recipe's identity term: the generator carries each picture through into its own domain
    assert [row["step"] for row in logged(whole) if row.get("identity") is not None] == [2, 4, 6]

    pictures = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "in.npz", images=pictures)
    images = torch.from_numpy(pictures).float().div(127.5).sub(1).unsqueeze(1)
    generator = load_translators(checkpoint.load_checkpoint(whole), registry_of(), "cpu")[0]["a2b"]
    outputs = {}
    for domain in ("thin", "outlined", None):
        out = tmp_path / f"{domain}.npz"
        assert cli.main(["translate", str(whole), str(tmp_path / "in.npz"), "--out", str(out),
                         "--device", "cpu", *(["--domain", domain] if domain else [])]) == 0
        outputs[domain] = np.load(out)["images"].astype(int)
        index = generator.domains.index(domain or "thick")  # no --domain: the recipe's target domain
        with torch.no_grad():
            want = generator(images, torch.full((3,), index)).add(1).mul(127.5).round().squeeze(1).numpy()
        assert np.abs(outputs[domain] - want).max() <= 1
    assert not np.array_equal(outputs["thin"], outputs["outlined"])
    assert cli.main(["translate", str(whole), str(tmp_path / "in.npz"), "--out", str(tmp_path / "x.npz"),
                     "--domain", "blurred"]) == 2
    assert capsys.readouterr().err.strip().endswith("this run's domains are plain, thin, thick, outlined")
    from ganzoo import translation

    with pytest.raises(GanzooError, match="translates into one domain only; leave --domain out"):
        translation.into_domain(torch.nn.Conv2d(1, 1, 1), "inverted")
    assert cli.main(["export", str(whole), "--out", str(tmp_path / "g.pt")]) == 0
    with torch.no_grad():
        assert torch.allclose(torch.jit.load(str(tmp_path / "g.pt"))(images), generator(images), atol=1e-5)
    capsys.readouterr()


def _domain_folders(root, names, count=3, size=(10, 8)):
    from PIL import Image

    for k, name in enumerate(names):
        (root / name).mkdir(parents=True)
        for i in range(count):
            Image.new("RGB", size, (i * 20, 40 * k, 200)).save(root / name / f"{i:02d}.png")
    return root


def test_the_domains_folder_labels_each_named_subfolder_and_holds_out_the_last_of_each(tmp_path):
    from ganzoo_translation_zoo.stargan import DomainsFolderParams, load_domains_folder

    root = _domain_folders(tmp_path / "pictures", ("summer", "winter", "autumn"))
    data = load_domains_folder(DomainsFolderParams(path=str(root), domains=["winter", "summer"], size=8,
                                                   target_domain="summer"))
    assert data.num_classes == 2 and data.labels.tolist() == [0, 0, 1, 1] and data.held_out.labels.tolist() == [0, 1]
    assert data.images.shape == (4, 3, 8, 8) and not data.two_sided.paired
    assert torch.equal(data.two_sided.targets, data.images[[2, 3, 2, 3]])  # summer's, repeated: an epoch reads every picture


@pytest.mark.parametrize("domains, make, message", [
    ("[summer,winter]", lambda root: root / "nowhere", "domains folder '.*nowhere' not found"),
    ("[]", lambda root: root, r"name the domains, .*dataset.params.domains=\[summer,winter\]"),
    ("[summer,spring]", lambda root: root, "spring' holds no .png or .jpg pictures; each domain named in"),
    ("[summer,summer]", lambda root: root, "at least two different domains"),
])
def test_a_wrong_domains_folder_gets_one_line_and_exit_2(tmp_path, capsys, domains, make, message):
    import re

    root = make(_domain_folders(tmp_path / "pictures", ("summer", "winter")))
    code = cli.main(["run", str(ROOT / "recipes" / "stargan_folder.yaml"),
                     f"dataset.params.path={root}", f"dataset.params.domains={domains}", "--out",
                     str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and re.search(message, err[0]), err
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- CC-GAN
CCGAN = ["train.epochs=2", "train.batch_size=8", "train.device=cpu", "train.log_every=2", "output.grid_size=2",
         "dataset.params.limit=24", "dataset.params.test_limit=8", "algorithm.params.labelled=10",
         "generator.params.base_channels=4", "discriminator.params.channels=[4,8,8]",
         # no batch statistics, no dropout or noise drawn in each process: two processes train what one does
         "generator.params.norm=instance", "discriminator.params.dropout=0", "discriminator.params.noise=0"]


def test_ccgan_keeps_its_few_labelled_whole_digits(runs, data_env, tmp_path):
    trained = runs["ccgan"]
    state = checkpoint.load_checkpoint(trained)
    kept, labels = state["algorithm"]["images"], state["algorithm"]["labels"]
    assert len(kept) == 10 == len(set(labels.tolist()))  # one of each digit: labelled=10
    from ganzoo_translation_zoo.inpainting import MNISTInpaintParams, load_mnist_inpaint

    data = load_mnist_inpaint(MNISTInpaintParams(limit=24, test_limit=8))
    whole = data.two_sided.targets.float().div(127.5).sub(1) if data.two_sided.targets.dtype == torch.uint8 else data.two_sided.targets
    assert all((whole - picture).abs().flatten(1).amax(1).min() < 1e-6 for picture in kept)  # whole, not masked
    assert all(row.get("class_acc") is not None for row in logged(trained))
    from ganzoo.eval.translation_eval import load_translators

    generator = load_translators(state, registry_of(), "cpu")[0]["a2b"]
    assert cli.main(["export", str(trained), "--out", str(tmp_path / "g.pt")]) == 0
    masked = data.held_out.images[:3].float().div(127.5).sub(1) if data.held_out.images.dtype == torch.uint8 \
        else data.held_out.images[:3]
    with torch.no_grad():
        assert torch.allclose(torch.jit.load(str(tmp_path / "g.pt"))(masked), generator(masked), atol=1e-5)


def test_munit_draws_many_styles_and_translate_takes_a_reference_pictures_style(runs, tmp_path, capsys):
    from PIL import Image

    from ganzoo.eval.translation_eval import load_translators

    generator = load_translators(checkpoint.load_checkpoint(runs["munit"]), registry_of(), "cpu")[0]["a2b"]
    pictures = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "in.npz", images=pictures)
    images = torch.from_numpy(pictures).float().div(127.5).sub(1).unsqueeze(1)
    reference = np.random.default_rng(1).integers(0, 256, (28, 28), dtype=np.uint8)
    Image.fromarray(reference).save(tmp_path / "ref.png")
    with torch.no_grad():
        assert torch.equal(generator(images), generator(images, torch.zeros(3, 3)))  # translate/eval/export: style 0
        assert not torch.allclose(generator(images, torch.randn(3, 3)), generator(images, torch.randn(3, 3)))
        style = generator.reference_style(torch.from_numpy(reference).float().div(127.5).sub(1)[None, None])
        want = generator(images, style.expand(3, -1)).add(1).mul(127.5).round().squeeze(1).numpy()
    out = tmp_path / "styled.npz"
    assert cli.main(["translate", str(runs["munit"]), str(tmp_path / "in.npz"), "--out", str(out),
                     "--reference", str(tmp_path / "ref.png"), "--device", "cpu"]) == 0
    assert np.abs(np.load(out)["images"].astype(int) - want).max() <= 1
    Image.fromarray(reference[:20, :20]).save(tmp_path / "small.png")
    for run, reference_picture, message in ((runs["unit"], "ref.png", "takes no style from a picture"),
                                            (runs["munit"], "small.png", "outputs are grey 28x28: give a picture")):
        assert cli.main(["translate", str(run), str(tmp_path / "in.npz"), "--out", str(tmp_path / "x.npz"),
                         "--reference", str(tmp_path / reference_picture)]) == 2
        assert message in capsys.readouterr().err


# ---------------------------------------------------------------- PixelDA
PIXELDA = ["train.epochs=2", "train.batch_size=8", "train.device=cpu", "train.log_every=2", "output.grid_size=2",
           "dataset.params.limit=48", "dataset.params.test_limit=8", "generator.params.base_channels=4",
           "generator.params.residual_blocks=1", "classifier.params.base_channels=4",
           "discriminator.params.base_channels=4"]


def test_the_colour_task_draws_other_digits_over_seeded_coloured_backgrounds(data_env):
    from ganzoo_translation_zoo.pixelda import MNISTColourParams, load_mnist_colour

    data, again = (load_mnist_colour(MNISTColourParams(limit=40, test_limit=8)) for _ in range(2))
    assert data.images.shape == (20, 3, 28, 28) and data.two_sided.targets.shape == (20, 3, 28, 28) and not data.two_sided.paired
    assert torch.equal(data.images[:, 0], data.images[:, 2])  # the source: grey
    assert torch.equal(data.two_sided.targets, again.two_sided.targets)  # seeded
    corners = data.two_sided.targets[:, :, 0, 0]  # the background: coloured, one colour per picture
    assert (corners.amax(1) - corners.amin(1)).mean() > 0.2 and corners.std(0).mean() > 0.2
    assert data.two_sided.target_labels is not None and data.held_out.two_sided.targets.shape == (4, 3, 28, 28)
    # the classifier's view of either side takes the colour off again: the grey digit, white on black
    view = data.two_sided.classifier_view
    assert view["b"](data.two_sided.targets.float()).shape == (20, 1, 28, 28) and data.pictures_of == "mnist"
    from ganzoo_translation_zoo.pixelda import coloured

    strokes = -torch.ones(6, 1, 28, 28)  # white bars on black, as MNIST's digits are
    for i in range(6):
        strokes[i, :, 4 + 3 * i:10 + 3 * i, 6:20] = 1.0
    assert (view["a"](strokes.expand(-1, 3, -1, -1)) - strokes).abs().max() < 0.02  # grey: as it was
    taken_off = view["b"](coloured(strokes, torch.Generator().manual_seed(1)))
    own, other = ((taken_off - bars).abs().mean((1, 2, 3)) for bars in (strokes, strokes.roll(3, 0)))
    assert (own < other).all() and own.mean() < 0.75 * other.mean()  # each reads as its own bar (the texture stays as noise)


def test_pixelda_is_scored_and_translates_at_z_0(runs, data_env, tmp_path, capsys):
    import json

    from ganzoo.eval.translation_eval import load_translators

    whole = runs["pixelda"]
    state = checkpoint.load_checkpoint(whole)
    assert "classifier" in state["models"] and all(row.get("task") is not None for row in logged(whole))
    generator = load_translators(state, registry_of(), "cpu")[0]["a2b"]
    # ganzoo eval reads the adapted digits with the MNIST classifier, through the task's de-colouring view
    assert cli.main(["eval", str(whole), "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["features"] == "mnist-classifier"
    for metric in ("accuracy", "fid"):
        assert isinstance(report["metrics"][f"a2b_{metric}"]["generated"], float)
        assert isinstance(report["metrics"][f"a2b_{metric}"]["baseline"], float)
    x = torch.rand(3, 3, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert cli.main(["export", str(whole), "--out", str(tmp_path / "g.pt")]) == 0
    with torch.no_grad():
        assert torch.equal(generator(x), generator(x, torch.zeros(3, 10)))  # translate/eval/export: z = 0
        assert torch.allclose(torch.jit.load(str(tmp_path / "g.pt"))(x), generator(x), atol=1e-5)


def test_the_pixelda_classifier_reads_where_the_strokes_are(mnist_root):
    """The test digits' label is the row of their bar: a classifier that pools its features away reads them at
    chance (the pooled CNN read 47% of MNIST's test digits)."""
    from ganzoo import DataSpec
    from ganzoo_translation.mnist_tasks import read_split
    from ganzoo_translation_zoo.pixelda import PixelDAClassifierParams, make_pixelda_classifier

    torch.manual_seed(0)
    classifier = make_pixelda_classifier(PixelDAClassifierParams(base_channels=8),
                                         DataSpec((3, 28, 28), num_classes=10, target_shape=(3, 28, 28)))
    optimizer = torch.optim.Adam(classifier.parameters(), 2e-3)
    (images, labels), (test, test_labels) = (read_split(mnist_root, split, 256) for split in ("train", "test"))
    for rows in torch.randperm(len(images), generator=torch.Generator().manual_seed(0)).split(32):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(classifier(images[rows].expand(-1, 3, -1, -1)), labels[rows]).backward()
        optimizer.step()
    with torch.no_grad():
        assert (classifier(test.expand(-1, 3, -1, -1)).argmax(1) == test_labels).float().mean() > 0.9


def test_pixelda_classifies_the_sources_too_only_when_they_have_the_targets_channels():
    from ganzoo import DataSpec
    from ganzoo_translation_zoo.pixelda import (PixelDA, PixelDAGeneratorParams, PixelDAParams,
                                                make_pixelda_generator)

    spec = DataSpec((1, 28, 28), num_classes=10, target_shape=(3, 28, 28))  # grey sources, coloured targets
    models = {"generator": make_pixelda_generator(PixelDAGeneratorParams(base_channels=4, residual_blocks=0), spec),
              "discriminator": torch.nn.Identity()}
    with pytest.raises(GanzooError, match="source_task=false"):
        PixelDA().setup(models, {}, spec)
    PixelDA(PixelDAParams(source_task=False)).setup(models, {}, spec)  # the adapted pictures alone


# ---------------------------------------------------------------- kill -9, and two processes
#: name -> (recipe, tiny overrides, a logged step mid-epoch 2, the last step of epoch 1)
ZOO = {
    **{name: (f"{name}_mnist", TINY[name], 6, 4) for name in TINY},  # 4 steps an epoch, a log every 2
    "context_encoder": ("context_encoder_mnist", INPAINT, 3, 2),  # 2 steps an epoch, a log every step
    "bicyclegan": ("bicyclegan_edges_mnist", BICYCLE, 4, 3),  # 3 steps an epoch, a log every 2
    "esrgan": ("esrgan_mnist", ESRGAN, 3, 2),  # 2 steps an epoch (the PSNR stage: step 1), a log every step
    "stargan": ("stargan_mnist", STARGAN, 4, 3),
    "ccgan": ("ccgan_mnist", CCGAN, 4, 3),
    "pixelda": ("pixelda_mnist", PIXELDA, 4, 3),
}
#: the models that keep state of their own in checkpoints (their "algorithm" entry), and a key of it
OWN_STATE = {"esrgan": "psnr_weights", "ccgan": "labels"}


def assert_same_state(got, want, where="", atol=0.0):
    """Nested state (dicts, lists, tensors, numbers) equal; tensors to ``atol`` where it is given."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), where
        for key in want:
            assert_same_state(got[key], want[key], f"{where}.{key}", atol)
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), where
        for index, (a, b) in enumerate(zip(got, want)):
            assert_same_state(a, b, f"{where}[{index}]", atol)
    elif isinstance(want, torch.Tensor):
        same = torch.equal(got, want) if not atol or not want.is_floating_point() else \
            torch.allclose(got, want, rtol=0, atol=atol)
        assert same, f"{where} differs" + (f" by {(got - want).abs().max().item():.3g}" if got.shape == want.shape
                                            and want.is_floating_point() else "")
    else:
        assert got == want, where


@pytest.mark.parametrize("name", list(ZOO))
def test_after_kill_9_each_resumes_to_the_uninterrupted_run(name, runs, data_env, tmp_path):
    """What kill -9 just after the log of a step mid-epoch 2 leaves: the checkpoint of epoch 1's end, and
    metrics logged after it (tests/test_resume.py kills a real process once for every run)."""
    recipe, base, killed_after, epoch_end = ZOO[name]
    recipe = dict(recipe=ROOT / "recipes" / f"{recipe}.yaml", base=base)
    run_dir = tmp_path / "run"
    assert isinstance(train(run_dir, stop_at=killed_after, **recipe), TrainingInterrupted)
    checkpoint.checkpoint_path(run_dir, killed_after).unlink()  # as if killed before it was written
    assert checkpoint.list_checkpoints(run_dir)[-1] == checkpoint.checkpoint_path(run_dir, epoch_end)
    assert logged(run_dir)[-1]["step"] == killed_after
    own = checkpoint.load_checkpoint(run_dir)["algorithm"]
    assert bool(own) == (name in OWN_STATE) and (name not in OWN_STATE or len(own[OWN_STATE[name]]))
    train(run_dir, resume=True, **recipe)
    assert_same_run(run_dir, runs[name])
    assert_same_state(checkpoint.load_checkpoint(run_dir)["algorithm"],
                      checkpoint.load_checkpoint(runs[name])["algorithm"], "algorithm")


def _rank(rank, port, run_dir, recipe, base):
    """One of the two processes `ganzoo run --nproc 2` starts, forked from this one (no re-import)."""
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2", RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    assert cli.main(["run", recipe, *base, "--out", run_dir, "--quiet"]) == 0


@pytest.mark.parametrize("name", list(OWN_STATE))
def test_those_with_state_of_their_own_train_in_two_processes_what_they_train_in_one(name, runs, data_env,
                                                                                      tmp_path):
    """ESRGAN's PSNR-stage model and CC-GAN's labelled digits (gathered from every process's share), and the
    weights and losses, as `ganzoo run --nproc 2` trains them: its two processes, forked as it starts them."""
    import socket

    import torch.multiprocessing as mp

    recipe, base = ZOO[name][:2]
    one = runs[name]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.start_processes(_rank, args=(port, str(tmp_path / "two"), str(ROOT / "recipes" / f"{recipe}.yaml"), base),
                       nprocs=2, start_method="fork")
    got, want = logged(tmp_path / "two"), logged(one)  # to rounding: the shares' sums add up in another order
    assert [row.keys() for row in got] == [row.keys() for row in want]
    for a, b in zip(got, want):
        for key, value in b.items():
            assert a[key] == (pytest.approx(value, abs=1e-4) if isinstance(value, float) else value), (a["step"], key)
    two, one = checkpoint.load_checkpoint(tmp_path / "two"), checkpoint.load_checkpoint(one)
    # 7e-7 apart here; ESRGAN's relativistic loss, while it read each process's share against its own share's
    # mean, left them 4e-5 apart
    assert_same_state(two["models"], one["models"], "models", atol=5e-6)
    assert_same_state(two["algorithm"], one["algorithm"], "algorithm", atol=5e-6)
