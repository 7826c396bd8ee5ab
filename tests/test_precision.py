"""train.precision: fp16 with a gradient scaler, and auto, chosen once by the trainer."""

import json

import pytest
import torch

from ganzoo.algorithm import Batch
from ganzoo.data import unit_range
from ganzoo.errors import GanzooError
from ganzoo.training import precision
from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry
from ganzoo.training.trainer import resume_run, start_run

from conftest import QUICK, ROOT

DCGAN = ROOT / "recipes" / "dcgan_mnist.yaml"
TINY_DCGAN = ["generator.params.base_channels=4", "discriminator.params.base_channels=4",
              "generator.params.latent_dim=8", "train.ema_decay=0.0"]


def trained(tmp_path, name, *overrides, recipe=DCGAN, epochs=1):
    registry = load_registry()
    loaded = load_recipe(recipe, QUICK + [f"train.epochs={epochs}", "train.device=cpu", *TINY_DCGAN, *overrides],
                         registry)
    trainer = start_run(loaded, registry, tmp_path / name, PlainProgress())
    trainer.fit()
    return trainer


def losses(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_fp16_scales_the_loss_and_trains_close_to_float32(data_env, tmp_path):
    trained(tmp_path, "fp32")
    half = trained(tmp_path, "fp16", "train.precision=fp16")
    scaler = half.precision.scaler
    assert isinstance(scaler, torch.amp.GradScaler) and half.step_context.scaler is scaler
    assert all(p.dtype == torch.float32 for p in half.generator.parameters())  # weights stay float32
    assert scaler.get_scale() > 1  # the loss was scaled; the updates were not thrown away
    for a, b in zip(losses(tmp_path / "fp32"), losses(tmp_path / "fp16")):
        assert a["d_loss"] == pytest.approx(b["d_loss"], abs=0.05)
        assert a["g_loss"] == pytest.approx(b["g_loss"], abs=0.05)


def test_an_overflowing_fp16_update_is_skipped_and_the_scale_lowered(data_env, tmp_path):
    registry = load_registry()
    recipe = load_recipe(DCGAN, QUICK + ["train.device=cpu", "train.precision=fp16", *TINY_DCGAN], registry)
    trainer = start_run(recipe, registry, tmp_path / "run", PlainProgress())
    trainer.precision.scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 60)  # overflows float16 at once
    trainer.step_context.scaler = trainer.precision.scaler
    step = trainer.step_context
    applied = []
    update = step.update
    step.update = lambda roles, loss: applied.append(update(roles, loss)) or applied[-1]
    before = [p.detach().clone() for p in trainer.models["discriminator"].parameters()]
    trainer.take_step(Batch(unit_range(trainer.images[:64]), None))
    after = list(trainer.models["discriminator"].parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # the update was skipped
    assert trainer.precision.scaler.get_scale() < 2.0 ** 60
    # the algorithm is told, and the log counts them, as train.on_nonfinite=skip refusals are
    assert applied and not any(applied)
    assert trainer.window.skipped == len(applied)
    assert trainer.log(0) is None  # nothing was logged: not a divergence, the window goes on
    trainer.precision.scaler = trainer.step_context.scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8)
    trainer.take_step(Batch(unit_range(trainer.images[:64]), None))
    assert applied[-1] and trainer.log(0)["skipped"] == len(applied) - 2


def test_an_fp16_update_skipped_for_a_nonfinite_loss_stops_the_run(data_env, tmp_path):
    registry = load_registry()
    recipe = load_recipe(DCGAN, QUICK + ["train.device=cpu", "train.precision=fp16", *TINY_DCGAN], registry)
    trainer = start_run(recipe, registry, tmp_path / "run", PlainProgress())
    trainer.take_step(Batch(torch.full((64, 1, 28, 28), float("nan")), None))
    assert trainer.window.skipped and not trainer.window.overflowed
    with pytest.raises(GanzooError, match="became non-finite at step 1: training diverged"):
        trainer.log(0)


def test_fp16_resumes_with_its_scale(data_env, tmp_path):
    first = trained(tmp_path, "run", "train.precision=fp16")
    scale = first.precision.scaler.get_scale()
    resumed = resume_run(tmp_path / "run", load_registry(), PlainProgress(), ["train.epochs=2"])
    assert resumed.precision.scaler.get_scale() == scale


@pytest.mark.parametrize("flags, models, expected", [
    ({"avx2", "amx_bf16"}, "conv", "bf16"),
    ({"avx512_bf16"}, "conv", "bf16"),
    ({"avx2", "avx512f"}, "conv", "fp32"),
    ({"amx_bf16"}, "mlp", "fp32"),
])
def test_auto_takes_bf16_for_convolutions_on_a_cpu_that_has_it(flags, models, expected):
    model = (torch.nn.Conv2d(1, 2, 3) if models == "conv" else torch.nn.Linear(2, 2))
    chosen, why = precision.resolve("auto", torch.device("cpu"), [model], flags)
    assert chosen == expected and why.startswith(f"auto: {expected}")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 amx_bf16\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert precision.cpu_flags(info) == {"fpu", "avx2", "amx_bf16"}
    assert precision.cpu_flags(tmp_path / "missing") == set()


def test_auto_runs_take_what_resolve_chooses(data_env, tmp_path):
    trainer = trained(tmp_path, "auto", "train.precision=auto")
    expected, _ = precision.resolve("auto", torch.device("cpu"), trainer.models.values())
    assert trainer.precision.name == expected
