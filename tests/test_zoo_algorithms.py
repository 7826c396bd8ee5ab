"""The zoo's ACGAN and InfoGAN: they train, resume exactly, check their models before the first
step, and InfoGAN's categorical code can be fixed with ``ganzoo sample --code``."""

import json
import warnings

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from conftest import QUICK, ROOT
from ganzoo import DataSpec, GanzooError, LossContext
from ganzoo.cli import main
from ganzoo.training.trainer import TrainingInterrupted
from ganzoo_zoo.acgan import ACGAN, ACGANParams
from ganzoo_zoo.infogan import InfoGAN, InfoGANParams
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import assert_same_run, final_weights, start, train

RECIPES = {name: ROOT / "recipes" / f"{name}_mnist.yaml" for name in ("acgan", "infogan")}
# 128 images / 32 = 4 steps an epoch, 2 epochs; logs every 3 steps so windows span epoch ends
TINY = [*QUICK, "train.batch_size=32", "dataset.params.limit=128", "train.device=cpu", "train.log_every=3",
        "generator.params.latent_dim=8", "generator.params.base_channels=8", "discriminator.params.base_channels=8"]
STEPS = 8
SCALARS = {"acgan": ("d_class", "g_class", "real_acc", "fake_acc"), "infogan": ("info", "code_acc")}
HEADS = {"acgan": "classify.", "infogan": "q_head."}  # the discriminator's weights only the algorithm trains


@pytest.fixture(autouse=True)
def keep_warnings(monkeypatch):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it


def run(name, run_dir, overrides=(), **kwargs):
    return train(run_dir, overrides, recipe=RECIPES[name], base=TINY, **kwargs)


@pytest.fixture(scope="module")
def infogan_run(mnist_root, tmp_path_factory):
    """An uninterrupted tiny InfoGAN run, for the tests that sample from it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        run_dir = tmp_path_factory.mktemp("infogan") / "run"
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            assert run("infogan", run_dir).steps_done == STEPS
        finally:
            torch.set_num_threads(threads)
    return run_dir


# ---------------------------------------------------------------- training and resume
@pytest.mark.parametrize("name", ["acgan", "infogan"])
def test_the_algorithm_trains_its_heads_and_logs_its_losses(name, data_env, tmp_path):
    trainer = start(tmp_path / "run", ["train.epochs=1"], recipe=RECIPES[name], base=TINY)
    D = trainer.models["discriminator"]
    heads = {key: value.clone() for key, value in D.state_dict().items() if key.startswith(HEADS[name])}
    trainer.fit()
    assert trainer.steps_done == STEPS // 2
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    for scalar in SCALARS[name]:
        assert all(np.isfinite(record[scalar]) for record in records), scalar
    # the adversarial loss never reads the heads: only the algorithm's terms train them
    assert heads and all(not torch.equal(value, D.state_dict()[key]) for key, value in heads.items())


@pytest.mark.parametrize("name", ["acgan", "infogan"])
def test_stop_and_resume_gives_the_uninterrupted_run(name, data_env, tmp_path):
    reference = tmp_path / "reference"
    run(name, reference)
    run_dir = tmp_path / "run"
    stopped = run(name, run_dir, stop_at=5)  # mid-epoch (4 steps each), between logs (every 3)
    assert isinstance(stopped, TrainingInterrupted) and stopped.steps_done == 5
    assert run(name, run_dir, resume=True).steps_done == STEPS
    assert_same_run(run_dir, reference)
    assert final_weights(run_dir).keys() == final_weights(reference).keys()


# ---------------------------------------------------------------- the losses the algorithms add
class Log:
    """Stands in for the trainer's TrainStep: keeps what the algorithm logs."""

    def __init__(self):
        self.logged = {}

    def log(self, **scalars):
        self.logged.update(scalars)


def test_acgan_adds_the_class_cross_entropy_on_real_and_fake():
    torch.manual_seed(0)
    labels = torch.tensor([0, 1, 2, 1])
    real, fake = torch.randn(4, 3), torch.randn(4, 3)
    ctx = LossContext(None, torch.zeros(4, 1), torch.zeros(4, 1), labels, real_extras={"class_logits": real},
                      fake_extras={"class_logits": fake})
    acgan, step = ACGAN(ACGANParams(class_weight=0.5)), Log()
    d_term = acgan.discriminator_terms(ctx, step)
    assert d_term.item() == pytest.approx(0.5 * (F.cross_entropy(real, labels) + F.cross_entropy(fake, labels)).item())
    assert step.logged["real_acc"].item() == (real.argmax(1) == labels).float().mean().item()
    g_term = acgan.generator_terms(ctx, step)
    assert g_term.item() == pytest.approx(0.5 * F.cross_entropy(fake, labels).item())
    assert step.logged["g_class"].item() == pytest.approx(F.cross_entropy(fake, labels).item())


def test_infogan_adds_the_codes_negative_log_likelihood():
    torch.manual_seed(0)
    codes = torch.tensor([3, 0, 1, 3])
    continuous = torch.rand(4, 2) * 2 - 1
    z = torch.cat([torch.randn(4, 5), F.one_hot(codes, 4).float(), continuous], 1)
    logits, values = torch.randn(4, 4), torch.randn(4, 2)
    ctx = LossContext(None, torch.zeros(4, 1), torch.zeros(4, 1), latent=z,
                      fake_extras={"code_logits": logits, "code_values": values})
    infogan = InfoGAN(InfoGANParams(info_weight=2.0, continuous_weight=0.1))
    infogan.categories, infogan.continuous = 4, 2  # what setup reads from the generator
    step = Log()
    expected = 2.0 * F.cross_entropy(logits, codes) + 0.1 * 0.5 * (values - continuous).pow(2).sum(1).mean()
    assert infogan.discriminator_terms(ctx, step).item() == pytest.approx(expected.item())
    assert infogan.generator_terms(ctx, step).item() == pytest.approx(expected.item())
    assert step.logged["code_acc"].item() == (logits.argmax(1) == codes).float().mean().item()


# ---------------------------------------------------------------- checked before the first step
def _fails(recipe, tmp_path, capsys, *overrides) -> str:
    capsys.readouterr()
    assert main(["run", str(RECIPES[recipe]), *TINY, *overrides, "--out", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and not (tmp_path / "run" / "checkpoints").exists()
    return err


def test_acgan_names_what_its_models_lack(data_env, tmp_path, capsys):
    err = _fails("acgan", tmp_path, capsys, "discriminator.params.class_head=false")
    assert "discriminator 'dcgan'" in err and "returns no 'class_logits'" in err
    assert err.endswith("discriminator.params.class_head=true)")
    err = _fails("acgan", tmp_path, capsys, "generator.params.conditional=false")
    assert "generator 'dcgan'" in err and "takes no labels" in err and "generator.params.conditional=true" in err


def test_acgan_needs_labels():
    with pytest.raises(GanzooError, match="acgan algorithm needs a dataset with class labels"):
        ACGAN().setup({"generator": None, "discriminator": None}, {}, DataSpec((1, 28, 28)))


def test_infogan_names_what_its_models_lack(data_env, tmp_path, capsys):
    err = _fails("infogan", tmp_path, capsys, "generator.params.code_categories=0", "generator.params.continuous_codes=0")
    assert "generator 'dcgan'" in err and "draws no latent codes" in err
    err = _fails("infogan", tmp_path, capsys, "discriminator.params.code_categories=0",
                 "discriminator.params.continuous_codes=0")
    assert "discriminator 'dcgan'" in err and "returns no 'code_logits'" in err
    err = _fails("infogan", tmp_path, capsys, "discriminator.params.code_categories=5")
    assert "returns 'code_logits' of shape (2, 5) for 2 images; the generator's codes need (2, 10)" in err


# ---------------------------------------------------------------- ganzoo sample --code
def test_sample_code_fixes_the_categorical_code(infogan_run, tmp_path, capsys):
    drawn = {}
    for code in (2, 7):
        out = tmp_path / f"code{code}.npz"
        assert main(["sample", str(infogan_run), "-n", "6", "--code", str(code), "--seed", "1", "--out", str(out)]) == 0
        drawn[code] = np.load(out)["images"]
        assert drawn[code].shape == (6, 28, 28) and drawn[code].dtype == np.uint8
    assert not np.array_equal(drawn[2], drawn[7])  # same noise, same continuous codes: the code changes the images
    again = tmp_path / "again.npz"
    assert main(["sample", str(infogan_run), "-n", "6", "--code", "2", "--seed", "1", "--out", str(again)]) == 0
    assert np.array_equal(np.load(again)["images"], drawn[2])


@pytest.mark.parametrize("code", ["10", "-1"])
def test_sample_code_out_of_range_is_one_line(infogan_run, tmp_path, capsys, code):
    capsys.readouterr()
    assert main(["sample", str(infogan_run), "--code", code, "--out", str(tmp_path / "x.npz")]) == 2
    assert capsys.readouterr().err.strip() == f"ganzoo: error: --code must be in 0..9, got {code}"
    assert not (tmp_path / "x.npz").exists()


def test_sample_code_needs_a_generator_with_a_code(data_env, tmp_path, capsys):
    run_dir = tmp_path / "run"
    run("acgan", run_dir, ["train.epochs=1"])
    capsys.readouterr()
    assert main(["sample", str(run_dir), "--code", "3", "--out", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--code needs a generator with a categorical latent code" in err
    assert main(["sample", str(run_dir), "-n", "4", "--label", "3", "--out", str(tmp_path / "threes.npz")]) == 0


def test_truncation_needs_a_standard_normal_latent(infogan_run, tmp_path, capsys):
    capsys.readouterr()
    assert main(["sample", str(infogan_run), "--truncation", "0.5", "--out", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("ganzoo: error: --truncation needs a generator whose latent is standard normal noise; this run's "
                   "generator draws its own latent (sample_latent: codes or another distribution)")
    assert not (tmp_path / "x.npz").exists()
