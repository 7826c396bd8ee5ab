"""``ganzoo params``: a component's params as a user reads them, without the plugin's code.

Each field of the params dataclass with its type, its default and the comment
written beside it in the source (``latent_dim: int = 100  # size of z``), read
with ``inspect`` and ``tokenize``. A dataclass whose source cannot be read
(built at run time) still shows its types and defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import io
import textwrap
import tokenize
import typing
from typing import Any, Dict, List

from ganzoo.errors import GanzooError


@dataclasses.dataclass
class ParamDoc:
    name: str
    type: str
    default: Any  # the value a recipe gets without setting it; None where required
    required: bool
    comment: str


def params_of(params_class: type) -> List[ParamDoc]:
    """Every field of a params dataclass, in order."""
    comments = field_comments(params_class)
    return [ParamDoc(f.name, type_name(f.type), *_default(f), comments.get(f.name, ""))
            for f in dataclasses.fields(params_class)]


def _default(f: dataclasses.Field) -> tuple[Any, bool]:
    if f.default is not dataclasses.MISSING:
        return f.default, False
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory(), False
    return None, True


def type_name(annotation: Any) -> str:
    """How a field's type reads in source: ``List[int]``, ``Optional[str]``, ``float``."""
    if isinstance(annotation, str):  # from __future__ import annotations
        return annotation
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def field_comments(params_class: type) -> Dict[str, str]:
    """Field name -> the comment on the line that declares it, from the class's source."""
    try:
        source = textwrap.dedent(inspect.getsource(params_class))
    except (OSError, TypeError):  # no source: a class built at run time, or a frozen application
        return {}
    comments: Dict[str, str] = {}
    body_column = None  # the column of the class body's statements
    line_start, first, field = True, None, None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.INDENT and body_column is None:
                body_column = len(token.string)
            if token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                line_start, first, field = True, None, None
                continue
            if token.type in (tokenize.NL, tokenize.ENCODING):
                continue
            if token.type == tokenize.COMMENT:
                if field is not None:
                    text = token.string.lstrip("#").strip()
                    comments[field] = f"{comments[field]} {text}".strip() if field in comments else text
                continue
            if line_start:
                line_start, first = False, token
            elif (token.string == ":" and first is not None and first.type == tokenize.NAME
                  and first.start[1] == body_column and field is None):
                field = first.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    names = {f.name for f in dataclasses.fields(params_class)}  # not ClassVars and other annotated names
    return {name: text for name, text in comments.items() if name in names}


def check_kind(kind: str) -> None:
    """A component kind, or a one-line error with a did-you-mean (``losses`` -> ``loss``)."""
    from ganzoo.pluginhost.registry import KINDS, PLURALS

    if kind not in KINDS:
        plural = {value: key for key, value in PLURALS.items()}.get(kind)
        close = [plural] if plural else difflib.get_close_matches(kind, KINDS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise GanzooError(f"unknown kind '{kind}'; {hint}kinds are: {', '.join(KINDS)}")


def find_component(registry, kind: str, name: str):
    """The registered component, or a one-line error with a did-you-mean."""
    from ganzoo.pluginhost.registry import PLURALS

    check_kind(kind)
    names = [c.name for c in registry.of_kind(kind)]
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise GanzooError(f"unknown {kind} '{name}'; {hint}registered {PLURALS[kind]}: {', '.join(names) or 'none'} "
                          f"(see `ganzoo list --kind {kind}`)")
    return registry.get(kind, name)


def as_json(component) -> Dict[str, Any]:
    """A component and its params, for ``ganzoo params --json``."""
    plugin = component.plugin
    found = {"kind": component.kind, "name": component.name, "description": component.description,
             "plugin": {"name": plugin.name, "distribution": plugin.distribution, "version": plugin.version},
             "params": [{"name": p.name, "type": p.type, "default": _plain(p.default), "required": p.required,
                         "comment": p.comment} for p in params_of(component.params)]}
    if component.kind == "algorithm":
        found["roles"] = dict(component.factory.roles)
    return found


def roles_line(component) -> str:
    """An algorithm's roles, the recipe sections it takes: ``roles: generator (generator), ...``."""
    if component.kind != "algorithm":
        return ""
    return "recipe sections (roles): " + ", ".join(f"{role} ({kind})" for role, kind in component.factory.roles.items())


def _plain(value: Any) -> Any:
    """A default as JSON holds it (lists, mappings, numbers, strings, null)."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def as_yaml_value(value: Any) -> str:
    """A default as a recipe writes it: null, true, [128, 64], relu."""
    import json

    if isinstance(value, str):
        return value if value else "''"
    return json.dumps(_plain(value))


def print_params(components, console=None) -> None:
    """A table per component: param, type, default, comment."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    for index, component in enumerate(components):
        if index:
            console.print()
        title = f"{component.kind} '{component.name}' ({component.plugin.name}, {component.plugin})"
        docs = params_of(component.params)
        if roles_line(component):
            console.print(roles_line(component), highlight=False, markup=False)
        if not docs:
            console.print(f"{title}: takes no params", highlight=False, markup=False)
            continue
        table = Table(title=Text(title), caption=Text(component.description) if component.description else None,
                      title_justify="left", caption_justify="left")
        for column in ("param", "type", "default", "comment"):
            table.add_column(column, overflow="fold")
        for doc in docs:  # as Text: List[int] is not rich markup
            default = "(required)" if doc.required else as_yaml_value(doc.default)
            table.add_row(*(Text(cell) for cell in (doc.name, doc.type, default, doc.comment)))
        console.print(table)
