"""Components built from other components: a wrapper (DiffAugment around any discriminator, say)
names its inner component in its own params, and the recipe types that one too.

    @dataclass
    class AugmentedParams:
        inner: ganzoo.ComponentSpec = ganzoo.component_field("discriminator", default="dcgan")
        policy: str = "translation,cutout,color"

    def make_augmented(params, data):
        inner = ganzoo.build_component(params.inner, data)   # the inner discriminator, built
        return Augmented(inner, params.policy)

In a recipe the inner component is written like any other, ``{name: ..., params: {...}}``,
under the wrapper's params; its params are typed by its own dataclass (a typo gets the
inner key path, ``discriminator.params.inner.params.ngff``), and the run's recipe.yaml holds
them resolved, defaults included.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict

from ganzoo.errors import GanzooError

KIND = "ganzoo_kind"  # the field metadata that says which kind of component a ComponentSpec names


@dataclass
class ComponentSpec:
    """A component named inside another one's params: ``name`` and ``params`` as in a recipe. Once
    the recipe is typed, ``params`` is the inner component's params dataclass instance."""

    name: str = "???"
    params: Dict[str, Any] = field(default_factory=dict)


def component_field(kind: str, default: str = "???", params: Dict[str, Any] | None = None) -> Any:
    """A params field holding a ``ComponentSpec`` of ``kind`` (generator, discriminator, loss...),
    by default the component ``default`` (``???``: the recipe must name one)."""
    defaults = dict(params or {})
    return field(default_factory=lambda: ComponentSpec(default, dict(defaults)), metadata={KIND: kind})


def inner_fields(params: Any):
    """(field name, kind) of each ComponentSpec field of a params dataclass instance or type."""
    if not dataclasses.is_dataclass(params):
        return []
    return [(f.name, f.metadata[KIND]) for f in dataclasses.fields(params) if KIND in f.metadata]


def type_inner(params: Any, key: str, registry: Any, source: str) -> Any:
    """Type the params of every component named inside ``params`` (recursively), in place: each
    ``ComponentSpec.params`` becomes its component's params instance. ``key`` is where ``params``
    sits in the recipe (``discriminator.params``), for messages."""
    from ganzoo.recipe import type_params

    for name, kind in inner_fields(params):
        spec = getattr(params, name)
        where = f"{key}.{name}"
        if not isinstance(spec, ComponentSpec):
            raise GanzooError(f"{source}: {where} must be a component, {{name: ..., params: {{...}}}}")
        if registry is None:
            raise GanzooError(f"{source}: {where} names a {kind}, but no registry was given to type it")
        component = registry.get(kind, spec.name)
        spec.params = type_params(component, spec.params, f"{where}.params", source, registry)
        object.__setattr__(spec, "_component", component)
    return params


def build_component(spec: ComponentSpec, *args: Any) -> Any:
    """Build the component ``spec`` names, with its typed params and the factory arguments of its
    kind (``data`` for models): what a wrapper's factory calls for its inner component."""
    component = getattr(spec, "_component", None)
    if component is None:
        raise GanzooError(f"ganzoo.build_component({spec.name!r}): its params were not typed by a recipe; give the "
                          "field with ganzoo.component_field(kind) so recipes type it")
    try:
        return component.factory(spec.params, *args)
    except GanzooError:
        raise
    except Exception as error:  # noqa: BLE001 - the inner plugin may raise anything: one line naming it
        text = " ".join(str(error).split())[:300]
        raise GanzooError(f"{component.kind} '{component.name}' ({component.plugin}) cannot be built: "
                          f"{text if isinstance(error, (ValueError, TypeError)) and text else type(error).__name__ + (': ' + text if text else '')}") from error


def plain(params: Any) -> Any:
    """A params instance as plain data for recipe.yaml: inner components as {name, params}."""
    if dataclasses.is_dataclass(params) and not isinstance(params, type):
        if isinstance(params, ComponentSpec):
            return {"name": params.name, "params": plain(params.params)}
        return {f.name: plain(getattr(params, f.name)) for f in dataclasses.fields(params)}
    if isinstance(params, (list, tuple)):
        return [plain(item) for item in params]
    if isinstance(params, dict):
        return {key: plain(value) for key, value in params.items()}
    return params
