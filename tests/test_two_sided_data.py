"""The two-sided data contract: datasets give paired (input -> target) or unpaired (domain A, domain B)
data; the trainer hands each batch its targets, aligned or in their own seeded order, sharded and
resumed like the images; translation algorithms name their directions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

import ganzoo
from ganzoo import GanzooError, hookimpl
from ganzoo.pluginhost.registry import PluginInfo
from ganzoo.recipe import load_recipe
from runs import fit, registry, single_thread  # noqa: F401 (autouse fixture)

PLUGIN = PluginInfo("two-sided-test", "ganzoo-two-sided-test", "1.0.0")
N_A, N_B = 96, 80  # unpaired domains of different sizes


@dataclass
class ToyPairsParams:
    paired: bool = True


def toy_pairs(params: ToyPairsParams) -> ganzoo.ImageData:
    """Image i is filled with value i/100; its paired target with -i/100 (B's j: -j/100 when unpaired)."""
    def filled(values, channels=1, size=8):
        return values.view(-1, 1, 1, 1).expand(-1, channels, size, size).contiguous()

    a = torch.arange(N_A, dtype=torch.float32) / 100
    b = -(torch.arange(N_A if params.paired else N_B, dtype=torch.float32) / 100)
    labels = torch.arange(N_A) % 10
    held_out = ganzoo.ImageData(images=filled(a[:8] + 0.005), labels=labels[:8], num_classes=10,
                                two_sided=ganzoo.TwoSided(targets=filled(b[:8] - 0.005, 3, 16), paired=params.paired))
    return ganzoo.ImageData(images=filled(a), labels=labels, num_classes=10,
                            two_sided=ganzoo.TwoSided(targets=filled(b, 3, 16), paired=params.paired), held_out=held_out)


@dataclass
class ToyGeneratorParams:
    pass


class ToyTranslator(torch.nn.Module):
    """A 1x1 convolution and an upsampling: spec.image_shape -> spec.target_shape."""

    def __init__(self, spec: ganzoo.DataSpec):
        super().__init__()
        self.conv = torch.nn.Conv2d(spec.image_shape[0], spec.target_shape[0], 1)
        self.size = spec.target_shape[1:]

    def forward(self, x):
        return torch.tanh(torch.nn.functional.interpolate(self.conv(x), size=self.size))


def toy_generator(params, spec):
    return ToyTranslator(spec)


class ToyTranslate(ganzoo.Algorithm):
    roles = {"generator": "generator"}
    scalars = ("l1",)
    directions = {"a2b": "generator"}
    seen: list = []

    def train_step(self, batch, step):
        type(self).seen.append((batch.images[:, 0, 0, 0].clone(), batch.targets[:, 0, 0, 0].clone()))
        l1 = (step.models["generator"](batch.images) - batch.targets).abs().mean()
        step.update("generator", l1)
        step.log(l1=l1)


class Plugin:
    @staticmethod
    @hookimpl
    def register_datasets(register):
        register("toy-pairs", toy_pairs, ToyPairsParams)

    @staticmethod
    @hookimpl
    def register_generators(register):
        register("toy-translator", toy_generator, ToyGeneratorParams)

    @staticmethod
    @hookimpl
    def register_algorithms(register):
        register("toy-translate", ToyTranslate)



RECIPE = """
algorithm: {name: toy-translate}
dataset: {name: toy-pairs, params: {paired: true}}
generator: {name: toy-translator}
train: {epochs: 2, batch_size: 16, device: cpu, log_every: 2}
output: {grid_size: 8}
"""


def recipe(tmp_path, overrides=()):
    path = tmp_path / "toy.yaml"
    path.write_text(RECIPE)
    return load_recipe(path, list(overrides), registry((PLUGIN, Plugin)))



def test_paired_batches_hold_each_images_own_target_and_the_spec_both_shapes(tmp_path):
    from ganzoo.training.trainer import start_run

    ToyTranslate.seen = []
    trainer = start_run(recipe(tmp_path), registry((PLUGIN, Plugin)), tmp_path / "run")
    assert trainer.spec == ganzoo.DataSpec((1, 8, 8), 10, (3, 16, 16), True)
    fit(trainer)
    assert len(ToyTranslate.seen) == 2 * N_A // 16
    for images, targets in ToyTranslate.seen:
        assert torch.equal(targets, -images)
    first_epoch = torch.cat([images for images, _ in ToyTranslate.seen[:N_A // 16]])
    assert sorted((first_epoch * 100).round().long().tolist()) == list(range(N_A))  # a shuffle of every pair
    assert (tmp_path / "run" / "samples" / "epoch-002.png").is_file()  # input | output | target grid
    from ganzoo.training import checkpoint
    state = checkpoint.load_checkpoint(tmp_path / "run")
    assert state["directions"] == {"a2b": "generator"}
    assert ganzoo.DataSpec.from_dict(state["data_spec"]) == trainer.spec


def test_unpaired_domains_are_drawn_in_independent_orders_over_the_smaller_side(tmp_path):
    from ganzoo.training.trainer import start_run

    ToyTranslate.seen = []
    fit(start_run(recipe(tmp_path, ["dataset.params.paired=false"]), registry((PLUGIN, Plugin)), tmp_path / "run"))
    steps = N_B // 16  # the smaller domain sets the epoch
    assert len(ToyTranslate.seen) == 2 * steps
    a = torch.cat([images for images, _ in ToyTranslate.seen[:steps]]).mul(100).round().long()
    b = torch.cat([targets for _, targets in ToyTranslate.seen[:steps]]).mul(-100).round().long()
    assert len(set(a.tolist())) == len(a) and len(set(b.tolist())) == len(b) == N_B  # each B once an epoch
    assert not torch.equal(a, b)  # not one order for both


def test_a_two_sided_run_resumes_exactly(tmp_path):
    from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run
    from runs import assert_same_run

    for paired in ("true", "false"):
        made = recipe(tmp_path, [f"dataset.params.paired={paired}", "train.epochs=3"])
        fit(start_run(made, registry((PLUGIN, Plugin)), tmp_path / f"whole-{paired}"))
        with pytest.raises(TrainingInterrupted):
            fit(start_run(made, registry((PLUGIN, Plugin)), tmp_path / f"run-{paired}"), stop_at=7)
        fit(resume_run(tmp_path / f"run-{paired}", registry((PLUGIN, Plugin))))
        assert_same_run(tmp_path / f"run-{paired}", tmp_path / f"whole-{paired}")


def test_a_translation_algorithm_on_one_sided_data_gets_one_line(tmp_path, data_env):
    from ganzoo.training.trainer import start_run

    made = recipe(tmp_path, ["dataset.name=mnist", "dataset.params={download: false}"])
    with pytest.raises(GanzooError, match="algorithm 'toy-translate' translates images and needs two-sided data"):
        start_run(made, registry((PLUGIN, Plugin)), tmp_path / "run")


@pytest.mark.parametrize("fields, message", [
    (lambda: dict(two_sided=ganzoo.TwoSided(torch.zeros(3, 1, 4, 4), paired=True)),
     "paired ImageData needs one target per image"),
    (lambda: dict(two_sided=ganzoo.TwoSided(torch.zeros(3, 4, 4))), r"TwoSided.targets must be \(M, C, H, W\)"),
    (lambda: dict(two_sided=ganzoo.TwoSided(torch.zeros(3, 1, 4, 4), target_labels=torch.zeros(2))),
     "one label per target"),
    (lambda: dict(two_sided=ganzoo.TwoSided(torch.zeros(3, 1, 4, 4), classifier_view={"c": None})),
     "classifier_view keys must be 'a' or 'b'"),
    (lambda: dict(two_sided=ganzoo.TwoSided(torch.zeros(2, 1, 4, 4), paired=True),
                  held_out=ganzoo.ImageData(torch.zeros(1, 1, 4, 4))), "held_out must have the training data's shapes"),
    (lambda: dict(images=torch.zeros(2, 3)), "other shapes, such as \\(N, 2\\) points, need a presentation with a plot"),
    (lambda: dict(images=[[0.0]]), "ImageData.images: rows must be a torch.Tensor or a ganzoo.RowSource"),
])
def test_malformed_two_sided_data_is_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        ganzoo.ImageData(**{"images": torch.zeros(2, 1, 4, 4), **fields()})


def test_one_sided_specs_are_written_as_before():
    assert ganzoo.DataSpec((1, 28, 28), 10).to_dict() == {"image_shape": [1, 28, 28], "num_classes": 10}
