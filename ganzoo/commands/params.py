"""`ganzoo params`: a component's params, with their types, defaults and comments."""

from __future__ import annotations

from ganzoo.commands.common import _registry
from ganzoo.pluginhost.registry import KINDS, in_words

HELP = "show a component's params: types, defaults, comments"
DESCRIPTION = ("The params a recipe can give a component (KIND.params), each with its "
               "type, its default and the comment beside it in the plugin's code. "
               "Without NAME, every component of KIND.")


def add_arguments(params) -> None:
    params.add_argument("kind", metavar="KIND", help=in_words(KINDS))
    params.add_argument("name", nargs="?", metavar="NAME", help="the component's name, as `ganzoo list` shows it")
    params.add_argument("--json", action="store_true", help="print JSON instead of tables")


def cmd_params(args) -> int:
    import json

    from ganzoo.pluginhost.params_doc import as_json, check_kind, find_component, print_params

    check_kind(args.kind)
    registry = _registry(args)
    if args.name is None:
        components = registry.of_kind(args.kind)
    else:
        components = [find_component(registry, args.kind, args.name)]
    if args.json:
        found = [as_json(component) for component in components]
        print(json.dumps(found[0] if args.name is not None else found, indent=2))
    else:
        print_params(components)
    return 0
