"""`ganzoo list`: the registered components and the built-in recipes."""

from __future__ import annotations

from ganzoo.commands.common import _registry
from ganzoo.errors import GanzooError
from ganzoo.pluginhost.listing import RECIPE
from ganzoo.pluginhost.registry import KINDS, in_words

HELP = "show the registered components and built-in recipes"


def add_arguments(listing) -> None:
    listing.add_argument("--kind", help=f"only this kind: {in_words((*KINDS, RECIPE))}")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")


def cmd_list(args) -> int:
    import json

    from ganzoo.pluginhost.listing import listing, print_listing

    if args.kind is not None and args.kind not in (*KINDS, RECIPE):
        raise GanzooError(f"unknown kind '{args.kind}'; kinds are: {', '.join((*KINDS, RECIPE))}")
    data = listing(_registry(args), args.kind)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_listing(data)
    return 0
