"""Contracts checked at run time: a component that returns the wrong thing is named in one line
(with its plugin) on the first step, exit code 2, instead of training silently or crashing deep."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from conftest import RECIPE
from ganzoo import cli, hookimpl
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY

SETTINGS = [item for item in TINY if not item.startswith(("generator.", "discriminator."))]

BAD = PluginInfo("bad", "ganzoo-bad", "0.0.2")


class ElevenLogits(nn.Module):  # (N, 11): today's models would train on it silently
    def __init__(self, params, data):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 11))

    def forward(self, x):
        return self.net(x)


class TupleOut(ElevenLogits):
    def forward(self, x):
        out = self.net(x)
        return out[:, :1], out[:, 1:]


class FlatGenerator(nn.Module):  # (N, 784) where the data are (N, 1, 28, 28)
    latent_dim = 8

    def __init__(self, params, data):
        super().__init__()
        self.net = nn.Linear(8, 784)

    def forward(self, z):
        return torch.tanh(self.net(z))


class VectorLoss:
    def __init__(self, params):
        pass

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return fake_logits - real_logits  # no .mean()

    def generator_loss(self, fake_logits, ctx):
        return -fake_logits.mean()


class BadPlugin:
    @staticmethod
    @hookimpl
    def register_discriminators(register):
        register("eleven", ElevenLogits, None)
        register("tuple", TupleOut, None)

    @staticmethod
    @hookimpl
    def register_generators(register):
        register("flat", FlatGenerator, None)

    @staticmethod
    @hookimpl
    def register_losses(register):
        register("vector", VectorLoss, None)


@pytest.mark.parametrize("overrides, message", [
    (["discriminator.name=eleven"], "discriminator 'eleven' (ganzoo-bad 0.0.2): returned logits of shape (2, 11) "
                                    "for 2 images; it must return one logit per image"),
    (["discriminator.name=tuple"], "discriminator 'tuple' (ganzoo-bad 0.0.2): returned tuple where a tensor of "
                                   "logits belongs"),
    (["generator.name=flat"], "generator 'flat' (ganzoo-bad 0.0.2): makes samples of shape (784,), but the "
                              "data's are (1, 28, 28)"),
    (["loss.name=vector"], "loss 'vector' (ganzoo-bad 0.0.2): discriminator_loss returned a tensor of shape (64,); "
                           "it must return a scalar tensor"),
])
def test_a_component_breaking_its_contract_is_named_in_one_line(data_env, tmp_path, monkeypatch, capsys,
                                                                overrides, message):
    monkeypatch.setattr("ganzoo.commands.run._registry", lambda args: load_registry(extra_plugins=[(BAD, BadPlugin)]))
    code = cli.main(["run", str(RECIPE), *SETTINGS, *overrides, "--out", str(tmp_path / "run"), "--quiet"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ganzoo: ")]
    assert code == 2, err
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "run" / "checkpoints").exists()  # nothing trained on it
