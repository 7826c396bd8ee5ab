"""StyleGAN2 at 32x32: its modulated convolution and path length by hand, style mixing, the
contract kit's checks of its generator, discriminator and algorithm, MNIST padded to 32x32, and the
recipe: it trains and, after kill -9, resumes to the uninterrupted run, the path-length mean included."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from conftest import QUICK, ROOT
from ganzoo import DataSpec, testing
from ganzoo.training import checkpoint
from ganzoo.training.trainer import TrainingInterrupted
from ganzoo_studio.stylegan2 import (StyleGAN2Generator, StyleGAN2GeneratorParams, minibatch_stddev,
                                     modulated_conv)
from ganzoo_studio.stylegan2_algorithm import path_lengths
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import assert_same_run, logged, train, train_reference

RECIPE = ROOT / "recipes" / "stylegan2_mnist.yaml"
DATA = DataSpec(image_shape=(1, 32, 32))
SMALL_G = {"latent_dim": 8, "mapping_layers": 2, "channels": 4, "last_channels": 4}
SMALL_D = {"channels": 4, "first_channels": 4}
# 128 padded digits / 32 = 4 steps an epoch, 2 epochs; R1 every 3 steps, path length every 2
TINY = [*QUICK, "train.batch_size=32", "dataset.params.limit=128", "train.device=cpu", "train.log_every=3",
        "output.grid_size=4", *(f"generator.params.{k}={v}" for k, v in SMALL_G.items()),
        *(f"discriminator.params.{k}={v}" for k, v in SMALL_D.items()),
        "algorithm.params.r1_every=3", "algorithm.params.pl_every=2"]
STEPS = 8


def test_modulated_conv_scales_inputs_by_style_and_demodulates_each_output_channel():
    torch.manual_seed(0)
    x, weight, styles = torch.randn(2, 3, 5, 5), torch.randn(4, 3, 3, 3), torch.rand(2, 3) + 0.5
    got = modulated_conv(x, weight, styles, demodulate=True)
    for i in range(2):  # image by image: weights scaled on their inputs, each output filter to unit norm
        w = weight * styles[i][None, :, None, None]
        w = w / w.flatten(1).norm(dim=1)[:, None, None, None]
        assert torch.allclose(got[i], F.conv2d(x[i:i + 1], w, padding=1)[0], atol=1e-5)
    plain = modulated_conv(x, weight, torch.ones(2, 3), demodulate=False)
    assert torch.allclose(plain, F.conv2d(x, weight, padding=1), atol=1e-5)


def test_path_length_is_the_norm_of_the_jacobian_transposed_times_the_noise_per_copy_of_w():
    # images = (w_0 + 2 w_1) . M for 2 copies of w: d sum(images * y) / dw_k = (k + 1) M y / sqrt(HW)
    M = torch.randn(3, 4)
    ws = torch.randn(1, 2, 3, requires_grad=True)
    images = ((ws[:, 0] + 2 * ws[:, 1]) @ M).view(1, 1, 2, 2)
    noise = torch.randn(1, 1, 2, 2)
    g = (M @ noise.view(4)) / 2  # sqrt(H W) = 2
    want = math.sqrt((g.square().sum() + (2 * g).square().sum()).item() / 2)
    assert path_lengths(ws, images, noise).item() == pytest.approx(want, rel=1e-5)


def test_minibatch_stddev_appends_each_groups_mean_deviation_and_fits_any_batch():
    x = torch.zeros(4, 2, 1, 1)
    x[1] = 2.0  # group (0, 1): every feature's std 1; group (2, 3): 0
    out = minibatch_stddev(x, 2)
    assert out.shape == (4, 3, 1, 1) and torch.equal(out[:, :2], x)
    assert out[:, 2].view(-1).tolist() == pytest.approx([1.0, 1.0, 1e-4, 1e-4], abs=1e-3)
    assert minibatch_stddev(torch.randn(3, 2, 4, 4), 4).shape == (3, 3, 4, 4)  # groups of 3 when 4 does not divide


def test_style_mixing_takes_a_second_latents_w_from_a_layer_on_in_training_only():
    G = StyleGAN2Generator(StyleGAN2GeneratorParams(**{**SMALL_G, "mixing": 1.0}), DATA)
    z = torch.randn(3, 8)
    torch.manual_seed(1)
    ws = G.mapping(z)
    same = [torch.equal(ws[:, i], G._w(z)) for i in range(G.num_ws)]
    assert same[0] and not all(same) and same == sorted(same, reverse=True)  # the first layers keep z's w
    G.eval()
    assert all(torch.equal(ws, G._w(z)) for ws in G.mapping(z).unbind(1))  # no mixing in eval mode
    assert torch.equal(G(z), G(z))  # the noise is a fixed image per layer: a latent gives one image
    G.train()
    assert not torch.equal(G(z), G(z))


def test_the_contract_kit_passes_the_generator_discriminator_and_algorithm():
    testing.check_generator("stylegan2", SMALL_G, data=DATA)
    testing.check_generator("stylegan2", SMALL_G, data=DataSpec(image_shape=(3, 8, 8)))
    testing.check_discriminator("stylegan2", SMALL_D, data=DATA)
    trainer = testing.check_algorithm("stylegan2", {"r1_every": 1, "pl_every": 1},
                                      components={"generator": "stylegan2", "discriminator": "stylegan2"},
                                      component_params={"generator": SMALL_G, "discriminator": SMALL_D},
                                      steps=2, data=DataSpec(image_shape=(1, 16, 16)))
    assert trainer.algorithm.pl_mean.item() > 0
    with pytest.raises(ValueError, match="pad MNIST to 32x32 with dataset.params.pad: 2"):
        StyleGAN2Generator(StyleGAN2GeneratorParams(), DataSpec(image_shape=(1, 28, 28)))


def test_mnist_pad_adds_black_borders_to_training_and_held_out_digits(mnist_root):
    from ganzoo_vanilla.mnist import MNISTParams, load_mnist

    plain = load_mnist(MNISTParams(root=str(mnist_root), download=False, limit=5))
    padded = load_mnist(MNISTParams(root=str(mnist_root), download=False, limit=5, pad=2))
    for a, b in ((plain.images, padded.images), (plain.held_out.images, padded.held_out.images)):
        assert b.shape[1:] == (1, 32, 32) and torch.equal(b[:, :, 2:30, 2:30], a)
        assert b.sum() == a.sum()  # the border is black
    with pytest.raises(ValueError, match="pad must be at least 0"):
        MNISTParams(pad=-1)


def test_stylegan2_algorithm_names_a_generator_without_mapping_and_synthesis(data_env, tmp_path, capsys):
    from ganzoo import cli

    others = [item for item in TINY if not item.startswith("generator.")]
    code = cli.main(["run", str(RECIPE), *others, "generator.name=dcgan", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "has no mapping(z) and synthesis(ws)" in err and "algorithm.params.pl_weight=0" in err


def test_stylegan2_composes_with_diffaugment_and_ada_by_configuration(data_env, tmp_path):
    wrapped = [item for item in TINY if not item.startswith("discriminator.")]
    trainer = train(tmp_path / "run", recipe=RECIPE, base=[
        *wrapped, "train.epochs=1", "discriminator.name=diffaugment",
        "discriminator.params={probability: 0.5, discriminator: {name: stylegan2, params: {channels: 4, "
        "first_channels: 4}}}", "callbacks=[{name: ada, params: {initial: 0.5, speed_steps: 10}}]"])
    assert trainer.step == 4
    assert checkpoint.load_checkpoint(tmp_path / "run")["callbacks"]["ada"]["p"] != 0.5  # ADA drove its p


@pytest.fixture(scope="module")
def reference(mnist_root, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("stylegan2") / "run"
    assert train_reference(mnist_root, run_dir, recipe=RECIPE, base=TINY).step == STEPS
    return run_dir


def test_stylegan2_trains_with_both_lazy_regularisers_on_their_steps(reference):
    records = logged(reference)
    assert [r["step"] for r in records] == [3, 4, 6, 8]  # the log windows: steps 1-3, 4, 5-6, 7-8
    # R1 on steps 1, 4, 7 (indices 0, 3, 6); path length on steps 1, 3, 5, 7 (indices 0, 2, 4, 6)
    assert [r["step"] for r in records if r["r1"] is not None] == [3, 4, 8]
    assert [r["step"] for r in records if r["path_length"] is not None] == [3, 6, 8]
    assert all(r["r1"] > 0 for r in records if r["r1"] is not None)
    state = checkpoint.load_checkpoint(reference)
    assert state["algorithm"]["pl_mean"].item() == pytest.approx(records[-1]["pl_mean"]) and records[-1]["pl_mean"] > 0


def test_stylegan2_after_kill_9_resumes_with_its_path_length_mean_to_the_uninterrupted_run(data_env, reference,
                                                                                         tmp_path):
    run_dir = tmp_path / "run"
    stopped = train(run_dir, stop_at=6, recipe=RECIPE, base=TINY)  # mid-epoch 2, after the log at step 6
    assert isinstance(stopped, TrainingInterrupted)
    checkpoint.checkpoint_path(run_dir, 6).unlink()  # as if killed before it: step 4's is the newest
    assert checkpoint.load_checkpoint(run_dir)["algorithm"]["pl_mean"].item() > 0
    assert train(run_dir, resume=True, recipe=RECIPE, base=TINY).step == STEPS
    assert_same_run(run_dir, reference)
    assert torch.equal(checkpoint.load_checkpoint(run_dir)["algorithm"]["pl_mean"],
                       checkpoint.load_checkpoint(reference)["algorithm"]["pl_mean"])


def test_the_style_mixing_grid_takes_coarse_styles_from_the_row_and_fine_from_the_column(reference, tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from style_mixing import SCALE, main, mixed_images

    import ganzoo

    G = ganzoo.load(reference).generator
    rows, columns = torch.randn(2, 8), torch.randn(3, 8)
    with ganzoo.eval_mode(G), torch.no_grad():
        row_images, column_images = G(rows), G(columns)
    assert torch.allclose(mixed_images(G, rows, columns, G.num_ws)[:, 1], row_images, atol=1e-6)  # all coarse
    assert torch.allclose(mixed_images(G, rows, columns, 0)[1], column_images, atol=1e-6)  # all fine
    mixed = mixed_images(G, rows, columns, 3)
    want_ws = G.mapping(columns[2:3]).clone()
    want_ws[:, :3] = G.mapping(rows[1:2])[:, :3]
    with torch.no_grad():
        assert torch.allclose(mixed[1, 2], G.synthesis(want_ws)[0], atol=1e-6)
    out = tmp_path / "mixing.png"
    assert main([str(reference), "--out", str(out), "--rows", "2", "--columns", "3"]) == 0
    from PIL import Image

    assert Image.open(out).size == (4 * 32 * SCALE, 3 * 32 * SCALE)  # a source column and a source row added
    assert main([str(reference), "--out", str(tmp_path / "x.png"), "--coarse", "99"]) == 2
