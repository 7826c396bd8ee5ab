"""What `ganzoo list` shows: the registered components, kind by kind, and the built-in recipes.

The table fits an 80-column terminal: one section per kind (so no kind column), the plugin
by its short name (distributions and versions once, below), and the description taking
the rest of the width.
"""

from __future__ import annotations

from typing import Any, Optional

from ganzoo.pluginhost.registry import PLURALS, Registry

RECIPE = "recipe"  # `ganzoo list --kind recipe`: the recipes alone


def listing(registry: Registry, kind: Optional[str]) -> dict[str, Any]:
    """Components (of ``kind``, or all), load failures and built-in recipes, as plain data (`--json`)."""
    from ganzoo.recipe import builtin_recipes, recipe_description  # not at import: `ganzoo list --help` stays quick

    components = [] if kind == RECIPE else registry.of_kind(kind)
    recipes = [] if kind not in (None, RECIPE) else [
        {"name": name, "description": recipe_description(path), "path": str(path)}
        for name, path in builtin_recipes().items()]
    return {
        "components": [
            {"kind": c.kind, "name": c.name, "description": c.description,
             "plugin": {"name": c.plugin.name, "distribution": c.plugin.distribution, "version": c.plugin.version}}
            for c in components
        ],
        "failures": [{"plugin": f.plugin.name, "distribution": f.plugin.distribution,
                      "version": f.plugin.version, "error": f.error} for f in registry.failures],
        "recipes": recipes,
    }


def print_listing(data: dict[str, Any], console=None) -> None:
    from rich.console import Console

    console = console or Console()
    kinds: dict[str, list[dict]] = {}
    for component in data["components"]:
        kinds.setdefault(component["kind"], []).append(component)
    for kind, rows in kinds.items():
        console.print(_table(PLURALS[kind], ("name", "plugin", "description"),
                             [(r["name"], r["plugin"]["name"], r["description"]) for r in rows]))
    if data["recipes"]:
        console.print(_table("recipes (ganzoo run NAME)", ("name", "what it trains"),
                             [(r["name"], r["description"]) for r in data["recipes"]]))
    plugins = sorted({(c["plugin"]["name"], c["plugin"]["distribution"], c["plugin"]["version"])
                      for c in data["components"]})
    if plugins:
        console.print("plugins: " + ", ".join(f"{name} ({dist} {version})" for name, dist, version in plugins),
                      highlight=False)
    for failure in data["failures"]:
        console.print(f"[red]failed[/red] plugin '{failure['plugin']}' ({failure['distribution']} "
                      f"{failure['version']}): {failure['error']}", markup=True, highlight=False, soft_wrap=True)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]):
    from rich import box
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False)
    for column in columns[:-1]:
        table.add_column(column, no_wrap=True)
    table.add_column(columns[-1], overflow="fold", ratio=1)
    for row in rows:
        table.add_row(*row)
    return table
