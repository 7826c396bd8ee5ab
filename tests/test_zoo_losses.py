"""The zoo's losses and the public penalties, on values known in closed form."""

import pytest
import torch
from torch import nn

from ganzoo import GanzooError, LossContext, gradient_penalty, r1_penalty
from ganzoo.recipe import load_recipe
from ganzoo_vanilla.bce import BCEParams, make_bce
from ganzoo_zoo.losses import HingeParams, LSGANParams, WGANGPParams, make_hinge, make_lsgan, make_wgan_gp

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
