"""Recipe safety: a recipe reads data and never runs code.

Interpolations (``${...}``) may use OmegaConf's data resolvers alone, even where an installed package has
registered one that would run code; everything is resolved at load time, so its mistakes are one line, and
no value may resolve to a new interpolation that would be resolved later, outside the allow-list.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.basecontainer import BaseContainer
from omegaconf.errors import OmegaConfBaseException, UnsupportedInterpolationType

from ganzoo.errors import GanzooError
from ganzoo.recipe.messages import error_line, full_key

#: OmegaConf's own resolvers: they read data (other keys, environment variables) and never run code.
SAFE_RESOLVERS = frozenset({"oc.coerce", "oc.create", "oc.decode", "oc.deprecated", "oc.dict.keys",
                            "oc.dict.values", "oc.env", "oc.select"})
_RESOLVER_CALL = re.compile(r"\$\{\s*([^\s${}:]+)\s*:")


def resolve_safely(config: DictConfig, source: str) -> None:
    """Resolve every ${...} interpolation now, so its mistakes are one-line errors at load time.

    Only OmegaConf's data resolvers may be used: a recipe never runs code, even when some
    installed package has registered a resolver that would (e.g. an expression evaluator).
    The literal text is checked for a clear message; resolving itself sees only the safe
    resolvers, so an interpolation that ``oc.decode`` builds at resolve time cannot reach
    another one; and a value that resolves to a new ``${...}`` is refused, since reading it
    later would resolve it with every registered resolver.
    """
    for key, value in _string_leaves(OmegaConf.to_container(config, resolve=False)):
        for name in _RESOLVER_CALL.findall(value):
            if name not in SAFE_RESOLVERS:
                raise _forbidden_resolver(source, key, name)
    try:
        with only_safe_resolvers():
            OmegaConf.resolve(config)
    except UnsupportedInterpolationType as error:
        raise _forbidden_resolver(source, full_key("", error), _resolver_named(error)) from error
    except OmegaConfBaseException as error:
        key = full_key("", error)
        raise GanzooError(f"{source}: cannot resolve '{key}': {error_line(error)}") from error
    refuse_interpolations(config, source)


def _forbidden_resolver(source: str, key: str, name: str) -> GanzooError:
    return GanzooError(f"{source}: '{key}' uses the resolver '{name}', which recipes may not use; "
                       f"recipes may use {', '.join(sorted(SAFE_RESOLVERS))} and plain ${{key}} references")


def _resolver_named(error: UnsupportedInterpolationType) -> str:
    found = re.search(r"Unsupported interpolation type (\S+)", str(error))
    return found.group(1) if found else "?"


@contextlib.contextmanager
def only_safe_resolvers():
    """While resolving a recipe, OmegaConf sees only the allow-listed resolvers.

    OmegaConf keeps its resolvers in one class-level table; it is swapped for the allow-listed
    part and put back. Recipes are loaded in the main thread, before training starts.
    """
    everything = BaseContainer._resolvers
    BaseContainer._resolvers = {name: resolver for name, resolver in everything.items() if name in SAFE_RESOLVERS}
    try:
        yield
    finally:
        BaseContainer._resolvers = everything


def refuse_interpolations(config: Any, source: str, prefix: str = "") -> None:
    """No value may still be an interpolation once the recipe is resolved (e.g. one that
    oc.decode or an escaped \\${...} produced): it would be resolved later, outside the allow-list."""
    keys = config.keys() if isinstance(config, DictConfig) else range(len(config))
    for key in keys:
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if OmegaConf.is_interpolation(config, key):
            raise GanzooError(f"{source}: '{dotted}' resolves to another ${{...}} interpolation, which recipes may "
                              "not build; write the value itself")
        child = config._get_node(key)
        if isinstance(child, (DictConfig, ListConfig)) and not child._is_none() and not child._is_missing():
            refuse_interpolations(child, source, dotted)


def _string_leaves(tree: Any, prefix: str = ""):
    """(dotted key, value) of every string in a nested dict/list tree."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, str):
            yield dotted, value
        else:
            yield from _string_leaves(value, dotted)


def select_early(tree: DictConfig, key: str, source: str) -> Any:
    """``key`` in a recipe or overrides read before ``resolve_safely`` has checked them: resolved with
    the allow-listed resolvers only, its mistakes one line, as ``resolve_safely`` would say them."""
    try:
        with only_safe_resolvers():
            return OmegaConf.select(tree, key, default=None, throw_on_missing=False)
    except UnsupportedInterpolationType as error:
        raise _forbidden_resolver(source, key, _resolver_named(error)) from error
    except OmegaConfBaseException as error:
        raise GanzooError(f"{source}: cannot resolve '{key}': {error_line(error)}") from error
