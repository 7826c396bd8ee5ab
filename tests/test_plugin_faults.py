"""A plugin's component factory may raise anything, or return the wrong thing: the user gets one line
naming the component and its plugin, exit code 2, and no traceback (--debug shows it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ganzoo
import ganzoo.cli
from conftest import RECIPE
from ganzoo import cli, hookimpl
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY

SETTINGS = settings(max_examples=int(os.environ.get("GANZOO_HYPOTHESIS_EXAMPLES", "25")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PLUGIN = PluginInfo("faulty", "ganzoo-faulty", "0.3.0")


class CustomError(Exception):
    pass


EXCEPTIONS = [RuntimeError, KeyError, IndexError, AttributeError, ZeroDivisionError, AssertionError, OSError,
              MemoryError, NotImplementedError, RecursionError, LookupError, UnicodeError, StopIteration,
              ValueError, TypeError, CustomError]


class Faulty:
    """A plugin whose one component of ``kind`` does ``behaviour`` when built."""

    def __init__(self, kind, behaviour):
        self.kind, self.behaviour = kind, behaviour

    def factory(self, *args):
        return self.behaviour()

    @hookimpl
    def register_generators(self, register):
        if self.kind == "generator":
            register("faulty", self.factory)

    @hookimpl
    def register_discriminators(self, register):
        if self.kind == "discriminator":
            register("faulty", self.factory)

    @hookimpl
    def register_losses(self, register):
        if self.kind == "loss":
            register("faulty", self.factory)

    @hookimpl
    def register_datasets(self, register):
        if self.kind == "dataset":
            register("faulty", self.factory)


def raising(exception, message):
    def behaviour():
        raise exception(message)
    return behaviour


def run_with(monkeypatch, tmp_path, kind, behaviour, *flags):
    """`ganzoo run` of the tiny recipe with its ``kind`` replaced by the faulty plugin's."""
    registry = load_registry(extra_plugins=[(PLUGIN, Faulty(kind, behaviour))])
    monkeypatch.setattr("ganzoo.commands.run._registry", lambda args: registry)
    document = yaml.safe_load(RECIPE.read_text())
    document[kind] = {"name": "faulty", "params": {}}
    recipe = tmp_path / "faulty.yaml"
    recipe.write_text(yaml.safe_dump(document))
    overrides = [item for item in TINY if not item.startswith(f"{kind}.")]
    return cli.main(["run", str(recipe), *overrides, "--out", str(tmp_path / "run"), "--quiet", *flags])


@pytest.mark.parametrize("exception", [RuntimeError, KeyError, MemoryError], ids=lambda e: e.__name__)
def test_a_factory_that_raises_names_the_component_and_its_plugin(data_env, tmp_path, monkeypatch, capsys, exception):
    assert run_with(monkeypatch, tmp_path, "generator", raising(exception, "boom")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganzoo: error: generator 'faulty' (ganzoo-faulty 0.3.0) cannot be built")
    assert "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_debug_shows_the_traceback(data_env, tmp_path, monkeypatch):
    with pytest.raises(ganzoo.GanzooError, match="generator 'faulty'"):
        run_with(monkeypatch, tmp_path, "generator", raising(RuntimeError, "boom"), "--debug")


def test_a_dataset_that_returns_an_int(data_env, tmp_path, monkeypatch, capsys):
    assert run_with(monkeypatch, tmp_path, "dataset", lambda: 7) == 2
    assert "dataset 'faulty' returned int, not ganzoo.ImageData" in capsys.readouterr().err


BEHAVIOURS = st.one_of(
    st.builds(raising, st.sampled_from(EXCEPTIONS), st.text(max_size=30)),
    st.sampled_from([None, 0, "text", [], object()]).map(lambda value: (lambda: value)),
)


@SETTINGS
@given(kind=st.sampled_from(["generator", "discriminator", "loss", "dataset"]), behaviour=BEHAVIOURS)
def test_any_fault_of_a_factory_is_one_line_and_exit_2(data_env, tmp_path, monkeypatch, capsys, kind, behaviour):
    code = run_with(monkeypatch, tmp_path, kind, behaviour)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("ganzoo: error: ") and f"{kind} 'faulty'" in err[0], err


# ---------------------------------------------------------------- faults while training
class Breaking:
    """A plugin whose components work until the ``at``-th call of the method under test, which raises."""

    def __init__(self, kind, error, at):
        self.kind, self.error, self.at, self.calls = kind, error, at, 0

    def tick(self):
        self.calls += 1
        if self.calls == self.at:
            raise self.error

    def generator(self, params, data):
        plugin = self

        class Generator(torch.nn.Module):
            latent_dim = 8

            def __init__(self):
                super().__init__()
                self.net = torch.nn.Linear(8, 784)

            def forward(self, z):
                if self.training:
                    plugin.tick()
                return torch.tanh(self.net(z)).view(-1, 1, 28, 28)

        return Generator()

    def discriminator(self, params, data):
        plugin = self

        class Discriminator(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = torch.nn.Linear(784, 1)

            def forward(self, x):
                if self.training:
                    plugin.tick()
                return self.net(x.flatten(1))

        return Discriminator()

    def loss(self, params):
        plugin = self

        class Loss:
            def discriminator_loss(self, real_logits, fake_logits, ctx):
                plugin.tick()
                return torch.nn.functional.softplus(-real_logits).mean() + torch.nn.functional.softplus(fake_logits).mean()

            def generator_loss(self, fake_logits, ctx):
                return torch.nn.functional.softplus(-fake_logits).mean()

        return Loss()

    def callback(self, params):
        plugin = self

        class Callback(ganzoo.Callback):
            def after_step(self, run):
                plugin.tick()

        return Callback()

    @hookimpl
    def register_generators(self, register):
        register("breaking", self.generator)

    @hookimpl
    def register_discriminators(self, register):
        register("breaking", self.discriminator)

    @hookimpl
    def register_losses(self, register):
        register("breaking", self.loss)

    @hookimpl
    def register_callbacks(self, register):
        register("breaking", self.callback)


SECTIONS = {"generator": ["generator.name=breaking"], "discriminator": ["discriminator.name=breaking"],
            "loss": ["loss.name=breaking"], "callback": ["callbacks=[{name: breaking}]"]}


@SETTINGS
@given(kind=st.sampled_from(sorted(SECTIONS)), exception=st.sampled_from(EXCEPTIONS), message=st.text(max_size=30),
       at=st.integers(1, 6))
def test_any_fault_while_training_is_one_line_naming_the_component(data_env, tmp_path, monkeypatch, capsys,
                                                                    kind, exception, message, at):
    registry = load_registry(extra_plugins=[(PLUGIN, Breaking(kind, exception(message), at))])
    monkeypatch.setattr("ganzoo.commands.run._registry", lambda args: registry)
    overrides = [item for item in TINY if not item.startswith(("generator.", "discriminator."))]
    out = tempfile.mkdtemp(dir=tmp_path)  # hypothesis runs the test many times in one tmp_path
    code = cli.main(["run", str(RECIPE), *overrides, *SECTIONS[kind], "train.epochs=1", "train.step=autograd",
                     "--out", str(Path(out) / "run"), "--quiet"])
    err = [line for line in capsys.readouterr().err.strip().splitlines() if line.startswith("ganzoo: error")]
    assert code == 2
    assert len(err) == 1 and f"{kind} 'breaking' (ganzoo-faulty 0.3.0) failed" in err[0], err
