"""Which rows each process reads at each step, and the batches they make: the one owner of the data order.

An epoch's order is ``torch.randperm`` drawn from the trainer's shuffle generator, whose state at the
epoch's start checkpoints keep: the order is a fixed function of the seed and the epoch. Unpaired
targets draw their own order right after the images'. Batch k of an epoch is the global batch
``order[k*B:(k+1)*B]``, and each process takes its slice of it (rank r: rows ``r*B/P`` to ``(r+1)*B/P``),
so a run resumed at step s, batch ``s mod steps_per_epoch`` of the same order, reads what it would have.

Every side is read through ``ganzoo.RowSource`` (``ganzoo.rows``): a tensor, packed shards or a
plugin's own source alike. Rows that fit the memory budget (``data.memory_budget_gb``) are read once
and held on the training device (uint8 or float); images that do not are streamed: a background thread
reads this process's rows of the next ``data.prefetch`` batches, and only those. uint8 images become
floats in [-1, 1] on the device (``ganzoo.data.unit_range``).
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator, Optional, Tuple

import torch

from ganzoo.algorithm import Batch
from ganzoo.data import ImageData, unit_range
from ganzoo.errors import GanzooError
from ganzoo.rows import RowSource, TensorRows, nbytes, row_source, unlike_declared, whole
from ganzoo.training.distributed import World

GB = 1e9


def in_memory_bytes(data: ImageData) -> int:
    """What holding ``data``'s images and targets in memory takes, in bytes."""
    return nbytes(data.images) + (nbytes(data.two_sided.targets) if data.two_sided is not None else 0)


class Feed:
    """The batches of an epoch for this process: ``orders`` draws the epoch's order, ``batches`` yields them."""

    def __init__(self, data: ImageData, batch_size: int, world: World, device: torch.device,
                 memory_budget_gb: float, prefetch: int,
                 gather: Optional[Callable[[torch.Tensor, Optional[torch.Tensor]], torch.Tensor]] = None):
        self.batch_size, self.world, self.device, self.prefetch = batch_size, world, device, prefetch
        self.shard_size = batch_size // world.size
        self.steps_per_epoch = data.steps_length // batch_size
        needed = in_memory_bytes(data)
        source = row_source(data.images)
        # over the budget, a row source is streamed; a tensor, in memory already, is refused
        self.streamed = needed > memory_budget_gb * GB and not isinstance(source, TensorRows)
        if needed > memory_budget_gb * GB and not self.streamed:
            raise GanzooError(f"the dataset takes {needed / GB:.2f} GB in memory, more than data.memory_budget_gb="
                              f"{memory_budget_gb:g} (per process); give a larger data.memory_budget_gb, or pack "
                              "the images with `ganzoo pack FOLDER --out DIR` and train with dataset.name=packed "
                              "dataset.params.path=DIR, read from disk as training goes")
        self.source: RowSource = source
        self.images = source if self.streamed else whole(source).to(device)
        self.labels = data.labels.to(device) if data.labels is not None else None
        two_sided = data.two_sided
        self.targets = whole(two_sided.targets).to(device) if two_sided is not None else None  # the second side
        self.paired = two_sided is not None and two_sided.paired
        self.gather = gather or _gather

    def orders(self, shuffle_rng: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
        """The epoch's order of the images, and of the targets (the images' own when paired or absent)."""
        order = torch.randperm(len(self.images), generator=shuffle_rng)
        target_order = (torch.randperm(len(self.targets), generator=shuffle_rng)
                        if self.targets is not None and not self.paired else order)  # unpaired: its own order
        if self.streamed:  # rows are read on the host; labels and targets are gathered on the device
            return order, target_order
        return order.to(self.device), target_order.to(self.device)

    def share(self, order: torch.Tensor, batch: int) -> torch.Tensor:
        """This process's rows of batch ``batch`` of the epoch: its slice of the global batch."""
        start = batch * self.batch_size + self.world.rank * self.shard_size
        return order[start:start + self.shard_size]

    def batches(self, order: torch.Tensor, target_order: torch.Tensor, first: int) -> Iterator[Batch]:
        """Batches ``first``.. of the epoch, as this process's part of each global batch."""
        reader = _Reader(self, order, first) if self.streamed else None
        try:
            for batch in range(first, self.steps_per_epoch):
                index = self.share(order, batch)
                if reader is None:
                    images = self.gather(self.images, index)
                else:
                    images = self.gather(reader.next(), None)
                    index = index.to(self.device)
                yield Batch(images,
                            self.labels.index_select(0, index) if self.labels is not None else None,
                            self.gather_targets(self.share(target_order, batch).to(self.device)))
        finally:
            if reader is not None:
                reader.stop()

    def gather_targets(self, index: torch.Tensor) -> Optional[torch.Tensor]:
        return _gather(self.targets, index) if self.targets is not None else None


def _gather(rows: torch.Tensor, index: Optional[torch.Tensor]) -> torch.Tensor:
    """The rows at ``index`` (all when None) as floats in [-1, 1]: a copy of whole rows (several times
    faster than rows[index])."""
    return unit_range(rows if index is None else rows.index_select(0, index))


class _Reader:
    """A thread reading this process's rows of the coming batches from a row source, ``prefetch`` ahead."""

    def __init__(self, feed: Feed, order: torch.Tensor, first: int):
        self.feed = feed
        self.ready: queue.Queue = queue.Queue(maxsize=feed.prefetch)
        self.stopping = threading.Event()
        indices = [feed.share(order, batch) for batch in range(first, feed.steps_per_epoch)]
        self.thread = threading.Thread(target=self._read, args=(indices,), name="ganzoo-row-reader", daemon=True)
        self.thread.start()

    def _read(self, indices) -> None:
        pin = self.feed.device.type == "cuda"
        source = self.feed.source
        try:
            for index in indices:
                rows = source.rows(index)
                wrong = unlike_declared(source, rows, len(index))
                if wrong:
                    raise GanzooError(f"the dataset's row source ({type(source).__name__}.rows) {wrong}, for "
                                      f"{len(index)} rows; fix the dataset plugin")
                if pin:
                    rows = rows.pin_memory()
                if not self._put(rows):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the training thread, which raises it
            self._put(error)

    def _put(self, item) -> bool:
        while not self.stopping.is_set():
            try:
                self.ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def next(self) -> torch.Tensor:
        item = self.ready.get()
        if isinstance(item, BaseException):
            raise item
        return item.to(self.feed.device, non_blocking=True)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
