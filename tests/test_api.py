"""The Python API: ganzoo.train is `ganzoo run`, ganzoo.load(...).sample is `ganzoo sample`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

import ganzoo
from conftest import RECIPE
from ganzoo import cli
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import EPOCHS, STEPS_PER_EPOCH, TINY, final_weights, logged, registry

TWO_EPOCHS = [*TINY, "train.epochs=2"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_root):
    """One tiny run trained through the API (shared: training is the slow part)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        run_dir = ganzoo.train(RECIPE, TWO_EPOCHS, out=tmp_path_factory.mktemp("api") / "run", registry=registry())
    return run_dir


def test_train_from_python_is_ganzoo_run(trained, data_env, tmp_path):
    assert cli.main(["run", str(RECIPE), *TWO_EPOCHS, "--quiet", "--out", str(tmp_path / "cli")]) == 0
    want = final_weights(tmp_path / "cli")
    got = final_weights(trained)
    assert got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in want)
    assert logged(trained) == logged(tmp_path / "cli")


def test_a_recipe_mapping_or_object_trains_the_same(trained, data_env, tmp_path):
    document = OmegaConf.to_container(OmegaConf.load(RECIPE))
    document["name"] = "vanilla_mnist"
    recipe = ganzoo.make_recipe(document, TWO_EPOCHS, registry=registry())
    run_dir = ganzoo.train(recipe, out=tmp_path / "object", registry=registry())
    want = final_weights(trained)
    assert all(torch.equal(value, want[key]) for key, value in final_weights(run_dir).items())


def test_load_samples_what_ganzoo_sample_writes(trained, tmp_path):
    run = ganzoo.load(trained, registry=registry())
    assert cli.main(["sample", str(trained), "-n", "12", "--seed", "3", "--out", str(tmp_path / "s.npz")]) == 0
    images = run.sample(12, seed=3)
    assert images.dtype == torch.uint8 and images.shape == (12, 1, 28, 28)
    assert np.array_equal(images[:, 0].numpy(), np.load(tmp_path / "s.npz")["images"])
    assert not torch.equal(images, run.sample(12, seed=4))
    run.save_samples(tmp_path / "again.npz", 12, seed=3)
    assert np.array_equal(np.load(tmp_path / "again.npz")["images"], np.load(tmp_path / "s.npz")["images"])


def test_load_gives_the_generator_module_and_the_run(trained):
    run = ganzoo.load(trained, registry=registry())
    assert isinstance(run.generator, torch.nn.Module) and not run.generator.training
    assert run.run_dir == trained and run.step == 2 * STEPS_PER_EPOCH and run.recipe.config.train.epochs == 2
    with torch.no_grad():
        assert run.generator(torch.zeros(5, run.latent_dim)).shape == (5, 1, 28, 28)
    assert [r["step"] for r in run.metrics()] == [r["step"] for r in logged(trained)]
    assert not run.conditional


def test_a_label_for_an_unconditional_generator_is_one_line(trained):
    with pytest.raises(ganzoo.GanzooError, match="^label needs a conditional generator"):
        ganzoo.load(trained, registry=registry()).sample(4, label=3)


def test_train_resumes_a_run_with_more_epochs(data_env, tmp_path):
    run_dir = ganzoo.train(RECIPE, [*TINY, "train.epochs=1"], out=tmp_path / "run", registry=registry())
    ganzoo.train(resume=run_dir, overrides=[f"train.epochs={EPOCHS - 2}"], registry=registry())
    assert ganzoo.load(run_dir, registry=registry()).step == (EPOCHS - 2) * STEPS_PER_EPOCH
    with pytest.raises(ganzoo.GanzooError, match="resume takes the run folder alone"):
        ganzoo.train(RECIPE, resume=run_dir)


def test_the_api_keeps_import_ganzoo_light():
    code = "import sys, ganzoo; ganzoo.load; ganzoo.train; assert 'torch' in sys.modules; print('ok')"
    light = "import sys, ganzoo; assert 'torch' not in sys.modules and 'load' in ganzoo.__all__; print('ok')"
    for source in (light, code):
        assert subprocess.run([sys.executable, "-c", source], capture_output=True, text=True).stdout == "ok\n"


def test_truncation_redraws_the_latent_values_beyond_the_threshold(trained, tmp_path):
    from ganzoo.output.sampling import truncated_latent

    run = ganzoo.load(trained, registry=registry())
    plain = torch.randn(200, run.latent_dim, generator=torch.Generator().manual_seed(1))
    z = truncated_latent(run.generator, 200, torch.Generator().manual_seed(1), 0.5)
    assert z.abs().max() <= 0.5 and z.std() < 0.35  # a standard normal cut at +-0.5 (std 0.28)
    inside = plain.abs() <= 0.5
    assert torch.equal(z[inside], plain[inside])  # the first draw's values within the threshold stay
    assert cli.main(["sample", str(trained), "-n", "12", "--truncation", "0.5", "--out", str(tmp_path / "t.npz")]) == 0
    images = run.sample(12, truncation=0.5)
    assert np.array_equal(images[:, 0].numpy(), np.load(tmp_path / "t.npz")["images"])
    assert not torch.equal(images, run.sample(12))
    assert torch.equal(run.sample(12, truncation=100.0), run.sample(12))  # nothing beyond: no value redrawn
    assert truncated_latent(run.generator, 1000, torch.Generator().manual_seed(0), 0.01).abs().max() <= 0.01


@pytest.mark.parametrize("value", ["0.001", "0", "-1"])
def test_truncation_must_be_at_least_a_hundredth(trained, tmp_path, capsys, value):
    capsys.readouterr()
    assert cli.main(["sample", str(trained), "--truncation", value, "--out", str(tmp_path / "x.npz")]) == 2
    assert capsys.readouterr().err.strip() == ("ganzoo: error: --truncation must be at least 0.01 (below, nearly every "
                                               f"value would be drawn hundreds of times), got {float(value)}")
    assert not (tmp_path / "x.npz").exists()
    with pytest.raises(ganzoo.GanzooError, match="^truncation must be at least 0.01"):
        ganzoo.load(trained, registry=registry()).sample(4, truncation=float(value))
