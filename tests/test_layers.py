"""ganzoo.Tanh: torch.tanh's values and gradients, computed the fast way on the CPU."""

import pytest
import torch

from ganzoo import Tanh
from ganzoo import layers


def _inputs(dtype=torch.float32):
    torch.manual_seed(0)
    x = torch.cat([torch.randn(4096) * 3, torch.linspace(-20, 20, 401),
                   torch.tensor([0.0, -0.0, 1e-8, -1e-8, 88.0, -88.0, 1e4, -1e4])])
    return x.to(dtype)


def test_values_and_gradients_match_torch_tanh():
    x = _inputs().requires_grad_()
    ours = Tanh()(x)
    reference = torch.tanh(x.detach().clone().requires_grad_())
    torch.testing.assert_close(ours, reference.detach(), rtol=0, atol=3e-7)
    grad_out = torch.randn_like(ours)
    (g_ours,) = torch.autograd.grad(ours, x, grad_out)
    x_ref = x.detach().clone().requires_grad_()
    (g_ref,) = torch.autograd.grad(torch.tanh(x_ref), x_ref, grad_out)
    torch.testing.assert_close(g_ours, g_ref, rtol=0, atol=1e-6)
    assert ours.abs().max() <= 1.0  # images stay in [-1, 1]


def test_infinities_and_nans_behave_like_torch():
    x = torch.tensor([float("inf"), float("-inf"), float("nan")])
    out = layers.tanh(x)
    assert out[0] == 1.0 and out[1] == -1.0 and out[2].isnan()


def test_second_derivatives_match_torch():
    """Penalties that differentiate gradients (path length, R1 through G) need tanh's second derivative."""
    x = _inputs()[:512].requires_grad_()
    (g,) = torch.autograd.grad(layers.tanh(x).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    x_ref = x.detach().clone().requires_grad_()
    (g_ref,) = torch.autograd.grad(torch.tanh(x_ref).sum(), x_ref, create_graph=True)
    (gg_ref,) = torch.autograd.grad(g_ref.sum(), x_ref)
    torch.testing.assert_close(gg, gg_ref, rtol=0, atol=2e-6)


def test_other_dtypes_are_torch_tanh_exactly():
    for dtype in (torch.float64, torch.bfloat16):
        x = _inputs(dtype)
        assert torch.equal(layers.tanh(x), torch.tanh(x))


def test_it_is_a_drop_in_for_nn_tanh():
    a = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh())
    b = torch.nn.Sequential(torch.nn.Linear(3, 4), Tanh())
    b.load_state_dict(a.state_dict())  # no parameters of its own: checkpoints stay compatible
    assert a.state_dict().keys() == b.state_dict().keys()
    assert isinstance(b[1], torch.nn.Tanh)  # code that looks for nn.Tanh layers still finds it
    x = torch.randn(8, 3)
    torch.testing.assert_close(a(x), b(x), rtol=0, atol=3e-7)


def test_no_grad_path_gives_torch_tanh_values():
    x = _inputs()
    with torch.no_grad():
        torch.testing.assert_close(layers.tanh(x.clone().requires_grad_()), torch.tanh(x), rtol=0, atol=3e-7)


@pytest.mark.filterwarnings("ignore:`torch.jit.trace")
def test_traced_and_exported_models_compute_tanh():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), Tanh())
    probe = torch.randn(5, 3)
    traced = torch.jit.trace(model, torch.randn(2, 3))
    assert "aten::tanh" in str(traced.inlined_graph)  # a traced model holds the standard op
    exported = torch.export.export(model, (probe,)).module()
    for other in (traced, exported):
        torch.testing.assert_close(other(probe), model(probe), rtol=0, atol=3e-7)
