"""The grid of a multirun: ``KEY=A,B`` overrides expanded into a cartesian product (Hydra's habit).

A comma splits a value only at the top level: ``generator.params.hidden=[256,256]`` is one value,
``generator.params.hidden=[64],[128,128]`` is two, and a quoted ``'a,b'`` stays whole.
"""

from __future__ import annotations

import itertools
from typing import List, Sequence

from ganzoo.errors import GanzooError

OPENING, CLOSING = "[{(", "]})"


def split_choices(value: str) -> List[str]:
    """The comma-separated choices of one override value, commas inside brackets or quotes kept."""
    choices, current, depth, quote = [], [], 0, ""
    for char in value:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth -= 1
        elif char == "," and depth == 0:
            choices.append("".join(current))
            current = []
            continue
        current.append(char)
    choices.append("".join(current))
    return choices


def expand_grid(overrides: Sequence[str]) -> List[List[str]]:
    """Every combination of the overrides' choices, the last override varying fastest."""
    axes = []
    for item in overrides:
        key, separator, value = item.partition("=")
        if not separator:
            raise GanzooError(f"override '{item}' is not KEY=VALUE (e.g. optimizers.generator.lr=1e-4,2e-4)")
        choices = split_choices(value)
        if len(choices) > 1 and any(not choice.strip() for choice in choices):
            raise GanzooError(f"override '{item}' has an empty choice; separate values with single commas, "
                              "e.g. seed=0,1,2")
        if len(set(choices)) < len(choices):
            raise GanzooError(f"override '{item}' repeats a value; each run of a sweep should differ")
        axes.append([f"{key}={choice}" for choice in choices])
    keys = [item.partition("=")[0] for item in overrides]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise GanzooError(f"the sweep sets {repeated[0]} twice; give its values once, comma-separated")
    return [list(member) for member in itertools.product(*axes)]


def swept_keys(overrides: Sequence[str]) -> List[str]:
    """The keys that take more than one value in the grid."""
    return [item.partition("=")[0] for item in overrides if len(split_choices(item.partition("=")[2])) > 1]
