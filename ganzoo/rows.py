"""Rows of a dataset read by index: ``RowSource``, the one way ganzoo reads a dataset's pictures.

``ImageData.images`` (and a two-sided dataset's ``targets``) is a tensor or any ``RowSource``: an object
with ``shape`` ((N, C, H, W), or (N, ...) for data that are not pictures), ``dtype`` (``torch.uint8``,
or a float dtype for data already in [-1, 1]), ``len()`` and ``rows(index)``. The trainer's feed
(``ganzoo.training.feed``) holds rows that fit the memory budget on the training device, read once,
and reads the others batch by batch on a background thread; it never asks what the source is. A
tensor is read through ``TensorRows``, a packed dataset's shards through ``PackedImages``
(``ganzoo.storage.packed``), a plugin's own source (rows read lazily from disk, a database...) as
it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Protocol, Tuple, runtime_checkable

if TYPE_CHECKING:
    import torch


@runtime_checkable
class RowSource(Protocol):
    """Rows read by index. ``shape`` is (N, *row shape), ``dtype`` the rows' dtype, ``len()`` N.

    ``rows(index)`` gets a 1-D int64 CPU tensor of row numbers in [0, N), in any order, repeats
    allowed, and returns a CPU tensor (len(index), *row shape) of ``dtype`` holding those rows in
    that order. It is called from one background thread at a time while training streams, and once
    with every row (``torch.arange(N)``) when they fit in memory.
    """

    shape: Tuple[int, ...]
    dtype: "torch.dtype"

    def __len__(self) -> int: ...

    def rows(self, index: "torch.Tensor") -> "torch.Tensor": ...


class TensorRows:
    """A tensor as a ``RowSource``: ``rows`` of every row in order is the tensor itself, not a copy."""

    def __init__(self, tensor: "torch.Tensor"):
        self.tensor = tensor
        self.shape, self.dtype = tensor.shape, tensor.dtype

    def __len__(self) -> int:
        return self.tensor.shape[0]

    def rows(self, index: "torch.Tensor") -> "torch.Tensor":
        if every_row(index, len(self)):
            return self.tensor
        return self.tensor.index_select(0, index.to(self.tensor.device))


def row_source(rows: Any) -> RowSource:
    """``rows`` as a ``RowSource``: a tensor wrapped in ``TensorRows``, a row source as it is."""
    import torch

    if isinstance(rows, torch.Tensor):
        return TensorRows(rows)
    if isinstance(rows, RowSource):
        return rows
    raise TypeError(f"rows must be a torch.Tensor or a ganzoo.RowSource (shape, dtype, len() and rows(index)), "
                    f"not {type(rows).__name__}")


def take(rows: Any, index: "torch.Tensor") -> "torch.Tensor":
    """The rows at ``index`` of a tensor or a row source, as a tensor."""
    return row_source(rows).rows(index.cpu())


def whole(rows: Any) -> "torch.Tensor":
    """Every row of a tensor (itself) or a row source, as one tensor."""
    import torch

    source = row_source(rows)
    return source.rows(torch.arange(len(source)))


def nbytes(rows: Any) -> int:
    """What holding every row of a tensor or a row source in memory takes, in bytes."""
    import math

    source = row_source(rows)
    return math.prod(source.shape) * source.dtype.itemsize


def unlike_declared(source: RowSource, rows: Any, count: int) -> Optional[str]:
    """What is wrong with ``rows``, which ``source.rows`` gave for ``count`` rows, when they are not the
    tensor its shape and dtype declare (as ``gave X, not Y``); None when they are."""
    import torch

    expected = (count, *tuple(source.shape)[1:])
    if isinstance(rows, torch.Tensor) and tuple(rows.shape) == expected and rows.dtype == source.dtype:
        return None
    got = f"{rows.dtype} {tuple(rows.shape)}" if isinstance(rows, torch.Tensor) else type(rows).__name__
    return f"gave {got}, not {source.dtype} {expected} as its shape and dtype declare"


def every_row(index: "torch.Tensor", count: int) -> bool:
    """Whether ``index`` is every row number of ``count`` rows, in order (what ``whole`` asks for)."""
    import torch

    return len(index) == count and bool(torch.equal(index.cpu(), torch.arange(count)))
