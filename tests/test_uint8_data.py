"""Images held as uint8: the trainer scales each batch to [-1, 1] to the very numbers that datasets
computed before (x / 127.5 - 1 as float32), and float datasets keep working as they are."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from ganzoo import ImageData, hookimpl
from ganzoo.data import unit_range
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from ganzoo.recipe import load_recipe
from ganzoo.training.trainer import start_run
from ganzoo_vanilla.mnist import MNISTParams, load_mnist
from runs import TINY, StopAt, final_weights, logged
from runs import single_thread  # noqa: F401 (autouse fixture)
from conftest import ROOT, RECIPE

PLUGIN = PluginInfo("float-mnist-test", "ganzoo-float-mnist-test", "1.0.0")


def test_every_byte_scales_to_what_datasets_computed_before():
    values = torch.arange(256, dtype=torch.uint8)
    before = values.float().div_(127.5).sub_(1.0)  # what the MNIST, Fashion and image-folder readers did
    assert unit_range(values).dtype == torch.float32
    assert torch.equal(unit_range(values), before)
    assert torch.equal(unit_range(values), values.float() / 127.5 - 1)
    assert unit_range(values)[[0, 255]].tolist() == [-1.0, 1.0]
    floats = torch.rand(3, 2) * 2 - 1
    assert unit_range(floats) is floats  # float data (2-D points...) pass as they are


@dataclass
class FloatMNISTParams(MNISTParams):
    pass


def float_mnist(params: FloatMNISTParams) -> ImageData:
    """MNIST converted to floats up front, as the reader did before it handed over uint8."""
    data = load_mnist(params)
    return ImageData(images=data.images.float().div_(127.5).sub_(1.0), labels=data.labels, num_classes=10)


class Plugin:
    @staticmethod
    @hookimpl
    def register_datasets(register):
        register("float-mnist", float_mnist, FloatMNISTParams)


def _train(run_dir, recipe, overrides):
    registry = load_registry(extra_plugins=[(PLUGIN, Plugin)])
    trainer = start_run(load_recipe(recipe, overrides, registry), registry, run_dir, StopAt())
    return trainer, trainer.fit()


BASE = ["train.epochs=1", "train.batch_size=64", "train.log_every=2", "output.grid_size=4", "train.device=cpu",
        "dataset.params.download=false"]


@pytest.mark.parametrize("recipe, extra, fused", [
    (RECIPE, ["discriminator.params.dropout=0.0", *TINY[-3:]], True),  # the fused MLP step gathers into its buffer
    (ROOT / "recipes" / "dcgan_mnist.yaml",  # autograd steps, convolutions
     ["generator.params.base_channels=4", "discriminator.params.base_channels=4", "train.ema_decay=0"], False),
], ids=["vanilla-fused", "dcgan"])
def test_uint8_mnist_trains_to_the_numbers_float_mnist_did(data_env, tmp_path, recipe, extra, fused):
    as_bytes, _ = _train(tmp_path / "uint8", recipe, BASE + extra)
    as_floats, _ = _train(tmp_path / "float", recipe, BASE + extra + ["dataset.name=float-mnist"])
    assert (as_bytes.fused_step is not None) == fused
    assert as_bytes.images.dtype == torch.uint8 and as_floats.images.dtype == torch.float32
    assert as_bytes.images.element_size() * 4 == as_floats.images.element_size()
    got, want = final_weights(tmp_path / "uint8"), final_weights(tmp_path / "float")
    for key in want:
        assert torch.equal(got[key], want[key]), key
    assert logged(tmp_path / "uint8") == logged(tmp_path / "float")


def test_the_cpu_formula_and_the_table_other_devices_read_agree_at_every_length():
    from ganzoo.data import _unit_table

    table = _unit_table()
    for n in [1, 15, 16, 17, 255, 256, 257, 100352]:
        values = (torch.arange(n) * 7 % 256).to(torch.uint8)
        out = torch.empty(n)
        assert torch.equal(unit_range(values), table[values.long()])
        assert unit_range(values, out=out) is not None and torch.equal(out, table[values.long()])
