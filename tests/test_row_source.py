"""A dataset plugin hands over its own rows (``ganzoo.RowSource``): the trainer streams them without knowing
their type, and a run on them stops, resumes and ends with the very metrics and weights of the same data
handed over as a tensor."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

import ganzoo
from conftest import RECIPE
from ganzoo import GanzooError, hookimpl
from ganzoo.pluginhost.registry import PluginInfo
from ganzoo.recipe import load_recipe
from runs import assert_same_run, fit, registry
from runs import single_thread  # noqa: F401 (autouse fixture)

PLUGIN = PluginInfo("row-source-test", "ganzoo-row-source-test", "1.0.0")
#: vanilla's MLPs, tiny and without dropout; 64 images / 16 = 4 steps an epoch
TRAIN = ["train.batch_size=16", "train.log_every=3", "train.device=cpu", "train.epochs=2", "output.grid_size=4",
         "generator.params.latent_dim=8", "generator.params.hidden=[16]", "discriminator.params.hidden=[16]",
         "discriminator.params.dropout=0.0"]
STREAMED = ["data.memory_budget_gb=0", "data.prefetch=2"]


def pictures() -> tuple[torch.Tensor, torch.Tensor]:
    rng = torch.Generator().manual_seed(3)
    return (torch.randint(0, 256, (64, 1, 8, 8), dtype=torch.uint8, generator=rng),
            torch.randint(0, 2, (64,), generator=rng))


class LazyRows:
    """A third party's row source: rows read one at a time by index (as from a file), never all at once
    while streaming; it remembers how many rows each read asked for."""

    def __init__(self, tensor: torch.Tensor):
        self._tensor = tensor
        self.shape, self.dtype = tuple(tensor.shape), tensor.dtype
        self.reads: list[int] = []

    def __len__(self) -> int:
        return self.shape[0]

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        self.reads.append(len(index))
        return torch.stack([self._tensor[i].clone() for i in index.tolist()])


@dataclass
class NoParams:
    pass


def as_tensor(params: NoParams) -> ganzoo.ImageData:
    images, labels = pictures()
    return ganzoo.ImageData(images=images, labels=labels, num_classes=2)


SOURCES: list[LazyRows] = []


def as_rows(params: NoParams) -> ganzoo.ImageData:
    images, labels = pictures()
    SOURCES.append(LazyRows(images))
    return ganzoo.ImageData(images=SOURCES[-1], labels=labels, num_classes=2)


class Plugin:
    @staticmethod
    @hookimpl
    def register_datasets(register):
        register("tensor-rows", as_tensor, NoParams)
        register("lazy-rows", as_rows, NoParams)
        register("wrong-rows", lambda params: ganzoo.ImageData(images=WrongRows(pictures()[0])), NoParams)




def test_a_plugins_row_source_streams_stops_and_resumes_to_the_tensor_run(tmp_path):
    from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run

    def recipe(dataset, *more):
        return load_recipe(RECIPE, [*TRAIN, f"dataset.name={dataset}", *more], registry((PLUGIN, Plugin)))

    fit(start_run(recipe("tensor-rows"), registry((PLUGIN, Plugin)), tmp_path / "tensor"))
    SOURCES.clear()
    streamed = start_run(recipe("lazy-rows", *STREAMED), registry((PLUGIN, Plugin)), tmp_path / "rows")
    assert streamed.feed.streamed
    with pytest.raises(TrainingInterrupted):
        fit(streamed, stop_at=5)  # mid-way through epoch 2
    resumed = resume_run(tmp_path / "rows", registry((PLUGIN, Plugin)))
    assert resumed.feed.streamed
    fit(resumed)
    assert_same_run(tmp_path / "rows", tmp_path / "tensor")  # metrics and weights, bit for bit
    assert SOURCES[0].reads and set(SOURCES[0].reads) == {16}  # one batch at a time, never the whole set


def test_a_row_source_that_fits_in_memory_is_read_once_and_held():
    from ganzoo.training.distributed import World
    from ganzoo.training.feed import Feed

    images, _ = pictures()
    source = LazyRows(images)
    feed = Feed(ganzoo.ImageData(images=source), batch_size=16, world=World(0, 1), device=torch.device("cpu"),
                memory_budget_gb=1, prefetch=2)
    assert not feed.streamed and source.reads == [64] and torch.equal(feed.images, images)


class WrongRows(LazyRows):
    def rows(self, index):
        return super().rows(index).float()  # not the dtype it declares


def test_rows_unlike_what_the_source_declares_are_one_line_naming_it():
    from ganzoo.training.distributed import World
    from ganzoo.training.feed import Feed

    feed = Feed(ganzoo.ImageData(images=WrongRows(pictures()[0])), batch_size=16, world=World(0, 1),
                device=torch.device("cpu"), memory_budget_gb=0, prefetch=2)
    order, target_order = feed.orders(torch.Generator().manual_seed(0))
    with pytest.raises(GanzooError, match=r"row source \(WrongRows.rows\) gave torch.float32 \(16, 1, 8, 8\), not "
                                          r"torch.uint8 \(16, 1, 8, 8\) as its shape and dtype declare, for 16 rows"):
        next(feed.batches(order, target_order, first=0))


def test_data_that_are_neither_a_tensor_nor_a_row_source_are_refused():
    with pytest.raises(ValueError, match="must be a torch.Tensor or a ganzoo.RowSource"):
        ganzoo.ImageData(images=[[0] * 4] * 4)
    assert isinstance(LazyRows(pictures()[0]), ganzoo.RowSource)


def test_the_contract_kit_checks_a_row_source_by_the_rows_it_gives():
    from ganzoo import testing

    assert isinstance(testing.check_dataset("lazy-rows", registry=registry((PLUGIN, Plugin))).images, LazyRows)
    with pytest.raises(testing.ContractError, match=r"rows\(index\) gave torch.float32 \(64, 1, 8, 8\), not torch.uint8"):
        testing.check_dataset("wrong-rows", registry=registry((PLUGIN, Plugin)))
