"""What datasets hand to the trainer, and what models learn of the data."""

from __future__ import annotations

import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, Optional, Tuple

if TYPE_CHECKING:
    import torch


def default_data_root() -> str:
    """Where datasets look when a recipe names no root: ``$GANZOO_DATA`` or ``./data``."""
    return os.environ.get("GANZOO_DATA") or "./data"


@dataclass(frozen=True)
class DataSpec:
    """What a model factory needs to know about the data: shape and classes.

    Two-sided data (image translation, see ``ImageData.two_sided``) also give ``target_shape``,
    the (C, H, W) of the target side (domain B), and whether the two sides are ``paired``:
    a translation generator maps ``image_shape`` to ``target_shape`` (and a B-to-A one back).
    """

    image_shape: tuple[int, ...]  # (C, H, W) for images; e.g. (2,) for 2-D points
    num_classes: Optional[int] = None
    target_shape: Optional[tuple[int, ...]] = None  # (C, H, W) of the target side; None: one-sided data
    paired: bool = False  # two-sided data: whether target i belongs to image i

    #: the directions a translation generator can map two-sided data: images to targets, or back
    DIRECTIONS: ClassVar[Tuple[str, ...]] = ("a2b", "b2a")

    @property
    def two_sided(self) -> bool:
        return self.target_shape is not None

    def sides(self, direction: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(input shape, output shape) of a generator that translates ``direction`` (``"a2b"``:
        ``image_shape`` to ``target_shape``; ``"b2a"``: back)."""
        a, b = tuple(self.image_shape), tuple(self.target_shape or ())
        return (a, b) if direction == "a2b" else (b, a)

    def to_dict(self) -> dict:
        d = {"image_shape": list(self.image_shape), "num_classes": self.num_classes}
        if self.target_shape is not None:  # one-sided specs stay as they were written before
            d.update(target_shape=list(self.target_shape), paired=self.paired)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DataSpec":
        """The spec ``to_dict`` wrote; a ``ValueError`` saying what is wrong with anything else."""
        if not isinstance(d, dict) or "image_shape" not in d:
            raise ValueError("it has no image_shape")
        target = d.get("target_shape")
        num_classes = d.get("num_classes")
        if num_classes is not None and (type(num_classes) is not int or num_classes < 1):
            raise ValueError(f"its num_classes is {num_classes!r}, not a positive whole number or null")
        return cls(_shape(d["image_shape"], "image_shape"), num_classes,
                   _shape(target, "target_shape") if target is not None else None, bool(d.get("paired", False)))


def _shape(value: Any, name: str) -> tuple[int, ...]:
    """A shape of a spec: 1 to 4 positive whole numbers."""
    if (not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 4
            or not all(type(size) is int and 1 <= size <= 2**31 for size in value)):
        raise ValueError(f"its {name} is {str(value)[:80]}, not a list of 1 to 4 positive sizes")
    return tuple(value)


@dataclass(frozen=True)
class DataSource:
    """The files a dataset read, so that a run can record them and find and recognise them again.

    ``root`` is the folder the dataset's ``param`` (e.g. ``root``) named, or its default;
    ``files`` are the files it read, relative to ``root``. A run writes the resolved folder
    into its recipe's ``dataset.params.<param>`` and each file's size and SHA-256 into
    ``dataset.source``, so resuming, sampling and evaluating it need no environment variable.
    """

    root: Path
    files: Tuple[str, ...]
    param: str = "root"


@dataclass(frozen=True)
class TwoSided:
    """The second side of a dataset, for image translation: ``ImageData.two_sided``.

    ``targets`` (M, C', H', W'), uint8 or floats in [-1, 1] like the images (a tensor or a
    ``RowSource``, held in memory), is domain B; ``ImageData.images`` is domain A, the input.
    ``paired=True``: ``targets[i]`` is the right output for ``images[i]`` (M == N; the data's
    ``labels`` label both), and each batch holds aligned rows. ``paired=False``: two domains, any
    sizes, drawn in independent orders from the seeded shuffle; ``target_labels`` (M,), optional,
    label the B side for evaluation. ``known_transform``, optional, is the right translation of a
    task that has one, ``(inputs, direction) -> outputs`` (floats in [-1, 1]; direction ``a2b`` or
    ``b2a``): evaluation scores unpaired outputs against it. ``classifier_view``, optional, maps a
    side (``a``, ``b``) to the function that turns its pictures into what the metrics' classifier
    reads (a hidden transform undone, floats in [-1, 1]); sides it does not name are read as they are.
    ``target_region``, optional, is the box ``(top, left, height, width)``, in the targets' pixels, of
    the part of every target the input does not show (inpainting: the masked hole): evaluation scores
    the a2b outputs' pixels against their right answers there too (``a2b_psnr_region`` beside
    ``a2b_psnr``), so a model is judged on what it had to make up and not on what it copied.
    """

    targets: Any
    paired: bool = False
    target_labels: Optional["torch.Tensor"] = None
    known_transform: Optional[Callable[["torch.Tensor", str], "torch.Tensor"]] = None
    classifier_view: Optional[Dict[str, Callable[["torch.Tensor"], "torch.Tensor"]]] = None
    target_region: Optional[Tuple[int, int, int, int]] = None

    def __post_init__(self) -> None:
        shape = _rows_shape(self.targets, "TwoSided.targets")
        if len(shape) != 4:
            raise ValueError(f"TwoSided.targets must be (M, C, H, W), got shape {tuple(shape)}")
        if self.target_labels is not None and self.target_labels.shape[0] != shape[0]:
            raise ValueError("TwoSided.target_labels must have one label per target")
        wrong = sorted(set(self.classifier_view or {}) - {"a", "b"})
        if wrong:
            raise ValueError(f"TwoSided.classifier_view keys must be 'a' or 'b', got {', '.join(map(repr, wrong))}")
        if self.target_region is not None:
            object.__setattr__(self, "target_region", checked_box(self.target_region, tuple(shape[2:])))

    def __len__(self) -> int:
        return len(self.targets)


def checked_box(box, size: tuple) -> Tuple[int, int, int, int]:
    """``box`` (top, left, height, width) as ints, refused unless it is a non-empty box inside pictures of
    ``size`` (height, width)."""
    try:
        values = tuple(operator.index(v) for v in box)
    except TypeError:
        values = ()
    if len(values) != 4:
        raise ValueError(f"TwoSided.target_region must be four ints (top, left, height, width), got {box!r}")
    top, left, height, width = values
    if top < 0 or left < 0 or height < 1 or width < 1 or top + height > size[0] or left + width > size[1]:
        raise ValueError(f"TwoSided.target_region {values} (top, left, height, width) must be a non-empty box inside "
                         f"the {size[0]}x{size[1]} targets")
    return values


@dataclass(frozen=True)
class Presentation:
    """How the trainer shows data that are not pictures: ``ImageData.presentation``.

    ``plot``, optional, turns a batch of generated samples into PNG bytes, which the trainer writes
    in place of its per-epoch image grid (data of another shape than (N, C, H, W), e.g. 2-D points,
    need one). ``figures``, optional, gives quality figures of a batch of generated samples (e.g.
    modes covered); the trainer shows them after every epoch.
    """

    plot: Optional[Callable[["torch.Tensor"], bytes]] = None
    figures: Optional[Callable[["torch.Tensor"], Dict[str, float]]] = None


@dataclass
class ImageData:
    """A whole dataset: ``images`` (N, C, H, W) uint8 in [0, 255], or float already in [-1, 1]; ``labels`` (N,) long.

    ``images`` is a tensor, or any ``ganzoo.RowSource`` (rows read by index, e.g. lazily from disk):
    the trainer holds what fits ``data.memory_budget_gb`` on the training device and streams the rest.
    Pictures are best handed over as uint8: 4x less memory than float32; the trainer scales each
    batch to [-1, 1] on the training device (``unit_range``), to the same numbers as ``x / 127.5 - 1``
    computed beforehand. Float images (and data that are not pictures) are used as they are.

    ``num_classes`` goes with ``labels``. ``source``, optional, names the files read (see
    ``DataSource``). ``held_out``, optional, is the test split as ``ImageData`` of the same kind
    (same shapes and pairing): evaluation and the per-epoch translation grids use it, training
    never does. ``two_sided``, optional, is the second side of translation data (``TwoSided``);
    ``presentation``, optional, how samples that are not pictures are drawn and scored
    (``Presentation``): data of another shape than (N, C, H, W), e.g. 2-D points (N, 2), need its ``plot``.
    ``pictures_of``, optional, names the registered dataset whose pictures these are when the dataset
    is another (``mnist`` for a translation task made of MNIST digits): evaluation picks the feature
    extractor made for it.
    """

    images: Any
    labels: Optional["torch.Tensor"] = None
    num_classes: Optional[int] = None
    source: Optional[DataSource] = None
    held_out: Optional["ImageData"] = None
    two_sided: Optional[TwoSided] = None
    presentation: Optional[Presentation] = None
    pictures_of: Optional[str] = None

    def __post_init__(self) -> None:
        shape = _rows_shape(self.images, "ImageData.images")
        plotted = self.presentation is not None and self.presentation.plot is not None
        if len(shape) != 4 and (not plotted or len(shape) < 2):
            raise ValueError(f"ImageData.images must be (N, C, H, W), got shape {tuple(shape)}; "
                             "other shapes, such as (N, 2) points, need a presentation with a plot function")
        if self.labels is not None and self.labels.shape[0] != shape[0]:
            raise ValueError("ImageData.labels must have one label per image")
        if self.two_sided is not None:
            if len(shape) != 4:
                raise ValueError(f"two-sided ImageData needs images of shape (N, C, H, W), got {tuple(shape)}")
            if self.two_sided.paired and len(self.two_sided) != shape[0]:
                raise ValueError(f"paired ImageData needs one target per image, got {shape[0]} images "
                                 f"and {len(self.two_sided)} targets")
        if self.held_out is not None:
            self._check_held_out(self.held_out)

    def _check_held_out(self, held_out: "ImageData") -> None:
        mine, theirs = self.spec, held_out.spec
        if (mine.image_shape, mine.target_shape, mine.paired) != (theirs.image_shape, theirs.target_shape,
                                                                   theirs.paired):
            raise ValueError(f"ImageData.held_out must have the training data's shapes and pairing: {mine} "
                             f"against {theirs}")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def spec(self) -> DataSpec:
        image_shape = tuple(self.images.shape[1:])
        if self.two_sided is None:
            return DataSpec(image_shape, self.num_classes)
        return DataSpec(image_shape, self.num_classes, tuple(self.two_sided.targets.shape[1:]), self.two_sided.paired)

    @property
    def steps_length(self) -> int:
        """The examples an epoch draws batches from: the images, or the smaller side of unpaired data."""
        if self.two_sided is None or self.two_sided.paired:
            return len(self)
        return min(len(self), len(self.two_sided))


def _rows_shape(rows: Any, what: str) -> Tuple[int, ...]:
    """The shape of a tensor or ``RowSource``; a ``ValueError`` for anything else."""
    from ganzoo.rows import row_source

    try:
        return tuple(row_source(rows).shape)
    except TypeError as error:
        raise ValueError(f"{what}: {error}") from None


def _unit_table() -> "torch.Tensor":
    """The float32 value of each uint8 value: ``x / 127.5 - 1``, as ``x.float().div_(127.5).sub_(1.0)`` on the CPU."""
    import torch

    return torch.arange(256, dtype=torch.uint8).float().div_(127.5).sub_(1.0)


_UNIT_TABLES: dict = {}


def unit_range(images: "torch.Tensor", out: "Optional[torch.Tensor]" = None) -> "torch.Tensor":
    """Images as float32 in [-1, 1]: uint8 ones scaled (``x / 127.5 - 1``), float ones as they are.

    On the CPU that is ``x.float().div_(127.5).sub_(1.0)``; on other devices uint8 values are looked up
    in a 256-entry table computed once that way on the CPU, so a batch scaled on any device holds the
    very numbers the CPU gives (CUDA's division by a scalar multiplies by the reciprocal, which may
    round differently). ``out``, optional:
    a float32 tensor of the same number of elements to write them into.
    """
    import torch

    if images.dtype != torch.uint8:
        return images if out is None else out.view(images.shape).copy_(images)
    if images.device.type == "cpu":  # the formula itself: one pass less than the table's int32 indices
        scaled = images.float() if out is None else out.view(images.shape).copy_(images)
        return scaled.div_(127.5).sub_(1.0)
    table = _UNIT_TABLES.get(images.device)
    if table is None:
        table = _UNIT_TABLES[images.device] = _unit_table().to(images.device)
    index = images.reshape(-1).int()
    if out is None:
        return table.index_select(0, index).view(images.shape)
    torch.index_select(table, 0, index, out=out.view(-1))
    return out.view(images.shape)


def hold_out(data: ImageData, count: int, seed: int) -> ImageData:
    """``data`` less ``count`` images drawn with ``seed``, which become its ``held_out`` reference set (both in
    the data's order): the image-folder and packed datasets' split. Their recipe's params record ``count`` and
    ``seed``, so every later evaluation finds the same split. Images read from disk (a packed dataset's) stay
    there for training; the held-out ones are read into memory."""
    import dataclasses

    import torch

    total = len(data.images)
    if count >= total:
        raise ValueError(f"held_out ({count}) must leave images to train on: the dataset holds {total}")
    order = torch.randperm(total, generator=torch.Generator().manual_seed(seed))
    reference, kept = order[:count].sort().values, order[count:].sort().values

    def rows(index, whole=False):
        if hasattr(data.images, "subset"):  # packed images, read from their shards
            picked = data.images.subset(index.numpy())
            return picked.load() if whole else picked
        return data.images[index]

    def labels(index):
        return None if data.labels is None else data.labels[index]

    return dataclasses.replace(data, images=rows(kept), labels=labels(kept),
                               held_out=ImageData(images=rows(reference, whole=True), labels=labels(reference),
                                                  num_classes=data.num_classes))
