"""``KEY=VALUE`` overrides: parsed into a tree merged over the recipe, and a component renamed by one
(``discriminator.name=dcgan``) keeps only the recipe's params the new component takes."""

from __future__ import annotations

import re
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence

import yaml
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from ganzoo.errors import GanzooError, first_line
from ganzoo.recipe.messages import error_line
from ganzoo.recipe.safety import select_early

if TYPE_CHECKING:
    from ganzoo.recipe.build import ComponentLookup


def parse_overrides(overrides: Sequence[str]) -> DictConfig:
    for item in overrides:
        if "=" not in item or not re.match(r"^[A-Za-z_][\w.\-]*=", item):
            raise GanzooError(f"override '{item}' is not KEY=VALUE (e.g. train.epochs=1)")
    try:
        return OmegaConf.from_dotlist(list(overrides))
    except OmegaConfBaseException as error:
        raise GanzooError(f"cannot parse overrides: {error_line(error)}") from error
    except yaml.YAMLError as error:
        raise GanzooError(f"cannot parse overrides: {first_line(error)}") from error


def drop_params_of_renamed(document: Any, changes: DictConfig, lookup: ComponentLookup, roles: Dict[str, str],
                           source: str = "recipe") -> None:
    """An override of a component's name (``discriminator.name=dcgan``) keeps only the recipe's
    params that the new component has: the old component's params would not type."""
    if not isinstance(document, DictConfig):
        return
    for key, new in _names_set(changes):
        old = select_early(document, f"{key}.name", source)
        params = select_early(document, f"{key}.params", source)
        kind = _kind_at(key, roles)
        component = None if new == old or not isinstance(params, DictConfig) or kind is None else lookup.find(kind, new)
        if component is None:
            continue
        keep = {f.name for f in fields(component.params)}
        with open_dict(document):
            for name in [name for name in params if name not in keep]:
                params.pop(name)


def _names_set(changes: DictConfig, prefix: str = ""):
    """(dotted key of a component, new name) for every ``KEY.name=NAME`` among the overrides."""
    for key, value in changes.items_ex(resolve=False) if isinstance(changes, DictConfig) else ():
        path = f"{prefix}{key}"
        if key == "name" and isinstance(value, str) and prefix:
            yield path[:-len(".name")], value
        elif isinstance(value, DictConfig):
            yield from _names_set(value, f"{path}.")


def _kind_at(key: str, roles: Dict[str, str]) -> Optional[str]:
    """The component kind a dotted recipe key holds (None where it holds none)."""
    parts = key.split(".")
    if parts[0] == "optimizers":
        return {2: "optimizer", 3: "schedule"}.get(len(parts))
    if parts[0] in ("callbacks", "loggers", "duties"):
        return "callback" if len(parts) == 2 else None
    if len(parts) == 1:
        return {"algorithm": "algorithm", "dataset": "dataset", **roles}.get(key)
    return None
