"""Non-finite losses or weights: stop naming the step and keep the good checkpoint, or skip the step."""

from __future__ import annotations

import math

import pytest
import torch

import ganzoo.training.trainer
from conftest import RECIPE
from ganzoo import GanzooError, cli
from ganzoo.training import checkpoint
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY, StopAt, final_weights, logged, start, train


class NaNAt:
    """Wraps a loss so that the listed (0-based) steps give NaN, as a diverging run would."""

    def __init__(self, loss, d_steps=(), g_steps=()):
        self.loss, self.d_steps, self.g_steps = loss, set(d_steps), set(g_steps)

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        value = self.loss.discriminator_loss(real_logits, fake_logits, ctx)
        return value * math.nan if ctx.step in self.d_steps else value

    def generator_loss(self, fake_logits, ctx):
        value = self.loss.generator_loss(fake_logits, ctx)
        return value * math.nan if ctx.step in self.g_steps else value


@pytest.fixture
def nan_at(monkeypatch):
    def install(**steps):
        build = ganzoo.training.trainer.build_losses
        monkeypatch.setattr(ganzoo.training.trainer, "build_losses",
                            lambda *args: {role: NaNAt(loss, **steps) for role, loss in build(*args).items()})
    return install


def test_nan_loss_stops_naming_the_step_and_keeps_the_good_checkpoint(data_env, tmp_path, nan_at, capsys):
    nan_at(d_steps=range(10, 100))  # the 11th step diverges; epoch 1 (8 steps) was checkpointed
    run_dir = tmp_path / "run"
    code = cli.main(["run", str(RECIPE), *TINY, "output.keep_checkpoints=1", "--out", str(run_dir), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    message = err[-1]
    assert message.startswith("ganzoo: error: d_loss (nan) became non-finite in steps 10 to 12")
    assert "step-000000008.pt (kept as it was)" in message and "train.on_nonfinite=skip" in message
    assert "Traceback" not in "\n".join(err)
    assert checkpoint.list_checkpoints(run_dir) == [checkpoint.checkpoint_path(run_dir, 8)]
    weights = final_weights(run_dir)
    assert all(torch.isfinite(w).all() for w in weights.values())
    assert all(record["step"] <= 9 and math.isfinite(record["d_loss"]) for record in logged(run_dir))


def test_divergence_at_an_epoch_end_writes_no_checkpoint(data_env, tmp_path, nan_at):
    nan_at(g_steps=[7])  # the epoch's last step: caught before its checkpoint is written
    with pytest.raises(GanzooError, match=r"g_loss \(nan\) became non-finite in steps 7 to 8: .*no checkpoint was written"):
        train(tmp_path / "run")
    assert checkpoint.list_checkpoints(tmp_path / "run") == []


def test_non_finite_weights_are_never_checkpointed(data_env, tmp_path):
    class PoisonAt(StopAt):
        def advance(self, steps=1):
            if self.trainer.steps_done == 13:  # weights break, then Ctrl-C asks for a checkpoint
                with torch.no_grad():
                    next(self.trainer.generator.parameters())[0, 0] = math.inf
                self.trainer.stop_requested = True

    with pytest.raises(GanzooError, match="the generator's weights became non-finite .*step-000000008.pt"):
        start(tmp_path / "run", ["output.keep_checkpoints=1"], PoisonAt()).fit()
    assert checkpoint.list_checkpoints(tmp_path / "run") == [checkpoint.checkpoint_path(tmp_path / "run", 8)]
    assert all(torch.isfinite(w).all() for w in final_weights(tmp_path / "run").values())


def test_skip_leaves_the_bad_step_out_and_carries_on(data_env, tmp_path, nan_at):
    nan_at(d_steps=[10, 11])
    seen = {}

    class Watch(StopAt):
        def advance(self, steps=1):
            if self.trainer.steps_done in (10, 12):
                seen[self.trainer.steps_done] = [p.detach().clone() for p in self.trainer.models["discriminator"].parameters()]

    start(tmp_path / "run", ["train.on_nonfinite=skip"], Watch()).fit()
    # D's two NaN updates were not applied: its weights did not move over steps 11 and 12.
    assert all(torch.equal(a, b) for a, b in zip(seen[10], seen[12]))
    records = logged(tmp_path / "run")
    assert sum(r["skipped"] for r in records) == 2
    assert records[-1]["step"] == 32 and all(math.isfinite(r["d_loss"]) for r in records)
    assert all(torch.isfinite(w).all() for w in final_weights(tmp_path / "run").values())


def test_skip_stops_when_every_step_is_non_finite(data_env, tmp_path, nan_at):
    nan_at(d_steps=range(100), g_steps=range(100))
    with pytest.raises(GanzooError, match="every loss became non-finite in steps 1 to 3"):
        train(tmp_path / "run", ["train.on_nonfinite=skip"])
