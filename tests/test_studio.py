"""The StudioGAN parts: SAGAN's self-attention (its maths by hand, as a dcgan option), LeCam's
penalty and running means by hand, ADA's update of p; the recipe that combines the three trains
and, after kill -9, resumes to the uninterrupted run, LeCam's means and ADA's p included; LeCam's
means and the contrastive losses are the whole batch's in 2 processes as in 1."""

from __future__ import annotations

import math
from functools import partial

import pytest
import torch

from conftest import QUICK, ROOT
from ganzoo import DataSpec
from ganzoo.training import checkpoint
from ganzoo.training.trainer import TrainingInterrupted
from ganzoo_studio.ada import ADA, ADAParams, adjusted
from ganzoo_studio.lecam import LeCam, LeCamParams, lecam_penalty
from ganzoo_zoo.attention import SelfAttention
from ganzoo_zoo.dcgan import (DCGANDiscriminatorParams, DCGANGeneratorParams, make_dcgan_discriminator,
                              make_dcgan_generator)
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import assert_same_run, train, train_reference
from two_processes import averaged, one_and_two_processes

COMBINED = ROOT / "recipes" / "sagan_ada_lecam_mnist.yaml"
# 128 images / 32 = 4 steps an epoch, 2 epochs; logs every 3 steps so windows span epoch ends;
# ADA starts at p = 0.5 and moves 0.3 per log, so a p lost or restored wrong shows
TINY = [*QUICK, "train.batch_size=32", "dataset.params.limit=128", "train.device=cpu", "train.log_every=3",
        "output.grid_size=4", "generator.params.latent_dim=8", "generator.params.base_channels=4",
        "discriminator.params.discriminator.params.base_channels=4",
        "callbacks=[{name: ada, params: {initial: 0.5, speed_steps: 10}}]", "loss.params.start_step=2"]
STEPS = 8
MNIST = DataSpec(image_shape=(1, 28, 28), num_classes=10)


# ---------------------------------------------------------------- self-attention
def test_self_attention_weighs_every_position_by_a_softmax_of_query_key_products():
    block = SelfAttention(8)  # queries and keys of 1 channel, values of 4
    with torch.no_grad():
        for conv in (block.query, block.key, block.value, block.out):
            conv.weight.zero_()
        block.query.weight[0, 0] = 1.0  # q = channel 0
        block.key.weight[0, 1] = 1.0  # k = channel 1
        block.value.weight[0, 2] = 1.0  # the first value channel = channel 2
        block.out.weight[3, 0] = 1.0  # written back to channel 3
    x = torch.zeros(1, 8, 1, 3)
    x[0, 0, 0] = torch.tensor([1.0, 0.0, -1.0])
    x[0, 1, 0] = torch.tensor([0.5, 1.0, 2.0])
    x[0, 2, 0] = torch.tensor([3.0, 4.0, 5.0])
    q, k, v = [1.0, 0.0, -1.0], [0.5, 1.0, 2.0], [3.0, 4.0, 5.0]
    rows = [[math.exp(qi * kj) for kj in k] for qi in q]
    want = [[e / sum(row) for e in row] for row in rows]
    assert torch.allclose(block.attention_map(x)[0], torch.tensor(want))
    assert torch.equal(block(x), x)  # gamma starts at 0: the block passes its input through
    with torch.no_grad():
        block.gamma.fill_(2.0)
    mixed = [sum(w * vj for w, vj in zip(row, v)) for row in want]
    out = block(x)
    assert out[0, 3, 0].tolist() == pytest.approx([2.0 * m for m in mixed])
    assert torch.equal(out[0, :3], x[0, :3])


def test_dcgan_puts_attention_after_the_feature_map_of_the_side_asked_and_refuses_others():
    G = make_dcgan_generator(DCGANGeneratorParams(base_channels=8, attention=14), MNIST)
    D = make_dcgan_discriminator(DCGANDiscriminatorParams(base_channels=8, spectral_norm=True, attention=7), MNIST)
    for model, positions in ((G, 14 * 14), (D, 7 * 7)):
        (block,) = [m for m in model.modules() if isinstance(m, SelfAttention)]
        block.keep_map = True
        model(torch.randn(3, 100) if model is G else torch.randn(3, 1, 28, 28))
        assert block.last_map.shape == (3, positions, positions)
        assert torch.allclose(block.last_map.sum(-1), torch.ones(3, positions))
    with pytest.raises(ValueError, match=r"attention must be 0 or the side of a hidden feature map \(7, 14"):
        make_dcgan_generator(DCGANGeneratorParams(attention=28), MNIST)


# ---------------------------------------------------------------- LeCam
class Zero:
    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return torch.tensor(0.0)

    def generator_loss(self, fake_logits, ctx):
        return -fake_logits.mean()


def test_lecam_adds_its_penalty_against_running_means_it_moves_each_d_step():
    from types import SimpleNamespace

    loss = LeCam(Zero(), LeCamParams(weight=0.5, decay=0.9, start_step=1))
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.0])
    # before start_step the means follow the latest batch and no penalty is added (D's outputs far apart)
    assert loss.discriminator_loss(torch.tensor([7.0]), torch.tensor([-7.0]), SimpleNamespace(step=0)).item() == 0
    assert loss.discriminator_loss(real, fake, SimpleNamespace(step=0)).item() == 0
    assert (loss.real_mean.item(), loss.fake_mean.item()) == pytest.approx((2.0, -1.0))  # not 7, -7
    real2, fake2 = torch.tensor([0.0, 0.0]), torch.tensor([4.0, 4.0])
    # step 1: a_R = 0.9 * 2 + 0.1 * 0 = 1.8, a_F = 0.9 * -1 + 0.1 * 4 = -0.5; real: relu(0 + 0.5)^2 = 0.25;
    # fake: relu(1.8 - 4)^2 = 0
    assert loss.discriminator_loss(real2, fake2, SimpleNamespace(step=1)).item() == pytest.approx(0.5 * 0.25)
    assert (loss.real_mean.item(), loss.fake_mean.item()) == pytest.approx((1.8, -0.5))
    assert loss.generator_loss(fake, None).item() == pytest.approx(1.0)  # the wrapped loss's
    restored = LeCam(Zero(), LeCamParams())
    restored.load_state_dict(loss.state_dict())
    assert (restored.real_mean.item(), restored.fake_mean.item()) == pytest.approx((1.8, -0.5))
    # relu(D(x) - a_F)^2 = 4, 16; relu(a_R - D(G(z)))^2 = 16, 4
    assert lecam_penalty(real, fake, torch.tensor(2.0), torch.tensor(-1.0)).item() == pytest.approx(20.0)


# ---------------------------------------------------------------- ADA
def test_ada_moves_p_by_the_sign_of_r_t_against_its_target_within_0_and_1():
    assert adjusted(0.2, 0.7, 0.6, 50, 500) == pytest.approx(0.3)
    assert adjusted(0.2, 0.5, 0.6, 50, 500) == pytest.approx(0.1)
    assert adjusted(0.2, 0.6, 0.6, 50, 500) == 0.2
    assert adjusted(0.95, 1.0, 0.6, 100, 500) == 1.0 and adjusted(0.05, -1.0, 0.6, 100, 500) == 0.0

    class Augmenter(torch.nn.Module):
        probability = 1.0

        def augment(self, x):
            return x

    class Run:
        models = {"discriminator": torch.nn.Sequential(Augmenter())}

    ada = ADA(ADAParams(target=0.6, speed_steps=100))
    ada.setup(Run())
    assert Run.models["discriminator"][0].probability == 0.0
    ada.on_log(Run(), {"step": 10, "d_real": 0.9})  # r_t = 2 * 0.9 - 1 = 0.8 > 0.6: up by 10 / 100
    ada.on_log(Run(), {"step": 30, "eval": {"fid": 1.0}})  # evaluation records leave p alone
    assert Run.models["discriminator"][0].probability == pytest.approx(0.1)
    assert ada.state_dict()["history"] == [[10, pytest.approx(0.1), pytest.approx(0.8)]]


def test_ada_needs_an_augmenting_discriminator(data_env, tmp_path, capsys):
    from ganzoo import cli

    unwrapped = [item for item in TINY if not item.startswith("discriminator.")]
    code = cli.main(["run", str(COMBINED), *unwrapped, "discriminator.name=dcgan", "--out", str(tmp_path / "run")])
    assert code == 2
    assert "ada: the discriminator has no augmentation to drive; wrap it in diffaugment" in capsys.readouterr().err


# ---------------------------------------------------------------- the combined recipe
@pytest.fixture(scope="module")
def combined_reference(mnist_root, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("studio") / "run"
    assert train_reference(mnist_root, run_dir, recipe=COMBINED, base=TINY).steps_done == STEPS
    return run_dir


def test_attention_ada_lecam_after_kill_9_resume_to_the_uninterrupted_run(data_env, combined_reference, tmp_path):
    run_dir = tmp_path / "run"
    stopped = train(run_dir, stop_at=6, recipe=COMBINED, base=TINY)  # mid-epoch 2, after the log at step 6
    assert isinstance(stopped, TrainingInterrupted)
    checkpoint.checkpoint_path(run_dir, 6).unlink()  # as if killed before it: step 4's is the newest
    state = checkpoint.load_checkpoint(run_dir)
    assert state["callbacks"]["ada"]["p"] not in (0.0, 0.5)  # p moved at the log of step 3
    means = state["algorithm"]["losses"]["loss"]
    assert means["real_mean"].dim() == 0 and means["fake_mean"].dim() == 0
    assert train(run_dir, resume=True, recipe=COMBINED, base=TINY).steps_done == STEPS
    assert_same_run(run_dir, combined_reference)
    final = checkpoint.load_checkpoint(run_dir)
    want = checkpoint.load_checkpoint(combined_reference)
    assert final["callbacks"]["ada"] == want["callbacks"]["ada"]
    assert torch.equal(final["algorithm"]["losses"]["loss"]["real_mean"],
                       want["algorithm"]["losses"]["loss"]["real_mean"])


def test_the_attention_picture_shows_red_where_a_query_looks_and_none_for_uniform_attention():
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from attention_maps import QUERIES, SCALE, picture

    side, h = 4, 8
    samples = torch.zeros(2, 1, h, h, dtype=torch.uint8)
    maps = torch.full((2, side * side, side * side), 1.0 / side ** 2)  # sample 0: uniform
    y, x = int(QUERIES[0][0] * side), int(QUERIES[0][1] * side)
    maps[1, y * side + x] = 0.0
    maps[1, y * side + x, 0] = 1.0  # sample 1, first query: all on position (0, 0)
    image = picture(samples, maps).float() / 255
    tile = h * SCALE
    red = image[0] - image[1]  # red over grey
    assert red[:tile, tile:].max() == 0  # uniform: no red anywhere
    first = red[tile:, tile:2 * tile]
    assert first[:SCALE, :SCALE].min() > 0.9 and first[-SCALE:, -SCALE:].max() == 0  # red at (0, 0) only


# ---------------------------------------------------------------- BigGAN
def test_conditional_batch_norm_scales_by_1_plus_a_gain_and_shifts_by_a_bias_of_the_condition():
    from ganzoo_studio.biggan import ConditionalBatchNorm

    norm = ConditionalBatchNorm(2, 3, lambda layer: layer)
    with torch.no_grad():
        for linear, bias in ((norm.gain, 1.0), (norm.bias, 0.5)):
            linear.weight.zero_()
            linear.bias.fill_(bias)
        norm.gain.weight[0, 0] = 1.0  # channel 0's gain also reads the condition's first value
    x = torch.tensor([[[[1.0]], [[2.0]]], [[[3.0]], [[6.0]]]])  # 2 images, 2 channels, 1 pixel
    condition = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    standardised = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])  # (x - mean) / std per channel, batch statistics
    gains = torch.tensor([[1 + 1 + 2, 2.0], [2.0, 2.0]])
    want = standardised * gains + 0.5
    assert torch.allclose(norm(x, condition).view(2, 2), want, atol=1e-3)


@pytest.mark.parametrize("side", [28, 32])
def test_biggan_pair_fits_the_side_and_conditions_through_one_shared_embedding_and_a_projection(side):
    from ganzoo_studio.biggan import (BigGANDiscriminatorParams, BigGANGeneratorParams, make_biggan_discriminator,
                                      make_biggan_generator)

    data = DataSpec(image_shape=(1, side, side), num_classes=10)
    G = make_biggan_generator(BigGANGeneratorParams(latent_dim=20, base_channels=4, shared_dim=4), data)
    D = make_biggan_discriminator(BigGANDiscriminatorParams(base_channels=4), data)
    blocks = 2 if side == 28 else 3
    assert len(G.blocks) == blocks and sum(G.chunks) == 20 and len(G.chunks) == blocks + 1
    labels = torch.tensor([1, 7])
    images = G(torch.randn(2, 20), labels)
    assert images.shape == (2, 1, side, side) and D(images, labels).shape == (2,)
    images.sum().backward()
    assert G.shared.weight.grad[[1, 7]].abs().sum() > 0  # every block's norms read the one embedding
    D.eval()  # spectral norm's power iteration then stands still between calls
    x = torch.randn(1, 1, side, side)
    assert D(x, torch.tensor([3])).item() != pytest.approx(D(x, torch.tensor([5])).item(), abs=1e-5)
    with torch.no_grad():  # every class embedded alike: the projection no longer tells them apart
        D.project.parametrizations.weight.original.copy_(D.project.parametrizations.weight.original[:1].expand(10, -1))
    assert D(x, torch.tensor([3])).item() == pytest.approx(D(x, torch.tensor([5])).item(), abs=1e-5)
    with pytest.raises(ValueError, match="conditional: true needs a dataset with class labels"):
        make_biggan_generator(BigGANGeneratorParams(), DataSpec(image_shape=(1, 28, 28)))


def test_biggan_class_input_gives_the_label_to_the_first_layer_as_biggan_mnist_does():
    """Without it the label reaches G only through the norms' per-channel gains and biases, and
    biggan_mnist's generator did not learn its labels in an epoch; with it the 7x7 start already
    depends on the label, for the same z."""
    import yaml
    from ganzoo_studio.biggan import BigGANGeneratorParams, make_biggan_generator

    data = DataSpec(image_shape=(1, 28, 28), num_classes=10)
    z = torch.randn(1, 21).expand(2, -1)
    labels = torch.tensor([3, 5])
    for class_input in (False, True):
        G = make_biggan_generator(BigGANGeneratorParams(latent_dim=21, base_channels=4, shared_dim=4,
                                                        class_input=class_input), data)
        starts = []
        G.linear.register_forward_hook(lambda module, inputs, output: starts.append(output))
        G(z, labels).sum().backward()
        differs = not torch.allclose(starts[0][0], starts[0][1])
        assert differs == class_input
        first_layer = G.linear.parametrizations.weight.original
        assert first_layer.shape[1] == 7 + 4 * class_input
        assert not class_input or first_layer.grad[:, :4].abs().sum() > 0  # the shared embedding's columns learn
    unconditional = make_biggan_generator(BigGANGeneratorParams(latent_dim=21, conditional=False, class_input=True),
                                          DataSpec(image_shape=(1, 28, 28)))
    assert unconditional(torch.randn(2, 21)).shape == (2, 1, 28, 28)  # no labels: nothing to give
    recipe = yaml.safe_load((ROOT / "recipes" / "biggan_mnist.yaml").read_text(encoding="utf-8"))
    assert recipe["generator"]["params"]["class_input"] is True


def test_orthogonal_gradient_is_biggans_and_zero_for_orthogonal_rows():
    from ganzoo_studio.orthogonal import orthogonal_gradient

    w = torch.tensor([[1.0, 0.0], [1.0, 1.0]])  # W W^T = [[1, 1], [1, 2]]: off-diagonal [[0, 1], [1, 0]]
    assert orthogonal_gradient(w).tolist() == [[2.0, 2.0], [2.0, 0.0]]  # 2 [[0, 1], [1, 0]] W
    for shape in ((3, 2, 2, 2), (40, 3)):  # wide, and tall (computed as W (W^T W) - diag(W W^T) W)
        leaf = torch.randn(*shape, requires_grad=True)
        flat = leaf.reshape(shape[0], -1)
        off = flat @ flat.t() * (1 - torch.eye(shape[0]))
        (0.5 * off.pow(2).sum()).backward()
        assert torch.allclose(orthogonal_gradient(leaf.detach()), leaf.grad, atol=1e-4)  # the gradient of R / 2
    rotation = torch.tensor([[0.6, -0.8], [0.8, 0.6]]) * 3
    assert orthogonal_gradient(rotation).abs().max() < 1e-6  # norms are free, only angles count


# ---------------------------------------------------------------- CR, bCR
def test_consistency_adds_the_squared_change_of_d_under_a_shift_on_reals_and_on_fakes():
    from types import SimpleNamespace

    from ganzoo_studio.consistency import Consistency, ConsistencyParams, translate

    image = torch.arange(16.0).view(1, 1, 4, 4)
    shifted = translate(image.expand(50, 1, 4, 4), 1)
    for moved in shifted:  # every copy is the image moved by at most one pixel each way, zeros let in
        matches = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if torch.equal(moved[0], shifted_by_hand(image[0, 0], dy, dx))]
        assert matches
    assert torch.equal(translate(image, 0), image)

    class Discriminator:  # D(x) = the sum of the pixels: changed by what the shift lets fall off the edge
        def __call__(self, x):
            return x.flatten(1).sum(1)

    real, fake = torch.ones(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)
    ctx = SimpleNamespace(real=real, fake=fake, discriminate=Discriminator())
    torch.manual_seed(0)
    loss = Consistency(Zero(), ConsistencyParams(real_weight=2.0, fake_weight=3.0, shift=1))
    got = loss.discriminator_loss(Discriminator()(real), Discriminator()(fake), ctx)
    torch.manual_seed(0)
    want = 2.0 * (16 - translate(real, 1).flatten(1).sum(1)).pow(2).mean()  # fakes are 0: shifted, still 0
    assert got.item() == pytest.approx(want.item()) and want > 0


def shifted_by_hand(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``image`` moved down dy and right dx, zero fill: the hand version of the shift."""
    out = torch.zeros_like(image)
    h, w = image.shape
    for y in range(h):
        for x in range(w):
            if 0 <= y - dy < h and 0 <= x - dx < w:
                out[y, x] = image[y - dy, x - dx]
    return out


# ---------------------------------------------------------------- LOGAN
def test_logan_moves_each_latent_by_alpha_g_over_beta_plus_its_squared_norm():
    from ganzoo_studio.logan import natural_gradient_step

    w = torch.tensor([3.0, 4.0])  # score(z) = <w, z>^2 / 2: g = <w, z> w
    z = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    moved = natural_gradient_step(z, lambda latent: (latent @ w).pow(2) / 2, alpha=0.9, beta=5.0)
    g = 3.0 * w  # row 0: <w, z> = 3, ||g||^2 = 225
    assert torch.allclose(moved[0], z[0] + 0.9 * g / (5.0 + 225.0))
    assert torch.equal(moved[1], z[1])  # a zero gradient leaves the latent where it was
    assert not moved.requires_grad


def test_logan_trains_and_differs_from_gan_by_its_latent_step_alone(data_env, tmp_path):
    recipe = ROOT / "recipes" / "logan_mnist.yaml"
    overrides = [*QUICK, "train.batch_size=32", "dataset.params.limit=64", "train.device=cpu", "train.epochs=1",
                 "output.grid_size=4", "generator.params.latent_dim=8", "generator.params.base_channels=4",
                 "discriminator.params.base_channels=4"]
    logan = train(tmp_path / "logan", recipe=recipe, base=overrides)
    plain = train(tmp_path / "gan", recipe=recipe, base=[*overrides, "algorithm.name=gan"])
    assert logan.steps_done == plain.steps_done == 2
    # the same seed and data: only the latent step differs, so the weights do
    G1, G2 = logan.models["generator"].state_dict(), plain.models["generator"].state_dict()
    assert any(not torch.equal(G1[key], G2[key]) for key in G1)


# ---------------------------------------------------------------- MH-GAN
def test_mh_chains_accept_a_proposal_with_probability_exp_of_its_calibrated_logit_gain():
    from ganzoo.output.mh import chain_ends

    scores = torch.tensor([[0.0, 10.0, -10.0, 0.5], [0.0, -1.0, 0.0, 0.0]])
    uniforms = torch.tensor([[0.0, 0.5, 0.5, 0.5], [0.0, 0.3, 0.5, 0.9]])
    # chain 0: 1 accepted (e^10), 2 and 3 refused (e^-20, e^-9.5); chain 1: e^-1 = 0.37 > 0.3, e^1 > 0.5, e^0 > 0.9
    assert chain_ends(scores, uniforms).tolist() == [1, 3]


def test_mh_calibration_recovers_the_temperature_and_offset_of_the_discriminator():
    from ganzoo.output.mh import fit_calibration

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(40000, generator=generator) * 2
    real = torch.rand(40000, generator=generator) < torch.sigmoid(2.0 * logits + 0.5)
    a, b = fit_calibration(logits[real], logits[~real])
    assert a == pytest.approx(2.0, abs=0.1) and b == pytest.approx(0.5, abs=0.1)


def test_sample_mh_draws_seeded_chain_ends_with_the_runs_discriminator(data_env, combined_reference, tmp_path, capsys):
    import numpy as np

    from ganzoo import cli

    outs = []
    for name in ("a.npz", "b.npz"):
        assert cli.main(["sample", str(combined_reference), "--mh", "4", "-n", "6", "--mh-calibration", "64",
                         "--out", str(tmp_path / name), "--device", "cpu"]) == 0
        outs.append(np.load(tmp_path / name)["images"])
    assert outs[0].shape == (6, 28, 28) and outs[0].dtype == np.uint8  # as ganzoo sample writes grey images
    assert (outs[0] == outs[1]).all()
    capsys.readouterr()
    assert cli.main(["sample", str(combined_reference), "--mh", "1", "--out", str(tmp_path / "c.npz")]) == 2
    assert "--mh must be at least 2" in capsys.readouterr().err


# ---------------------------------------------------------------- 2C
def test_2c_pulls_each_embedding_to_its_proxy_and_its_class_against_the_other_classes():
    from ganzoo_studio.contrastive import conditional_contrastive

    l = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # unit embeddings; images 0 and 2 share class 0
    e = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])  # every proxy along the first axis
    labels = torch.tensor([0, 1, 0])
    t = 0.5
    ex = lambda value: math.exp(value / t)  # noqa: E731
    # image 0: proxy 1, image 1 (other class) 0, image 2 (same class) 1
    first = -math.log((ex(1) + ex(1)) / (ex(1) + ex(0) + ex(1)))
    # image 1: proxy 0, no same-class image; images 0 and 2 both 0
    second = -math.log(ex(0) / (ex(0) + ex(0) + ex(0)))
    want = (first + second + first) / 3  # image 2 as image 0
    assert conditional_contrastive(l * 3, e * 2, labels, t).item() == pytest.approx(want)  # lengths do not count


def test_contragan_trains_its_2c_heads_and_names_a_discriminator_without_them(data_env, tmp_path, capsys):
    from ganzoo import cli

    recipe = ROOT / "recipes" / "contragan_mnist.yaml"
    tiny = [*QUICK, "train.batch_size=32", "dataset.params.limit=64", "train.device=cpu", "train.epochs=1",
            "output.grid_size=4", "generator.params.latent_dim=6", "generator.params.base_channels=2",
            "discriminator.params.base_channels=2", "discriminator.params.embed_dim=4"]
    assert train(tmp_path / "run", recipe=recipe, base=tiny).steps_done == 2
    code = cli.main(["run", str(recipe), *tiny, "discriminator.params.conditioning=projection", "--out",
                     str(tmp_path / "bad")])
    assert code == 2
    assert "gives no 'embedding' for the contrastive loss" in capsys.readouterr().err


# ---------------------------------------------------------------- D2D-CE
def test_d2d_ce_pulls_to_the_proxy_within_its_margin_and_pushes_only_other_classes_beyond_theirs():
    from ganzoo_studio.contrastive import data_to_data_cross_entropy

    l = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.6, 0.8]])  # images 0, 2: class 0; 1, 3: class 1
    e = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # proxies of the labels
    labels = torch.tensor([0, 1, 0, 1])
    t, m_p, m_n = 0.5, 0.98, 0.02

    def by_hand(i):
        positive = min(float(l[i] @ e[i]) - m_p, 0.0) / t
        negatives = [max(float(l[i] @ l[k]) - m_n, 0.0) / t for k in range(4) if labels[k] != labels[i]]
        return -math.log(math.exp(positive) / (math.exp(positive) + sum(math.exp(n) for n in negatives)))

    want = sum(by_hand(i) for i in range(4)) / 4
    assert data_to_data_cross_entropy(l * 2, e * 3, labels, t, m_p, m_n).item() == pytest.approx(want, rel=1e-5)
    # image 0 is as near its proxy as the margin asks: nearer does not lower its loss; image 2 (same class) is no negative
    assert by_hand(0) == pytest.approx(math.log(1 + math.exp(0.0) + math.exp((0.6 - m_n) / t)))
    def loss_at(cosine):  # image 0 at that cosine to its proxy; image 1 (class 1) at or below m_n to it
        first = torch.tensor([cosine, math.sqrt(1 - cosine ** 2)])
        return data_to_data_cross_entropy(torch.stack([first, torch.tensor([0.0, -1.0])]), e[:2], labels[:2], t,
                                          m_p, m_n).item()

    assert loss_at(0.985) == pytest.approx(loss_at(1.0), rel=1e-6) and loss_at(1.0) < loss_at(0.9)


# ---------------------------------------------------------------- across the batch, in 2 processes
def contrastive_and_gradients(criterion, embedding, proxy, labels):
    embedding, proxy = embedding.clone().requires_grad_(True), proxy.clone().requires_grad_(True)
    value = criterion(embedding, proxy, labels)
    value.backward()
    return value.detach(), (embedding.grad, proxy.grad)


@pytest.mark.parametrize("criterion", ["2c", "d2d-ce"])
def test_contrastive_losses_compare_each_image_with_the_whole_batch_in_two_processes(criterion, tmp_path):
    """2C and D2D-CE under --nproc 2 are one process's (as StudioGAN gathers its processes' embeddings): each
    process's loss is the whole batch's, and the gradients (averaged by the trainer) are one process's."""
    from ganzoo_studio.contrastive import conditional_contrastive, data_to_data_cross_entropy

    loss = (partial(conditional_contrastive, temperature=0.5) if criterion == "2c" else
            partial(data_to_data_cross_entropy, temperature=0.5, positive_margin=0.98, negative_margin=0.02))
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])  # each class in both halves
    embedding = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))
    proxy = torch.randn(3, 3, generator=torch.Generator().manual_seed(1))[labels]
    (value, gradients), ranks = one_and_two_processes(partial(contrastive_and_gradients, loss),
                                                      (embedding, proxy, labels), tmp_path)
    assert all(torch.allclose(rank_value, value, atol=1e-6) for rank_value, _ in ranks)
    for got, expected in zip(averaged([rank_gradients for _, rank_gradients in ranks]), gradients):
        assert torch.allclose(got, expected, atol=1e-6)


def lecam_in_two_steps(real, fake):
    """LeCam's penalty in its first step with one (on doubled logits), its gradients and its running means."""
    from types import SimpleNamespace

    loss = LeCam(Zero(), LeCamParams(weight=0.5, decay=0.9, start_step=1))
    loss.discriminator_loss(real, fake, SimpleNamespace(step=0))
    real, fake = (2 * real).requires_grad_(True), (2 * fake).requires_grad_(True)
    penalty = loss.discriminator_loss(real, fake, SimpleNamespace(step=1))
    penalty.backward()
    return (penalty.detach(), torch.stack([loss.real_mean, loss.fake_mean])), (real.grad, fake.grad)


def test_lecam_keeps_the_whole_batchs_running_means_in_two_processes(tmp_path):
    """Under --nproc 2 every process keeps one process's running means of D's outputs (the checkpoint holds
    the first's), and the penalty and its gradients (averaged by the trainer) are one process's."""
    real = torch.tensor([2.0, -1.0, 0.5, 3.0, -2.0, 1.0, 0.0, 4.0])  # halves of other means
    fake = torch.tensor([-3.0, 1.0, 0.0, -1.0, 2.0, -0.5, 1.5, 0.5])
    ((penalty, means), gradients), ranks = one_and_two_processes(lecam_in_two_steps, (real, fake), tmp_path)
    assert all(torch.allclose(rank_means, means, atol=1e-6) for (_, rank_means), _ in ranks)
    assert torch.allclose((ranks[0][0][0] + ranks[1][0][0]) / 2, penalty, atol=1e-6)
    for got, expected in zip(averaged([rank_gradients for _, rank_gradients in ranks]), gradients):
        assert torch.allclose(got, expected, atol=1e-6)


def test_reacgan_trains_with_d2d_ce_picked_by_the_recipe(data_env, tmp_path):
    from ganzoo.training import checkpoint as checkpoints

    recipe = ROOT / "recipes" / "reacgan_mnist.yaml"
    tiny = [*QUICK, "train.batch_size=32", "dataset.params.limit=64", "train.device=cpu", "train.epochs=1",
            "output.grid_size=4", "generator.params.latent_dim=6", "generator.params.base_channels=2",
            "discriminator.params.base_channels=2", "discriminator.params.embed_dim=4"]
    reacgan = train(tmp_path / "reacgan", recipe=recipe, base=tiny)
    contragan = train(tmp_path / "contragan", recipe=recipe, base=[*tiny, "loss.params.criterion=2c"])
    assert reacgan.steps_done == contragan.steps_done == 2
    D1, D2 = (checkpoints.load_checkpoint(tmp_path / name)["models"]["discriminator"] for name in ("reacgan", "contragan"))
    assert any(not torch.equal(D1[key], D2[key]) for key in D1)  # the same run but for the conditioning loss
