"""Two-sided data seen from a translation direction, and translating images with a generator.

A translation algorithm (``Algorithm.directions``) names, for each direction it translates,
the generator role that does it: ``a2b`` maps the data's ``images`` (domain A, the input) to
its ``targets`` (domain B), ``b2a`` maps back. The trainer's grids, ``ganzoo eval`` and
``ganzoo translate`` read the data through these helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Optional

import torch

from ganzoo.data import DataSpec, ImageData, unit_range
from ganzoo.model_calls import eval_mode
from ganzoo.rows import take, whole

DIRECTIONS = DataSpec.DIRECTIONS


@dataclass
class Side:
    """What one direction translates: ``inputs``, their ``labels`` (or None), and the right
    outputs ``targets`` when the data are paired (else None)."""

    inputs: torch.Tensor
    labels: Optional[torch.Tensor]
    targets: Optional[torch.Tensor]


def side(data: ImageData, direction: str) -> Side:
    """The inputs, labels and (paired) targets of ``direction`` in two-sided ``data``, as floats in [-1, 1]."""
    def scaled(rows):
        return unit_range(whole(rows))

    two_sided = data.two_sided
    if direction == "a2b":
        return Side(scaled(data.images), data.labels, scaled(two_sided.targets) if two_sided.paired else None)
    if direction == "b2a":
        labels = data.labels if two_sided.paired else two_sided.target_labels
        return Side(scaled(two_sided.targets), labels, scaled(data.images) if two_sided.paired else None)
    raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")


def choose(directions: Dict[str, str], direction: Optional[str]) -> str:
    """The direction to translate: ``direction``, else the run's first; one a run lacks is a one-line error."""
    from ganzoo.errors import GanzooError

    chosen = direction or next(iter(directions))
    if chosen not in directions:
        raise GanzooError(f"--direction {chosen}: this run translates one way only ({', '.join(directions)}); "
                          f"give --direction {next(iter(directions))} or leave it out")
    return chosen


def shapes(spec: DataSpec, direction: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(input shape, output shape) of ``direction`` for data of ``spec``."""
    return spec.sides(direction)


def first(data: ImageData, n: int) -> ImageData:
    """The first ``n`` examples of each side (all of a smaller side), held out data left behind."""
    def head(rows):
        return None if rows is None else take(rows, torch.arange(min(n, len(rows))))

    two_sided = data.two_sided
    if two_sided is not None:  # the same second side (its transform, view and region), its first rows
        two_sided = replace(two_sided, targets=head(two_sided.targets), target_labels=head(two_sided.target_labels))
    return ImageData(images=head(data.images), labels=head(data.labels), num_classes=data.num_classes,
                     two_sided=two_sided)


class IntoDomain(torch.nn.Module):
    """A multi-domain generator (one with ``domains``, the names, whose ``forward(x, domains)`` takes
    each row's domain index) fixed to one domain: a one-argument translator."""

    def __init__(self, generator: torch.nn.Module, index: int):
        super().__init__()
        self.generator, self.index = generator, index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator(x, torch.full((x.shape[0],), self.index, dtype=torch.long, device=x.device))


def into_domain(generator: torch.nn.Module, name: str) -> torch.nn.Module:
    """``generator`` translating into the domain ``name``; a one-line error for a generator that takes
    no domain, or a name it does not know."""
    from ganzoo.errors import GanzooError

    domains = getattr(generator, "domains", None)
    if not domains:
        raise GanzooError(f"--domain {name}: this run's model translates into one domain only; leave --domain out")
    if name not in domains:
        raise GanzooError(f"--domain {name}: this run's domains are {', '.join(domains)}")
    return IntoDomain(generator, list(domains).index(name))


class InStyle(torch.nn.Module):
    """A generator that takes a style (``forward(x, style)``, MUNIT's) fixed to one style code."""

    def __init__(self, generator: torch.nn.Module, style: torch.Tensor):
        super().__init__()
        self.generator = generator
        self.register_buffer("style", style)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator(x, self.style.to(x.device).expand(x.shape[0], -1))


@torch.no_grad()
def in_style_of(generator: torch.nn.Module, reference: torch.Tensor) -> torch.nn.Module:
    """``generator`` translating in the style of ``reference`` (one picture of the output domain, in
    [-1, 1]), read by its ``reference_style``; a one-line error for a generator without styles."""
    from ganzoo.errors import GanzooError

    read_style = getattr(generator, "reference_style", None)
    if read_style is None:
        raise GanzooError("--reference: this run's model takes no style from a picture (munit does); leave "
                          "--reference out")
    device = next(generator.parameters()).device
    return InStyle(generator, read_style(reference.to(device))[:1].float())


@torch.no_grad()
def translate(generator: torch.nn.Module, inputs: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """``generator``'s outputs for ``inputs`` (floats in [-1, 1]), in eval mode, a batch at a time,
    on the generator's device; returned on the inputs' device. The generator's mode is restored."""
    device = next(generator.parameters()).device
    with eval_mode(generator):
        outputs = [generator(inputs[start:start + batch_size].to(device)).float().to(inputs.device)
                   for start in range(0, inputs.shape[0], batch_size)]
    return torch.cat(outputs)
