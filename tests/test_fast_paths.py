"""Every fast path gives the results of the plain path (up to float rounding)."""

import pytest
import torch

from ganzoo import GanzooError
from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry
from ganzoo.training.trainer import start_run

from conftest import QUICK, RECIPE


def trained(tmp_path, name, *overrides, before_fit=lambda trainer: None):
    registry = load_registry()
    recipe = load_recipe(RECIPE, QUICK + ["train.epochs=1", "train.device=cpu", *overrides], registry)
    trainer = start_run(recipe, registry, tmp_path / name, PlainProgress())
    before_fit(trainer)
    trainer.fit()
    return trainer


@pytest.mark.parametrize("implementation", ["fused", "foreach"])
def test_optimizer_implementations_match_the_plain_loop(data_env, tmp_path, implementation):
    plain = trained(tmp_path, "loop", "optimizers.generator.implementation=loop",
                    "optimizers.discriminator.implementation=loop")
    fast = trained(tmp_path, implementation, f"optimizers.generator.implementation={implementation}",
                   f"optimizers.discriminator.implementation={implementation}")
    assert type(fast.optimizers["generator"]).__name__ == "Adam"
    assert fast.optimizers["generator"].defaults["fused" if implementation == "fused" else "foreach"] is True
    for model in ("generator", "discriminator"):
        for a, b in zip(plain.models[model].parameters(), fast.models[model].parameters()):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_auto_takes_the_fused_update_where_torch_has_one(data_env, tmp_path):
    trainer = trained(tmp_path, "auto")
    assert trainer.optimizers["generator"].defaults["fused"] is True and trainer.optimizers["discriminator"].defaults["fused"] is True


def test_fused_is_refused_for_an_optimizer_without_one(data_env, tmp_path):
    with pytest.raises(GanzooError, match="no fused implementation of RMSprop"):
        trained(tmp_path, "x", "optimizers.generator.name=rmsprop", "optimizers.generator.implementation=fused")


def test_thread_count_is_a_recipe_setting(data_env, tmp_path):
    before = torch.get_num_threads()
    try:
        trained(tmp_path, "one", "train.threads=1")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_bf16_autocast_trains_close_to_float32(data_env, tmp_path):
    import json

    trained(tmp_path, "fp32")
    half = trained(tmp_path, "bf16", "train.precision=bf16")
    assert all(p.dtype == torch.float32 for p in half.generator.parameters())  # weights stay float32
    read = lambda d: [json.loads(line) for line in (d / "metrics.jsonl").read_text().splitlines()]
    for a, b in zip(read(tmp_path / "fp32"), read(tmp_path / "bf16")):
        assert a["d_loss"] == pytest.approx(b["d_loss"], abs=0.05)
        assert a["g_loss"] == pytest.approx(b["g_loss"], abs=0.05)


def test_fast_tanh_trains_like_torch_tanh(data_env, tmp_path, monkeypatch):
    from ganzoo import layers

    fast = trained(tmp_path, "fast")
    assert any(isinstance(m, layers.Tanh) for m in fast.generator.modules())
    monkeypatch.setattr(layers, "tanh", torch.tanh)
    plain = trained(tmp_path, "plain")
    for model in ("generator", "discriminator"):
        for a, b in zip(plain.models[model].parameters(), fast.models[model].parameters()):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)



# ------------------------------------------------------------------ the direct optimiser step
def _twins(make):
    import copy

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    twin = copy.deepcopy(model)
    return model, make(model.parameters()), twin, make(twin.parameters())


def _backward(model, x):
    model.zero_grad(set_to_none=True)
    model(x).pow(2).sum().backward()


def _step_both(model, optimizer, twin, step, x):
    """One update of the model by torch's optimizer.step() and of its twin by the OptimizerUpdate."""
    _backward(model, x)
    _backward(twin, x)
    optimizer.step()
    step()


def _assert_same_weights(model, twin):
    for a, b in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


OPTIMIZERS = {
    "adam": lambda params: torch.optim.Adam(params, lr=1e-2, betas=(0.5, 0.999), fused=True),
    "adam, weight decay": lambda params: torch.optim.Adam(params, lr=1e-2, weight_decay=0.1, fused=True),
    "adamw": lambda params: torch.optim.AdamW(params, lr=1e-2, weight_decay=0.1, fused=True),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_direct_optimizer_step_is_torchs_own(name):
    from ganzoo.fast.optimizer_update import OptimizerUpdate

    model, optimizer, twin, twin_optimizer = _twins(OPTIMIZERS[name])
    step = OptimizerUpdate(twin_optimizer)
    assert step.direct
    for i in range(6):
        _step_both(model, optimizer, twin, step, torch.randn(8, 5))
        if i == 2:  # as a learning-rate schedule would
            for group in optimizer.param_groups + twin_optimizer.param_groups:
                group["lr"] = 3e-3
    _assert_same_weights(model, twin)
    ours, theirs = optimizer.state_dict()["state"], twin_optimizer.state_dict()["state"]
    for key in ours:
        for field in ("step", "exp_avg", "exp_avg_sq"):
            torch.testing.assert_close(ours[key][field], theirs[key][field], rtol=0, atol=0)


def test_the_direct_step_follows_a_loaded_state():
    import copy

    from ganzoo.fast.optimizer_update import OptimizerUpdate

    model, optimizer, twin, twin_optimizer = _twins(OPTIMIZERS["adam"])
    step = OptimizerUpdate(twin_optimizer)
    x = torch.randn(8, 5)
    for _ in range(2):
        _backward(model, x)
        optimizer.step()
    twin.load_state_dict(model.state_dict())
    twin_optimizer.load_state_dict(copy.deepcopy(optimizer.state_dict()))  # new state tensors, as on resume
    for _ in range(2):
        _step_both(model, optimizer, twin, step, x)
    _assert_same_weights(model, twin)


@pytest.mark.parametrize("make", [
    lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    lambda params: torch.optim.Adam(params, lr=1e-2, amsgrad=True, fused=True),
    lambda params: torch.optim.Adam(params, lr=1e-2, foreach=True),
])
def test_other_optimizers_take_their_own_step(make):
    from ganzoo.fast.optimizer_update import OptimizerUpdate

    model, optimizer, twin, twin_optimizer = _twins(make)
    step = OptimizerUpdate(twin_optimizer)
    assert not step.direct
    for _ in range(3):
        _step_both(model, optimizer, twin, step, torch.randn(8, 5))
    _assert_same_weights(model, twin)


def test_the_direct_step_with_a_group_that_starts_late_is_torchs_own():
    """A param group whose tensors get their first gradients after the others' state exists."""
    import copy

    from ganzoo.fast.optimizer_update import OptimizerUpdate

    torch.manual_seed(0)
    first, second = torch.nn.Linear(5, 4), torch.nn.Linear(4, 3)
    twin_first, twin_second = copy.deepcopy(first), copy.deepcopy(second)

    def make(a, b):
        return torch.optim.Adam([{"params": a.parameters()}, {"params": b.parameters(), "lr": 1e-3}],
                                lr=1e-2, fused=True)

    optimizer, twin_optimizer = make(first, second), make(twin_first, twin_second)
    step = OptimizerUpdate(twin_optimizer)
    for i in range(4):
        x = torch.randn(8, 5)
        for a, b in ((first, second), (twin_first, twin_second)):
            a.zero_grad(set_to_none=True)
            b.zero_grad(set_to_none=True)
            out = a(x)
            (b(out) if i >= 2 else out).pow(2).sum().backward()  # the second group joins at step 2
        optimizer.step()
        step()
    for a, b in zip([*first.parameters(), *second.parameters()], [*twin_first.parameters(), *twin_second.parameters()]):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_the_optimizers_stand_in_calls_the_method_until_dynamo_loads_then_hands_over_to_torch(monkeypatch):
    """ganzoo.fast.lazy_dynamo: while torch._dynamo is not loaded nothing compiles, so the method runs as
    it is; once anything loads it, torch's own marking (torch._dynamo.disable) takes over for good."""
    import sys

    import torch._dynamo

    from ganzoo.fast.lazy_dynamo import _until_dynamo_loads

    calls = []

    def method(x):
        calls.append(x)
        return x + 1

    stand_in = _until_dynamo_loads(method)
    monkeypatch.delitem(sys.modules, "torch._dynamo")
    assert stand_in(1) == 2 and getattr(method, "__dynamo_disable", None) is None
    monkeypatch.setitem(sys.modules, "torch._dynamo", torch._dynamo)
    assert stand_in(2) == 3
    marked = getattr(method, "__dynamo_disable")
    assert marked is not stand_in and marked(3) == 4
    assert calls == [1, 2, 3]
