"""What `ganzoo plugins` shows: each installed plugin, its status and what it registered (components, commands)."""

from __future__ import annotations

from typing import Any

from ganzoo.pluginhost.registry import ALLOW_ENV, KINDS, Registry

LOADED, FAILED, DISABLED = "loaded", "failed", "disabled"


def plugin_report(registry: Registry) -> dict[str, Any]:
    """Every plugin the registry saw, as plain data (the JSON of `ganzoo plugins --json`)."""
    rows = []
    for info in registry.plugins:
        registered = {kind: [c.name for c in registry.of_plugin(info.name) if c.kind == kind] for kind in KINDS}
        registered["command"] = [c.name for c in registry.commands.values() if c.plugin.name == info.name]
        rows.append(_row(info, LOADED, None, {kind: names for kind, names in registered.items() if names}))
    rows += [_row(f.plugin, FAILED, f.error, {}) for f in registry.failures]
    rows += [_row(info, DISABLED, f"not in {ALLOW_ENV}", {}) for info in registry.disabled]
    rows.sort(key=lambda row: (not row["builtin"], row["name"], row["distribution"]))
    return {"plugins": rows}


def _row(info, status: str, error, registered: dict[str, list[str]]) -> dict[str, Any]:
    return {"name": info.name, "distribution": info.distribution, "version": info.version,
            "builtin": info.builtin, "status": status, "error": error, "registered": registered}


def print_plugin_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    colours = {LOADED: "green", FAILED: "red", DISABLED: "yellow"}
    table = Table(title="ganzoo plugins")
    for column in ("plugin", "distribution", "version", "status", "registered"):
        table.add_column(column, overflow="fold")
    for row in report["plugins"]:
        if row["status"] == LOADED:
            what = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in row["registered"].items()) or "nothing"
        else:
            what = row["error"]
        name = row["name"] + (" (built-in)" if row["builtin"] else "")
        table.add_row(name, row["distribution"], row["version"],
                      Text(row["status"], style=colours[row["status"]]), Text(what))
    console = Console()
    console.print(table)
    if not report["plugins"]:
        console.print("no plugins are installed: reinstall ganzoo (pip install -e .) to get the built-in ones")
