"""The zoo's losses and the public penalties, on values known in closed form."""

import math
from functools import partial

import pytest
import torch
from torch import nn

from ganzoo import GanzooError, LossContext, gradient_penalty, r1_penalty
from ganzoo.recipe import load_recipe
from ganzoo_vanilla.bce import BCEParams, make_bce
from ganzoo_zoo.bgan import BGANParams, make_bgan
from ganzoo_zoo.dragan import DRAGANParams, make_dragan, perturbed_penalty
from ganzoo_zoo.losses import HingeParams, LSGANParams, WGANGPParams, make_hinge, make_lsgan, make_wgan_gp
from ganzoo_zoo.relativistic import RelativisticParams, make_relativistic
from ganzoo_zoo.softmax_gan import SoftmaxGANParams, make_softmax_gan
from ganzoo_zoo.wgan_div import WGANDivParams, make_wgan_div
from two_processes import averaged, one_and_two_processes

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


class Linear(nn.Module):
    """D(x) = <w, x>: its input gradient is w everywhere, so its Lipschitz constant is ||w||."""

    def __init__(self, norm: float, shape=(1, 4, 4)):
        super().__init__()
        w = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        self.w = nn.Parameter(w * norm / w.norm())

    def forward(self, x):
        return (x * self.w).flatten(1).sum(1)


class ConditionalLinear(nn.Module):
    """D(x, y) = <w_y, x> with ||w_y|| = y + 1."""

    conditional = True

    def __init__(self):
        super().__init__()
        w = torch.randn(3, 16, generator=torch.Generator().manual_seed(1))
        self.w = nn.Parameter(w / w.norm(dim=1, keepdim=True) * torch.tensor([[1.0], [2.0], [3.0]]))

    def forward(self, x, labels):
        return (x.flatten(1) * self.w[labels]).sum(1)


def context(discriminator, n=8, labels=None):
    rng = torch.Generator().manual_seed(2)
    real, fake = torch.randn(n, 1, 4, 4, generator=rng), torch.randn(n, 1, 4, 4, generator=rng)
    return LossContext(discriminator, real, fake, labels)


def test_lsgan_is_zero_for_a_perfect_discriminator_and_a_perfect_generator():
    loss, ctx = make_lsgan(LSGANParams()), context(Linear(1.0))
    ones, zeros = torch.ones(8), torch.zeros(8)
    assert loss.discriminator_loss(ones, zeros, ctx).item() == 0.0
    assert loss.discriminator_loss(zeros, ones, ctx).item() == pytest.approx(1.0)  # 0.5 * (1 + 1)
    assert loss.generator_loss(ones, ctx).item() == 0.0
    assert loss.generator_loss(zeros, ctx).item() == pytest.approx(0.5)


def test_lsgan_targets_are_configurable():
    loss = make_lsgan(LSGANParams(real_target=1.0, fake_target=-1.0, generator_target=0.0))
    ctx = context(Linear(1.0))
    assert loss.discriminator_loss(torch.ones(8), -torch.ones(8), ctx).item() == 0.0
    assert loss.generator_loss(torch.zeros(8), ctx).item() == 0.0


def test_hinge_is_zero_beyond_the_margins_and_two_at_zero():
    loss, ctx = make_hinge(HingeParams()), context(Linear(1.0))
    assert loss.discriminator_loss(torch.tensor([1.0, 3.0]), torch.tensor([-1.0, -5.0]), ctx).item() == 0.0
    assert loss.discriminator_loss(torch.zeros(4), torch.zeros(4), ctx).item() == pytest.approx(2.0)
    assert loss.generator_loss(torch.tensor([2.0, 4.0]), ctx).item() == pytest.approx(-3.0)


def test_gradient_penalty_of_a_1_lipschitz_critic_is_zero():
    assert gradient_penalty(context(Linear(1.0))).item() == pytest.approx(0.0, abs=1e-6)
    assert gradient_penalty(context(Linear(3.0))).item() == pytest.approx(4.0, rel=1e-5)  # (3 - 1)^2


def test_wgan_gp_is_the_score_gap_plus_the_weighted_penalty():
    real_logits, fake_logits = torch.tensor([2.0, 4.0]), torch.tensor([1.0, -1.0])
    lipschitz = make_wgan_gp(WGANGPParams()).discriminator_loss(real_logits, fake_logits, context(Linear(1.0)))
    assert lipschitz.item() == pytest.approx(0.0 - 3.0, abs=1e-5)
    steep = make_wgan_gp(WGANGPParams(gp_weight=10.0)).discriminator_loss(real_logits, fake_logits,
                                                                         context(Linear(2.0)))
    assert steep.item() == pytest.approx(-3.0 + 10.0, rel=1e-5)
    drift = make_wgan_gp(WGANGPParams(gp_weight=0.0, drift=0.5)).discriminator_loss(real_logits, fake_logits,
                                                                                   context(Linear(2.0)))
    assert drift.item() == pytest.approx(-3.0 + 0.5 * 10.0)
    assert make_wgan_gp(WGANGPParams()).generator_loss(fake_logits, None).item() == 0.0


def test_gradient_penalty_trains_the_critic_towards_unit_gradient():
    critic = Linear(3.0)
    penalty = gradient_penalty(context(critic))
    penalty.backward()
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||: along w, and finite
    assert torch.isfinite(critic.w.grad).all()
    assert torch.nn.functional.cosine_similarity(critic.w.grad.flatten(), critic.w.flatten(), dim=0) > 0.999


def test_r1_penalty_is_the_squared_gradient_norm_on_real_images():
    assert r1_penalty(context(Linear(3.0))).item() == pytest.approx(9.0, rel=1e-5)
    labels = torch.tensor([0, 1, 2, 2])
    ctx = LossContext(ConditionalLinear(), torch.randn(4, 1, 4, 4), torch.randn(4, 1, 4, 4), labels)
    assert r1_penalty(ctx).item() == pytest.approx((1 + 4 + 9 + 9) / 4, rel=1e-5)  # labels reach D


@pytest.mark.parametrize("make, params", [(make_lsgan, LSGANParams), (make_hinge, HingeParams),
                                          (make_wgan_gp, WGANGPParams), (make_bce, BCEParams)])
def test_r1_option_adds_gamma_over_two_times_the_penalty(make, params):
    real_logits, fake_logits = torch.tensor([0.5, 1.5]), torch.tensor([-0.5, 0.2])
    ctx = context(Linear(1.0))  # gradient norm 1: WGAN-GP's own penalty is 0, R1 is 1
    plain = make(params()).discriminator_loss(real_logits, fake_logits, ctx)
    with_r1 = make(params(r1_gamma=4.0)).discriminator_loss(real_logits, fake_logits, ctx)
    assert (with_r1 - plain).item() == pytest.approx(2.0, rel=1e-4)


@pytest.mark.parametrize("override, words", [
    ("loss.params.r1_gamma=-1", "r1_gamma must be at least 0"),
    ("loss.params.gp_weight=-1", "gp_weight must be at least 0"),
])
def test_bad_loss_params_are_one_line_errors(override, words):
    with pytest.raises(GanzooError, match=words) as error:
        load_recipe(ROOT / "recipes" / "wgan_gp_mnist.yaml", [override])
    assert "\n" not in str(error.value)


# ------------------------------------------------------------------ the losses of issue 27
class Fixed(nn.Module):
    """A discriminator that gives the same logits whatever it is shown (the real logits of a G step)."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.tensor(logits)

    def forward(self, x):
        return self.logits


class HalfSquare(nn.Module):
    """D(x) = ||x||^2 / 2: its input gradient is x itself, small near small images, large far away."""

    def forward(self, x):
        return 0.5 * x.flatten(1).pow(2).sum(1)


def softplus(x):
    return math.log1p(math.exp(x))


def test_bgan_trains_the_generator_towards_the_boundary():
    loss = make_bgan(BGANParams())
    assert loss.generator_loss(torch.zeros(4), None).item() == 0.0  # D(G(z)) = 0.5: logit 0
    assert loss.generator_loss(torch.tensor([1.0, -3.0]), None).item() == pytest.approx(0.5 * (1 + 9) / 2)
    # log D = -softplus(-l), log(1 - D) = -softplus(l): the paper's (log D - log(1 - D))^2 / 2 is l^2 / 2
    logits = torch.tensor([0.7, -2.0])
    paper = 0.5 * (torch.log(torch.sigmoid(logits)) - torch.log(1 - torch.sigmoid(logits))).pow(2).mean()
    assert loss.generator_loss(logits, None).item() == pytest.approx(paper.item(), rel=1e-5)
    assert loss.discriminator_loss(torch.zeros(3), torch.zeros(3), None).item() == pytest.approx(2 * softplus(0))


def test_dragan_penalises_the_gradient_around_the_real_images_not_the_fakes():
    loss = make_dragan(DRAGANParams(weight=10.0))
    real_logits, fake_logits = torch.tensor([1.0, 2.0]), torch.tensor([-1.0, 0.0])
    bce = (softplus(-1.0) + softplus(-2.0)) / 2 + (softplus(-1.0) + softplus(0.0)) / 2
    assert loss.discriminator_loss(real_logits, fake_logits, context(Linear(1.0))).item() == pytest.approx(bce, rel=1e-5)
    steep = loss.discriminator_loss(real_logits, fake_logits, context(Linear(3.0)))
    assert steep.item() == pytest.approx(bce + 10.0 * 4.0, rel=1e-4)  # (||grad|| - 1)^2 = 4
    # grad D = x: near small real images the norm is about 0 (penalty about 1), however far the fakes are
    rng = torch.Generator().manual_seed(3)
    ctx = LossContext(HalfSquare(), 1e-3 * torch.randn(8, 1, 4, 4, generator=rng), torch.full((8, 1, 4, 4), 100.0))
    assert perturbed_penalty(ctx, 0.5).item() == pytest.approx(1.0, abs=0.01)
    assert gradient_penalty(ctx).item() > 100  # WGAN-GP's points between real and fake: far larger


def dragan_penalty(real):
    return perturbed_penalty(LossContext(HalfSquare(), real, real), 0.5)


def test_dragan_perturbs_by_the_whole_batchs_standard_deviation_in_two_processes(monkeypatch, tmp_path):
    """Under --nproc 2 each process perturbs its real images by c times the whole real batch's standard deviation
    (not its half's), so the processes' penalties average to one process's (the same uniform draws in each)."""
    monkeypatch.setattr(torch, "rand", lambda shape, **kwargs: torch.full(shape, 0.5, **kwargs))
    rng = torch.Generator().manual_seed(4)
    real = torch.randn(8, 1, 4, 4, generator=rng) * torch.tensor([1.0] * 4 + [3.0] * 4).view(8, 1, 1, 1)
    penalty, ranks = one_and_two_processes(dragan_penalty, (real,), tmp_path)
    assert torch.allclose((ranks[0] + ranks[1]) / 2, penalty, atol=1e-6)


@pytest.mark.parametrize("variant, d_loss, g_loss", [
    # real logits [2, 0], fake [1, -1]: mean real 1, mean fake 0, so r = [2, 0] and f = [0, -2]
    ("rsgan", softplus(-1.0), softplus(1.0)),  # pairs: C(x_r) - C(x_f) = [1, 1]
    ("ragan", softplus(-2.0) + softplus(0.0), softplus(2.0) + softplus(0.0)),
    ("ralsgan", (1 + 1) / 2 + (1 + 1) / 2, (1 + 9) / 2 + (9 + 1) / 2),
])
def test_relativistic_losses_read_each_side_relative_to_the_other(variant, d_loss, g_loss):
    loss = make_relativistic(RelativisticParams(variant=variant))
    real_logits, fake_logits = torch.tensor([2.0, 0.0]), torch.tensor([1.0, -1.0])
    ctx = LossContext(Fixed([2.0, 0.0]), torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4))  # G's loss asks D
    assert loss.discriminator_loss(real_logits, fake_logits, ctx).item() == pytest.approx(d_loss, rel=1e-5)
    fake = fake_logits.clone().requires_grad_(True)
    generator_loss = loss.generator_loss(fake, ctx)
    assert generator_loss.item() == pytest.approx(g_loss, rel=1e-5)
    generator_loss.backward()
    assert (fake.grad < 0).all()  # G gains by raising its fakes' logits



# 8 pictures' logits, real and fake, far from alike, so a mean over half of them is not the whole batch's
SPREAD = (torch.tensor([2.0, -1.0, 0.5, 3.0, -2.0, 1.0, 0.0, 4.0]),
          torch.tensor([-3.0, 1.0, 0.0, -1.0, 2.0, -0.5, 1.5, 0.5]))


def losses_and_gradients(loss, real, fake):
    """(D's loss, G's loss) of ``loss`` on these logits, and their gradients with respect to the real logits,
    the fake ones (D's loss) and the fake ones of G's loss."""
    real, fake = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
    d_loss = loss.discriminator_loss(real, fake, None)
    d_loss.backward()
    generated = fake.detach().clone().requires_grad_(True)
    g_loss = loss.generator_loss(generated, LossContext(Fixed(real.tolist()), torch.zeros(len(real), 1, 4, 4),
                                                        torch.zeros(len(real), 1, 4, 4)))
    g_loss.backward()
    return torch.stack([d_loss.detach(), g_loss.detach()]), (real.grad, fake.grad, generated.grad)


@pytest.mark.parametrize("loss", [make_relativistic(RelativisticParams(variant="ragan")),
                                  make_relativistic(RelativisticParams(variant="ralsgan")),
                                  make_softmax_gan(SoftmaxGANParams())], ids=["ragan", "ralsgan", "softmax-gan"])
def test_losses_across_the_batch_take_the_whole_batch_in_two_processes(loss, tmp_path):
    """What ESRGAN and softmax-gan under --nproc 2 need to train what one process does: each process's losses
    read its logits against the whole batch's means or softmax, and the gradients (averaged by the trainer)
    are one process's."""
    (losses, gradients), ranks = one_and_two_processes(partial(losses_and_gradients, loss), SPREAD, tmp_path)
    assert torch.allclose((ranks[0][0] + ranks[1][0]) / 2, losses, atol=1e-6)  # the mean of the shares' losses
    for got, expected in zip(averaged([rank_gradients for _, rank_gradients in ranks]), gradients):
        assert torch.allclose(got, expected, atol=1e-6)


def test_softmax_gan_is_the_cross_entropy_of_a_softmax_over_the_batch():
    loss = make_softmax_gan(SoftmaxGANParams())
    zeros = torch.zeros(4)
    ctx = LossContext(Fixed([0.0] * 4), torch.zeros(4, 1, 4, 4), torch.zeros(4, 1, 4, 4))
    # D cannot tell: a uniform softmax over 8 images; each target's cross-entropy is log 8
    assert loss.discriminator_loss(zeros, zeros, ctx).item() == pytest.approx(math.log(8))
    assert loss.generator_loss(zeros, ctx).item() == pytest.approx(math.log(8))
    real, fake = torch.tensor([1.0, 1.0]), torch.tensor([-1.0, -1.0])
    partition = math.log(2 * math.e + 2 / math.e)
    assert loss.discriminator_loss(real, fake, ctx).item() == pytest.approx(partition - 1.0, rel=1e-6)
    ctx = LossContext(Fixed([1.0, 1.0]), torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4))
    assert loss.generator_loss(fake, ctx).item() == pytest.approx(partition - 0.0, rel=1e-6)
    # D's loss falls to log(real batch) as it tells the real images apart: 2 real images here
    assert loss.discriminator_loss(torch.full((2,), 30.0), fake, ctx).item() == pytest.approx(math.log(2), rel=1e-6)


def test_wgan_div_is_the_score_gap_plus_k_times_the_gradient_norm_to_the_p():
    real_logits, fake_logits = torch.tensor([2.0, 4.0]), torch.tensor([1.0, -1.0])
    loss = make_wgan_div(WGANDivParams())  # k = 2, p = 6
    assert loss.discriminator_loss(real_logits, fake_logits, context(Linear(2.0))).item() == pytest.approx(
        -3.0 + 2.0 * 2.0 ** 6, rel=1e-5)
    assert make_wgan_div(WGANDivParams(k=1.0, p=2.0)).discriminator_loss(
        real_logits, fake_logits, context(Linear(3.0))).item() == pytest.approx(-3.0 + 9.0, rel=1e-5)
    assert make_wgan_div(WGANDivParams(k=0.0)).discriminator_loss(real_logits, fake_logits, None).item() == -3.0
    assert loss.generator_loss(fake_logits, None).item() == 0.0


@pytest.mark.parametrize("recipe, override, words", [
    ("relativistic_mnist", "loss.params.variant=rahinge", "variant must be one of rsgan, ragan, ralsgan"),
    ("wgan_div_mnist", "loss.params.p=0.5", "p must be at least 1"),
    ("dragan_mnist", "loss.params.perturbation=0", "perturbation must be greater than 0"),
    ("vanilla_mnist", "algorithm.params.top_k_min=0", "top_k_min must be in"),
])
def test_bad_params_of_the_new_losses_are_one_line_errors(recipe, override, words):
    with pytest.raises(GanzooError, match=words) as error:
        load_recipe(ROOT / "recipes" / f"{recipe}.yaml", [override])
    assert "\n" not in str(error.value)
