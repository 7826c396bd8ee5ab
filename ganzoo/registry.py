"""The component registry: loads plugins from the ``ganzoo`` entry-point group.

Every plugin, the built-in ones included, is found through the entry-point group
``ganzoo``. Each component records which plugin (distribution and version) gave it.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Iterable

import pluggy

from ganzoo import hookspecs
from ganzoo.errors import GanzooError

ENTRY_POINT_GROUP = "ganzoo"

#: kind -> the hook that registers components of that kind
HOOKS = {
    "generator": "register_generators",
    "discriminator": "register_discriminators",
    "loss": "register_losses",
    "dataset": "register_datasets",
    "metric": "register_metrics",
}
KINDS = tuple(HOOKS)
#: the kinds a recipe names one of each (metrics are chosen in its eval section)
RECIPE_KINDS = ("generator", "discriminator", "loss", "dataset")

_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")


@dataclass(frozen=True)
class NoParams:
    """Params of a component that takes none."""


@dataclass(frozen=True)
class PluginInfo:
    """Where a component came from: the entry point and its distribution."""

    name: str
    distribution: str
    version: str

    def __str__(self) -> str:
        return f"{self.distribution} {self.version}"


@dataclass(frozen=True)
class Component:
    kind: str
    name: str
    factory: Callable[..., Any]
    params: type
    description: str
    plugin: PluginInfo


@dataclass(frozen=True)
class PluginFailure:
    plugin: PluginInfo
    error: str


@dataclass
class Registry:
    components: dict[tuple[str, str], Component] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)

    def add(self, component: Component) -> None:
        key = (component.kind, component.name)
        if key in self.components:
            first = self.components[key]
            raise GanzooError(
                f"{component.kind} '{component.name}' is registered twice: by plugin "
                f"'{first.plugin.name}' ({first.plugin}) and by plugin "
                f"'{component.plugin.name}' ({component.plugin}); uninstall one of them"
            )
        self.components[key] = component

    def get(self, kind: str, name: str) -> Component:
        if kind not in HOOKS:
            raise GanzooError(f"unknown component kind '{kind}'; kinds are: {', '.join(KINDS)}")
        try:
            return self.components[(kind, name)]
        except KeyError:
            known = ", ".join(c.name for c in self.of_kind(kind)) or "none"
            raise GanzooError(
                f"unknown {kind} '{name}'; registered {kind}s: {known} "
                f"(see `ganzoo list --kind {kind}`)"
            ) from None

    def of_kind(self, kind: str | None = None) -> list[Component]:
        found = [c for c in self.components.values() if kind is None or c.kind == kind]
        return sorted(found, key=lambda c: (KINDS.index(c.kind), c.name))


def _make_register(registry: Registry, kind: str, plugin: PluginInfo) -> Callable[..., None]:
    def register(name, factory, params=None, description=""):
        where = f"plugin '{plugin.name}' ({plugin})"
        if not isinstance(name, str) or not _NAME.match(name):
            raise GanzooError(
                f"{where} registered a {kind} named {name!r}: names are lower-case "
                "letters, digits, '-' and '_', starting with a letter"
            )
        if not callable(factory):
            raise GanzooError(f"{where}: the factory of {kind} '{name}' is not callable")
        if params is None:
            params = NoParams
        if not (isinstance(params, type) and dataclasses.is_dataclass(params)):
            raise GanzooError(f"{where}: the params of {kind} '{name}' must be a dataclass type")
        if not isinstance(description, str):
            raise GanzooError(f"{where}: the description of {kind} '{name}' must be a string")
        summary = description.strip().splitlines()[0] if description.strip() else ""
        registry.add(Component(kind, name, factory, params, summary, plugin))

    return register


def _plugin_info(entry_point: metadata.EntryPoint) -> PluginInfo:
    dist = entry_point.dist
    if dist is None:
        return PluginInfo(entry_point.name, entry_point.module, "unknown")
    return PluginInfo(entry_point.name, dist.metadata["Name"], dist.version)


def _entry_points() -> Iterable[metadata.EntryPoint]:
    seen = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        # The same distribution can be visible twice (e.g. an editable install
        # plus a build folder); load each entry point once.
        if ep.name not in seen:
            seen.add(ep.name)
            yield ep


def load_registry(extra_plugins: Iterable[tuple[PluginInfo, Any]] = ()) -> Registry:
    """Load every installed plugin and collect what each registers.

    ``extra_plugins`` adds (info, module-or-object) pairs beside the installed
    ones; tests use it to register a plugin without installing a distribution.
    A plugin that fails to import or register is skipped with a warning and
    recorded in ``registry.failures``.
    """
    registry = Registry()
    manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)

    candidates: list[tuple[PluginInfo, Callable[[], Any]]] = [
        (_plugin_info(ep), ep.load) for ep in _entry_points()
    ]
    candidates += [(info, (lambda obj=obj: obj)) for info, obj in extra_plugins]

    infos: dict[str, PluginInfo] = {}
    for info, load in candidates:
        try:
            manager.register(load(), name=info.name)
        except Exception as error:  # a broken plugin must not take ganzoo down
            _record_failure(registry, info, error)
            continue
        infos[info.name] = info

    for kind, hook_name in HOOKS.items():
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            info = infos[impl.plugin_name]
            try:
                impl.function(register=_make_register(registry, kind, info))
            except GanzooError:
                raise
            except Exception as error:
                _record_failure(registry, info, error)

    failed = {f.plugin.name for f in registry.failures}
    registry.plugins = [info for info in infos.values() if info.name not in failed]
    return registry


def _record_failure(registry: Registry, info: PluginInfo, error: BaseException) -> None:
    message = f"{type(error).__name__}: {error}".splitlines()[0]
    registry.failures.append(PluginFailure(info, message))
    warnings.warn(f"ganzoo plugin '{info.name}' ({info}) was skipped: {message}", stacklevel=2)
