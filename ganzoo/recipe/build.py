"""Building a recipe from a document and overrides: upgraded to today's layout, typed by its algorithm's
schema, resolved safely, validated, and each component section's registered component and typed params
found. The registry is consulted here alone, once per component (``ComponentLookup``); the recipe then
carries each section's component, so building the run needs no registry."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from omegaconf import DictConfig, OmegaConf

from ganzoo.errors import GanzooError
from ganzoo.pluginhost.registry import Component, Registry
from ganzoo.recipe.overrides import drop_params_of_renamed, parse_overrides
from ganzoo.recipe.safety import refuse_interpolations, resolve_safely, select_early
from ganzoo.recipe.schema import DEFAULT_ALGORITHM, Recipe, component_sections, schema_for
from ganzoo.recipe.upgrades import upgrade_layout
from ganzoo.recipe.validation import check_duty_slots, check_ranges, fill_optimizers, merge, type_params


class ComponentLookup:
    """The registry as building one recipe sees it: each component (kind, name) looked up once, however
    many steps (layout upgrades, renaming overrides, typing, nested components) ask for it."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.found: Dict[tuple, Optional[Component]] = {}

    def get(self, kind: str, name: str) -> Component:
        """The component, or the registry's one-line error naming the registered ones."""
        component = self.find(kind, name)
        return component if component is not None else self.registry.get(kind, name)

    def find(self, kind: str, name: str) -> Optional[Component]:
        """The component, or None where none of that kind has that name."""
        if (kind, name) not in self.found:
            self.found[(kind, name)] = self.registry.components.get((kind, name))
        return self.found[(kind, name)]


def build_recipe(document: Any, overrides: Sequence[str] = (), registry: Registry | None = None,
                 default_name: str = "recipe", source: str = "recipe") -> Recipe:
    if registry is None:
        from ganzoo.pluginhost.registry import load_registry

        registry = load_registry()
    lookup = ComponentLookup(registry)
    document = upgrade_layout(document.copy() if isinstance(document, DictConfig) else document, lookup)
    changes = upgrade_layout(parse_overrides(overrides), lookup)
    algorithm = lookup.get("algorithm", _algorithm_name(document, changes, source))
    roles = dict(algorithm.factory.roles)
    drop_params_of_renamed(document, changes, lookup, roles, source)
    config = OmegaConf.structured(schema_for(roles))
    sections = (f"; the algorithm '{algorithm.name}' takes the sections {', '.join(roles)} "
                f"(see `ganzoo list --kind algorithm`)")
    config = merge(config, document, source, hint=sections)
    config = merge(config, changes, "overrides", hint=sections)
    resolve_safely(config, source)
    if config.name is None:
        config.name = default_name
        refuse_interpolations(config, source)  # a recipe file named '${...}.yaml'

    missing = sorted(OmegaConf.missing_keys(config))
    if missing:
        raise GanzooError(f"{source}: no value for '{missing[0]}'; set it in the recipe or add {missing[0]}=VALUE")
    fill_optimizers(config, roles, source)
    check_duty_slots(config)

    components, params = {}, {}
    for section, kind in component_sections(config, roles).items():
        components[section] = lookup.get(kind, OmegaConf.select(config, f"{section}.name"))
        params[section] = type_params(components[section], OmegaConf.select(config, f"{section}.params"),
                                      f"{section}.params", source, lookup)
    check_ranges(config)
    return Recipe(config=config, params=params, roles=roles, components=components)


def _algorithm_name(document: Any, changes: DictConfig, source: str = "recipe") -> str:
    for tree, where in ((changes, "overrides"), (document, source)):
        if isinstance(tree, DictConfig):
            name = select_early(tree, "algorithm.name", where)
            if name is not None:
                if not isinstance(name, str):
                    raise GanzooError(f"algorithm.name must be a name, e.g. gan, got {name!r}")
                return name
    return DEFAULT_ALGORITHM
