"""A plugin that calls sys.exit (any code, 0 included) or raises KeyboardInterrupt while a run trains has
failed: one line naming it, exit code 2, and a checkpoint of the last completed step that resumes to the
uninterrupted run's numbers. A real Ctrl-C still stops the run (exit 130, resumable: tests/test_resume.py)."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

import pytest
import torch

from conftest import RECIPE
from ganzoo import Callback, cli, hookimpl
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from ganzoo.training import checkpoint
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY, final_weights, registry

PLUGIN = PluginInfo("quitting", "ganzoo-quitting", "0.3.0")
EXITS = {"exit0": SystemExit(0), "exit3": SystemExit(3), "exit-text": SystemExit("bye"),
         "keyboard": KeyboardInterrupt(), "signal": None}


@dataclass
class QuitParams:
    at: int = -1  # the step after which it quits
    how: str = "exit0"  # a key of EXITS


class Quit(Callback):
    def __init__(self, params):
        self.at, self.how = params.at, params.how

    def after_step(self, run):
        if run.step == self.at:
            if self.how == "signal":  # a real Ctrl-C, arriving while the plugin runs
                os.kill(os.getpid(), signal.SIGINT)
            else:
                raise EXITS[self.how]


class QuitLoss:
    """The vanilla loss, but its discriminator loss exits at the given step: mid-step, models half updated."""

    def __init__(self, params):
        self.calls, self.at = 0, params.at

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        self.calls += 1
        if self.calls == self.at:
            raise SystemExit(0)
        return torch.nn.functional.softplus(-real_logits).mean() + torch.nn.functional.softplus(fake_logits).mean()

    def generator_loss(self, fake_logits, ctx):
        return torch.nn.functional.softplus(-fake_logits).mean()


class QuittingPlugin:
    @staticmethod
    @hookimpl
    def register_callbacks(register):
        register("quit", Quit, QuitParams, "Quits the run.")

    @staticmethod
    @hookimpl
    def register_losses(register):
        register("quit", QuitLoss, QuitParams, "Quits mid-step.")


@pytest.fixture
def quitting(monkeypatch):
    plugged = load_registry(extra_plugins=[(PLUGIN, QuittingPlugin)])
    monkeypatch.setattr("ganzoo.commands.run._registry", lambda args: plugged)
    return plugged


def run(run_dir, *overrides):
    return cli.main([str(a) for a in ("run", RECIPE, *TINY, "train.epochs=1", "train.step=autograd", *overrides,
                                      "--out", run_dir, "--quiet")])


def errors(capsys):
    return [line for line in capsys.readouterr().err.strip().splitlines() if line.startswith("ganzoo: ")]


@pytest.mark.parametrize("how, words", [
    ("exit0", "SystemExit: exit code 0, raised inside the plugin"),
    ("exit3", "SystemExit: exit code 3, raised inside the plugin"),
    ("exit-text", "SystemExit: exit code 'bye', raised inside the plugin"),
    ("keyboard", "KeyboardInterrupt: raised inside the plugin, not by Ctrl-C")])
def test_a_plugin_that_exits_after_a_step_fails_in_one_line_and_saves_that_step(data_env, tmp_path, capsys,
                                                                               quitting, how, words):
    run_dir = tmp_path / "run"
    code = run(run_dir, f"callbacks=[{{name: quit, params: {{at: 5, how: {how}}}}}]")
    err = errors(capsys)
    assert code == 2 and len(err) == 1, err
    assert err[0] == (f"ganzoo: error: callback 'quit' (ganzoo-quitting 0.3.0) failed at step 5: {words} (a plugin "
                      "must not end the run); a checkpoint of step 5 is saved; fix the plugin, then resume with: "
                      f"ganzoo run --resume {run_dir} (--debug shows the traceback)")
    assert [p.name for p in checkpoint.list_checkpoints(run_dir)] == ["step-000000005.pt"]


def test_the_saved_step_resumes_to_the_uninterrupted_run(data_env, tmp_path, capsys, quitting):
    whole = tmp_path / "whole"
    assert run(whole, "callbacks=[{name: quit}]") == 0
    stopped = tmp_path / "stopped"
    assert run(stopped, "callbacks=[{name: quit, params: {at: 5}}]") == 2
    assert cli.main(["run", "--resume", str(stopped), "callbacks=[{name: quit}]", "--quiet"]) == 0
    capsys.readouterr()
    assert all(torch.equal(a, b) for a, b in zip(final_weights(whole).values(), final_weights(stopped).values()))
    lines = lambda run_dir: [line.split('"images_per_sec"')[0] for line in  # noqa: E731
                             (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert lines(whole) == lines(stopped)  # each step logged once


def test_a_plugin_that_exits_mid_step_saves_nothing_half_updated(data_env, tmp_path, capsys, quitting):
    run_dir = tmp_path / "run"
    code = run(run_dir, "loss.name=quit", "loss.params.at=5")
    err = errors(capsys)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("ganzoo: error: loss 'quit' (ganzoo-quitting 0.3.0) failed at step 5: SystemExit: "
                             "exit code 0, raised inside the plugin (a plugin must not end the run); it stopped "
                             "before its first checkpoint (a resume starts again from step 0); fix the plugin"), err
    assert checkpoint.list_checkpoints(run_dir) == []


def test_a_real_ctrl_c_while_a_plugin_runs_still_stops_the_run_resumably(data_env, tmp_path, capsys, quitting):
    run_dir = tmp_path / "run"
    code = run(run_dir, "callbacks=[{name: quit, params: {at: 5, how: signal}}]")
    err = capsys.readouterr().err
    assert code == 130, err
    assert "stopped at step 5" in err and f"ganzoo run --resume {run_dir}" in err
    assert checkpoint.list_checkpoints(run_dir)[-1].name == "step-000000005.pt"


def test_ctrl_c_under_the_python_api_is_still_a_keyboard_interrupt(data_env, tmp_path, quitting):
    from ganzoo.recipe import load_recipe
    from ganzoo.training.trainer import start_run

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    recipe = load_recipe(RECIPE, [*TINY, "train.epochs=1", "callbacks=[{name: quit, params: {at: 3, how: signal}}]"],
                         quitting)
    trainer = start_run(recipe, quitting, tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
