"""The comparison table: one row per run; the recipe values that differ, the final losses,
eval scores and wall time. Printed with rich, and written as CSV beside the picture."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import List

from ganzoo.compare.runs import RunSummary
from ganzoo.output.files import write_text_atomic

PIPED_WIDTH = 200
Table = tuple[List[str], List[List[str]]]  # header, rows


def differing_choices(runs: List[RunSummary]) -> List[str]:
    """Per run, what sets it apart: a sweep's grid choices when every run is a sweep's, else the recipe
    values that are not the same in all runs (as KEY=VALUE, space-separated)."""
    if all(run.swept is not None for run in runs):
        return [" ".join(run.swept) for run in runs]
    readable = [run for run in runs if run.recipe]
    keys = sorted({key for run in readable for key in run.recipe})
    differ = [key for key in keys if len({run.recipe.get(key) for run in readable}) > 1]
    return [" ".join(f"{key}={run.recipe[key]}" for key in differ if key in run.recipe) if run.recipe
            else " ".join(run.swept or []) for run in runs]


def build_table(runs: List[RunSummary]) -> Table:
    losses = _in_order(key for run in runs for key in run.losses)
    scores = _in_order(key for run in runs for key in run.scores)
    header = ["run", "status", "differs in", "step", *losses, *scores, "wall s"]
    rows = []
    for run, choices in zip(runs, differing_choices(runs)):
        rows.append([run.name, run.status, choices or "-", _text(run.steps),
                     *(_text(run.losses.get(key)) for key in losses), *(_text(run.scores.get(key)) for key in scores),
                     _text(run.wall_s, "{:.1f}")])
    return header, rows


def _in_order(keys) -> List[str]:
    return list(dict.fromkeys(keys))


def _text(value, form: str = "{:.4g}") -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else form.format(value)


def print_table(table: Table, title: str) -> None:
    """The table as rich draws it: one row per run when it fits the width (a terminal's, else PIPED_WIDTH),
    else turned, one column per run and one row per value (a translation run's two directions give some
    thirty scores), so no column is squeezed to nothing. compare.csv stays one row per run."""
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    wide = _wide(table, title)
    console.print(wide if _fits(table, console.width) else _turned(table, title))


def _wide(table: Table, title: str):
    from rich.table import Table as RichTable

    header, rows = table
    shown = RichTable(title=title)
    for column in header:
        wraps = column == "differs in"
        shown.add_column(column, justify="left" if column in ("run", "status", "differs in") else "right",
                         no_wrap=not wraps, overflow="fold" if wraps else "ellipsis", min_width=12 if wraps else None)
    choices = header.index("differs in")
    for row in rows:  # one choice a line
        shown.add_row(*row[:choices], row[choices].replace(" ", "\n"), *row[choices + 1:])
    return shown


def _fits(table: Table, width: int) -> bool:
    """Whether one row per run fits ``width`` without cutting a header or a value (a choice a line)."""
    header, rows = table
    needed = 1
    for index, column in enumerate(header):
        cells = [row[index] for row in rows]
        if column == "differs in":
            cells = [part for cell in cells for part in cell.split(" ")]
        needed += max([len(column), *map(len, cells)]) + 3  # the value, its padding and a rule
    return needed <= width


def _turned(table: Table, title: str):
    from rich.table import Table as RichTable

    header, rows = table
    shown = RichTable(title=title)
    shown.add_column("", justify="left", no_wrap=True)
    for row in rows:
        shown.add_column(row[0], justify="right", overflow="fold")
    for index, column in enumerate(header[1:], start=1):
        shown.add_row(column, *(row[index].replace(" ", "\n") if column == "differs in" else row[index]
                                for row in rows))
    return shown


def write_csv(table: Table, path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table[0])
    writer.writerows(table[1])
    write_text_atomic(path, buffer.getvalue())
