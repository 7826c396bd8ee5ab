"""`ganzoo new-plugin`: write a plugin package to start from."""

from __future__ import annotations

from ganzoo.pluginhost.registry import in_words
from ganzoo.pluginhost.scaffold import DEFAULT_KINDS, KINDS

HELP = "write a new plugin package to start from"
DESCRIPTION = ("Write a plugin package: pyproject.toml with the entry point, one "
               "example component per kind, a README and tests that pass once it is "
               "installed with `pip install -e DIR`.")


def add_arguments(new_plugin) -> None:
    new_plugin.add_argument("name", help="plugin name, e.g. lsgan (distribution ganzoo-lsgan, module ganzoo_lsgan)")
    new_plugin.add_argument("--dir", metavar="DIR", help="folder to write (default: ./ganzoo-NAME); must not exist or be empty")
    new_plugin.add_argument("--kind", action="append", metavar="KIND",
                            help=f"a kind to include an example of: {in_words(KINDS)}; "
                                 f"repeat or comma-separate (default: {in_words(DEFAULT_KINDS)})")


def cmd_new_plugin(args) -> int:
    from ganzoo.pluginhost.scaffold import write_plugin

    kinds = [kind.strip() for item in (args.kind or []) for kind in item.split(",") if kind.strip()]
    folder = write_plugin(args.name, args.dir, kinds or None)
    print(folder)
    return 0
