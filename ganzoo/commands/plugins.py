"""`ganzoo plugins`: the installed plugins and what each registered."""

from __future__ import annotations

from ganzoo.commands.common import _registry

HELP = "show the installed plugins and what each registered"
DESCRIPTION = ("Each plugin (entry point of the 'ganzoo' group): distribution, version, "
               "status (loaded, failed with its error, or disabled by GANZOO_PLUGINS) "
               "and the components (and commands) it registered.")


def add_arguments(plugins) -> None:
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")


def cmd_plugins(args) -> int:
    from ganzoo.pluginhost.report import plugin_report, print_plugin_report

    report = plugin_report(_registry(args))
    if args.json:
        import json

        print(json.dumps(report, indent=2))
    else:
        print_plugin_report(report)
    return 0
