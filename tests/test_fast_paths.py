"""Every fast path gives the results of the plain path (up to float rounding)."""

import pytest
import torch

from ganzoo import GanzooError
from ganzoo.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.registry import load_registry
from ganzoo.trainer import start_run

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
    assert type(fast.opt_g).__name__ == "Adam"
    assert fast.opt_g.defaults["fused" if implementation == "fused" else "foreach"] is True
    for model in ("generator", "discriminator"):
        for a, b in zip(getattr(plain, model).parameters(), getattr(fast, model).parameters()):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_auto_takes_the_fused_update_where_torch_has_one(data_env, tmp_path):
    trainer = trained(tmp_path, "auto")
    assert trainer.opt_g.defaults["fused"] is True and trainer.opt_d.defaults["fused"] is True


def test_fused_is_refused_for_an_optimizer_without_one(data_env, tmp_path):
    with pytest.raises(GanzooError, match="'rmsprop' has no fused implementation"):
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
        for a, b in zip(getattr(plain, model).parameters(), getattr(fast, model).parameters()):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)

