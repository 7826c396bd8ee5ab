"""The component registry: loads plugins from the ``ganzoo`` entry-point group.

Every plugin, the built-in ones included, is found through the entry-point group
``ganzoo``. Each component records which plugin (distribution and version) gave it.

Plugins are imported only when a registry is loaded (never by ``import ganzoo``).
A plugin that fails to import, has a misnamed or mis-signed hook, or breaks while
registering is skipped with a warning and kept in ``registry.failures``; strict
mode (``GANZOO_STRICT_PLUGINS=1`` or ``ganzoo --strict``) makes that fatal.
``GANZOO_PLUGINS=a,b`` loads only those third-party plugins (by entry-point or
distribution name) besides the built-in ones; ``GANZOO_PLUGINS=`` (empty) or
``GANZOO_PLUGINS=builtin`` loads the built-in ones alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import inspect
import os
import re
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Iterable

import pluggy

from ganzoo import hookspecs
from ganzoo.errors import GanzooError, first_line

ENTRY_POINT_GROUP = "ganzoo"
#: the distribution whose entry points are the built-in plugins
BUILTIN_DISTRIBUTION = "ganzoo"
#: set to 1 to make any plugin failure fatal
STRICT_ENV = "GANZOO_STRICT_PLUGINS"
#: comma-separated third-party plugins to load; empty (or "builtin") loads the built-in ones only
ALLOW_ENV = "GANZOO_PLUGINS"

#: kind -> the hook that registers components of that kind: the one list of kinds everything else derives
#: from (the listing, `ganzoo params`, the recipe's role sections, the contract kit, the scaffold)
HOOKS = {
    "algorithm": "register_algorithms",
    "generator": "register_generators",
    "discriminator": "register_discriminators",
    "encoder": "register_encoders",
    "network": "register_networks",
    "loss": "register_losses",
    "dataset": "register_datasets",
    "metric": "register_metrics",
    "feature_extractor": "register_feature_extractors",
    "optimizer": "register_optimizers",
    "schedule": "register_schedules",
    "callback": "register_callbacks",
}
KINDS = tuple(HOOKS)
#: kind -> its plural, as messages and `ganzoo list` name them (the hook's word: register_losses -> losses)
PLURALS = {kind: hook[len("register_"):] for kind, hook in HOOKS.items()}
#: the kinds of trained models an algorithm's roles may have: each such role is built with
#: ``factory(params, data)``, gets an optimiser (``optimizers.<role>``) and is saved in checkpoints
MODEL_KINDS = ("generator", "discriminator", "encoder", "network")
#: the kinds whose components fill an algorithm's roles (a recipe section per role)
ROLE_KINDS = (*MODEL_KINDS, "loss")
#: the hook that adds `ganzoo` commands (commands are not components: no params, no recipe section)
COMMANDS_HOOK = "register_commands"
#: the built-in plugin (entry point of ganzoo's own distribution) that registers the built-in commands
COMMANDS_PLUGIN = "commands"

_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")


def in_words(names: Iterable[str]) -> str:
    """``a, b or c``: a list of names in a sentence (help texts, error messages)."""
    names = list(names)
    return " or ".join(filter(None, [", ".join(names[:-1]), names[-1]])) if names else ""


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

    @property
    def builtin(self) -> bool:
        return self.distribution == BUILTIN_DISTRIBUTION


@dataclass(frozen=True)
class Component:
    kind: str
    name: str
    factory: Callable[..., Any]
    params: type
    description: str
    plugin: PluginInfo


@dataclass(frozen=True)
class Command:
    """A `ganzoo NAME` command: ``add_arguments(parser)`` fills its subparser, ``run(args)`` returns the exit code."""

    name: str
    run: Callable[[argparse.Namespace], Any]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None
    help: str
    description: str | None
    plugin: PluginInfo


@dataclass(frozen=True)
class PluginFailure:
    plugin: PluginInfo
    error: str


@dataclass
class Registry:
    components: dict[tuple[str, str], Component] = field(default_factory=dict)
    #: name -> command, in the order they were registered (the built-in ones first)
    commands: dict[str, Command] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)
    #: installed plugins left out by GANZOO_PLUGINS (never imported)
    disabled: list[PluginInfo] = field(default_factory=list)

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

    def add_command(self, command: Command) -> None:
        if command.name in self.commands:
            first = self.commands[command.name]
            raise GanzooError(f"command '{command.name}' is registered twice: by plugin '{first.plugin.name}' "
                              f"({first.plugin}) and by plugin '{command.plugin.name}' ({command.plugin}); "
                              "uninstall one of them")
        self.commands[command.name] = command

    def get(self, kind: str, name: str) -> Component:
        if kind not in HOOKS:
            raise GanzooError(f"unknown component kind '{kind}'; kinds are: {', '.join(KINDS)}")
        try:
            return self.components[(kind, name)]
        except KeyError:
            known = ", ".join(c.name for c in self.of_kind(kind)) or "none"
            raise GanzooError(
                f"unknown {kind} '{name}'; registered {PLURALS[kind]}: {known} "
                f"(see `ganzoo list --kind {kind}`)"
            ) from None

    def of_kind(self, kind: str | None = None) -> list[Component]:
        found = [c for c in self.components.values() if kind is None or c.kind == kind]
        return sorted(found, key=lambda c: (KINDS.index(c.kind), c.name))

    def of_plugin(self, plugin_name: str) -> list[Component]:
        """What the plugin with this entry-point name registered."""
        return [c for c in self.of_kind() if c.plugin.name == plugin_name]


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
        if kind == "algorithm":
            _check_algorithm(where, name, factory)
        summary = first_line(description)
        registry.add(Component(kind, name, factory, params, summary, plugin))

    return register


def _make_command_register(registry: Registry, plugin: PluginInfo) -> Callable[..., None]:
    def register(name, run, add_arguments=None, help="", description=None):
        where = f"plugin '{plugin.name}' ({plugin})"
        if not isinstance(name, str) or not _NAME.match(name):
            raise GanzooError(f"{where} registered a command named {name!r}: names are lower-case "
                              "letters, digits, '-' and '_', starting with a letter")
        if not callable(run):
            raise GanzooError(f"{where}: the run function of command '{name}' is not callable")
        if add_arguments is not None and not callable(add_arguments):
            raise GanzooError(f"{where}: add_arguments of command '{name}' must be a function of the parser, or None")
        if not isinstance(help, str) or not (description is None or isinstance(description, str)):
            raise GanzooError(f"{where}: the help and description of command '{name}' must be strings")
        summary = first_line(help)
        registry.add_command(Command(name, run, add_arguments, summary, description, plugin))

    return register


def _check_algorithm(where: str, name: str, factory: Any) -> None:
    """An algorithm's factory is its ``ganzoo.Algorithm`` subclass: recipes are typed by its roles."""
    from ganzoo.algorithm import Algorithm

    if not (isinstance(factory, type) and issubclass(factory, Algorithm)):
        raise GanzooError(f"{where}: the factory of algorithm '{name}' must be a subclass of ganzoo.Algorithm "
                          "(its roles type the recipe before anything is built)")
    roles = getattr(factory, "roles", None)
    if not isinstance(roles, dict) or not roles:
        raise GanzooError(f"{where}: algorithm '{name}' declares no roles; set roles = {{'generator': 'generator', ...}}")
    reserved = recipe_sections()
    for role, kind in roles.items():
        if not isinstance(role, str) or not re.match(r"^[a-z][a-z0-9_]*$", role) or role in reserved:
            raise GanzooError(f"{where}: algorithm '{name}' has a role named {role!r}: roles are lower-case "
                              f"identifiers other than {', '.join(reserved)}")
        if kind not in ROLE_KINDS:
            raise GanzooError(f"{where}: algorithm '{name}' gives role '{role}' the kind {kind!r}; "
                              f"roles are of kind {in_words(ROLE_KINDS)}")
    scalars = getattr(factory, "scalars", ())
    if not isinstance(scalars, tuple) or not all(isinstance(s, str) and s.isidentifier() for s in scalars):
        raise GanzooError(f"{where}: algorithm '{name}' must declare scalars as a tuple of names, e.g. ('d_loss', 'g_loss')")


#: hook -> the arguments it takes, as ganzoo/hookspecs.py declares them (each hook is checked against its own)
HOOK_ARGUMENTS = {name: tuple(inspect.signature(function).parameters)
                  for name, function in vars(hookspecs).items() if hasattr(function, "ganzoo_spec")}

#: recipe sections that are not roles
def recipe_sections() -> tuple[str, ...]:
    """The recipe's own sections (``RecipeBase``'s fields), which no algorithm role may take the name of."""
    import dataclasses

    from ganzoo.recipe.schema import RecipeBase  # imported here: the schema imports this module

    return tuple(f.name for f in dataclasses.fields(RecipeBase))


def _version() -> str:
    from ganzoo import __version__

    return __version__


def _plugin_info(entry_point: metadata.EntryPoint) -> PluginInfo:
    dist = entry_point.dist
    if dist is None:
        return PluginInfo(entry_point.name, entry_point.module, "unknown")
    return PluginInfo(entry_point.name, dist.metadata["Name"], dist.version)


def _entry_points() -> Iterable[metadata.EntryPoint]:
    seen = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        # The same distribution can be visible twice (e.g. an editable install
        # plus a build folder); load each entry point once. Two distributions
        # that use one entry-point name both come through: the second fails
        # with a message naming both, instead of vanishing.
        key = (ep.name, ep.dist.metadata["Name"] if ep.dist is not None else ep.value)
        if key not in seen:
            seen.add(key)
            yield ep


class PluginError(Exception):
    """A plugin breaks the hook contract (misnamed hook, wrong signature, unmarked hook)."""


def strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def allowed_from_env() -> set[str] | None:
    """The GANZOO_PLUGINS allowlist (normalised names), or None when it is unset."""
    value = os.environ.get(ALLOW_ENV)
    if value is None:
        return None
    return {_normalise(name) for name in value.split(",") if name.strip()} - {"builtin"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def load_registry(extra_plugins: Iterable[tuple[PluginInfo, Any]] = (), strict: bool | None = None,
                  allowed: Iterable[str] | None = None) -> Registry:
    """Load every installed plugin and collect what each registers.

    ``extra_plugins`` adds (info, module-or-object) pairs beside the installed
    ones; tests use it to register a plugin without installing a distribution.
    A plugin that fails to import or register is skipped with a warning and
    recorded in ``registry.failures``; with ``strict`` (default: the
    GANZOO_STRICT_PLUGINS variable) any failure raises ``GanzooError`` instead.
    ``allowed`` names the third-party plugins to load (default: GANZOO_PLUGINS;
    None loads all); built-in plugins and ``extra_plugins`` always load.
    """
    strict = strict_from_env() if strict is None else strict
    allow = allowed_from_env() if allowed is None else {_normalise(name) for name in allowed} - {"builtin"}
    registry = Registry()
    manager = _plugin_manager()

    installed = [(_plugin_info(ep), ep.load) for ep in _entry_points()]
    installed.sort(key=lambda pair: (not pair[0].builtin, pair[0].name, pair[0].distribution))
    candidates: list[tuple[PluginInfo, Callable[[], Any]]] = []
    for info, load in installed:
        if info.builtin or allow is None or {_normalise(info.name), _normalise(info.distribution)} & allow:
            candidates.append((info, load))
        else:
            registry.disabled.append(info)
    candidates += [(info, (lambda obj=obj: obj)) for info, obj in extra_plugins]

    for info, load in candidates:
        try:
            staged = _register_plugin(manager, load(), info)
            taken = [(f"{c.kind} '{c.name}'", registry.components[(c.kind, c.name)].plugin)
                     for c in staged.components.values() if (c.kind, c.name) in registry.components]
            taken += [(f"command '{name}'", registry.commands[name].plugin)
                      for name in staged.commands if name in registry.commands]
            if taken:
                what, first = taken[0]
                raise PluginError(f"it registers {what}, which plugin '{first.name}' ({first}) registered first; "
                                  "rename one of them or uninstall one of the plugins")
            for component in staged.components.values():
                registry.add(component)
            for command in staged.commands.values():
                registry.add_command(command)
        except Exception as error:  # a broken plugin must not take ganzoo down
            _record_failure(registry, info, error)
            continue
        registry.plugins.append(info)

    unknown = sorted(allow - {_normalise(n) for info, _ in installed for n in (info.name, info.distribution)}) \
        if allow is not None else []
    problems = [f"plugin '{f.plugin.name}' ({f.plugin}) failed: {f.error}" for f in registry.failures]
    problems += [f"{ALLOW_ENV} names '{name}', which is not an installed ganzoo plugin" for name in unknown]
    if strict and problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise GanzooError(f"{problems[0]}{more}; strict mode (--strict or {STRICT_ENV}=1) makes plugin "
                          f"failures fatal: fix or uninstall the plugin, or run `ganzoo plugins` for details")
    for failure in registry.failures:
        warnings.warn(f"ganzoo plugin '{failure.plugin.name}' ({failure.plugin}) was skipped: {failure.error}",
                      stacklevel=2)
    for name in unknown:
        warnings.warn(f"{ALLOW_ENV} names '{name}', which is not an installed ganzoo plugin; "
                      "see `ganzoo plugins` for the installed ones", stacklevel=2)
    return registry


def builtin_commands() -> dict[str, Command]:
    """The built-in commands alone, from the built-in plugin ``commands`` (an entry point of ganzoo's own
    distribution, like every built-in plugin). It imports nothing heavy, so a built-in command starts
    without importing torch or any other plugin; ``load_registry`` loads it again beside the others."""
    for entry_point in _entry_points():
        info = _plugin_info(entry_point)
        if info.builtin and info.name == COMMANDS_PLUGIN:
            return _register_plugin(_plugin_manager(), entry_point.load(), info).commands
    raise GanzooError(f"ganzoo's built-in commands are not installed (no '{COMMANDS_PLUGIN}' entry point in the "
                      f"'{ENTRY_POINT_GROUP}' group): reinstall ganzoo (pip install -e . in its folder)")


def _plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)
    return manager


def _register_plugin(manager: pluggy.PluginManager, plugin: Any, info: PluginInfo) -> Registry:
    """Check the plugin's hooks, register it with pluggy, and collect what its hooks register."""
    _check_hooks(manager, plugin)
    try:
        manager.register(plugin, name=info.name)
    except pluggy.PluginValidationError as error:
        raise PluginError("; ".join(str(error).splitlines())) from error
    except ValueError as error:  # pluggy: the name or the object is registered already
        raise PluginError(f"{error}; another installed plugin uses the entry-point name '{info.name}'") from error
    try:
        staged = Registry()
        for kind, hook_name in HOOKS.items():
            for impl in getattr(manager.hook, hook_name).get_hookimpls():
                if impl.plugin is plugin:
                    impl.function(register=_make_register(staged, kind, info))
        for impl in getattr(manager.hook, COMMANDS_HOOK).get_hookimpls():
            if impl.plugin is plugin:
                impl.function(register=_make_command_register(staged, info))
        return staged
    except BaseException:
        manager.unregister(plugin)
        raise


def _check_hooks(manager: pluggy.PluginManager, plugin: Any) -> None:
    """Catch the usual slips before pluggy silently ignores them: a misnamed hook,
    a hook without @hookimpl, a hook with the wrong arguments, or no hook at all."""
    hook_names = set(HOOK_ARGUMENTS)
    marked = 0
    for attribute in dir(plugin):
        function = getattr(plugin, attribute, None)
        opts = manager.parse_hookimpl_opts(plugin, attribute)
        if opts is None:
            if attribute in hook_names and callable(function):
                raise PluginError(f"{attribute}() is not marked as a hook: decorate it with @ganzoo.hookimpl")
            continue
        marked += 1
        hook_name = opts.get("specname") or attribute
        if hook_name not in hook_names:
            close = difflib.get_close_matches(hook_name, sorted(hook_names), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"ganzoo's hooks are {', '.join(sorted(hook_names))}"
            raise PluginError(f"'{hook_name}' is not a ganzoo hook; {hint}")
        required = [p.name for p in inspect.signature(function).parameters.values()
                    if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        expected = HOOK_ARGUMENTS[hook_name]
        if required != list(expected):
            count = "one argument" if len(expected) == 1 else f"{len(expected)} arguments"
            raise PluginError(f"hook {hook_name}{inspect.signature(function)} must take {count}, "
                              f"{', '.join(repr(name) for name in expected)}: def {hook_name}({', '.join(expected)})")
    if marked == 0:
        raise PluginError("it has no hook implementations; mark functions such as register_losses(register) "
                          "with @ganzoo.hookimpl")


def _record_failure(registry: Registry, info: PluginInfo, error: BaseException) -> None:
    text = str(error).strip() or type(error).__name__
    kinds = (PluginError, GanzooError)
    message = text if isinstance(error, kinds) else f"{type(error).__name__}: {text}"
    registry.failures.append(PluginFailure(info, first_line(message)))
