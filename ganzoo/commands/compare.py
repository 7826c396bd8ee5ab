"""`ganzoo compare`: one table and one picture of several runs."""

from __future__ import annotations

HELP = "one table and one picture of several runs"
DESCRIPTION = ("A table of the runs (what differs in their recipes, final losses, "
               "eval scores, wall time), printed and written as compare.csv, and "
               "compare.png: their last sample grids side by side and their loss "
               "curves overlaid. A sweep folder (ganzoo run -m) stands for its runs.")


def add_arguments(compare) -> None:
    compare.add_argument("folders", nargs="+", metavar="RUN_OR_SWEEP_DIR")
    compare.add_argument("--out", metavar="DIR", help="where compare.png and compare.csv go (default: the sweep "
                                                      "folder when one sweep is given, else the current folder)")


def cmd_compare(args) -> int:
    from pathlib import Path

    from ganzoo.compare.output import write_comparison
    from ganzoo.compare.runs import collect_runs
    from ganzoo.compare.table import build_table, print_table
    from ganzoo.sweep.manifest import is_sweep

    runs = collect_runs(args.folders)
    if args.out:
        out = Path(args.out)
    else:
        out = Path(args.folders[0]) if len(args.folders) == 1 and is_sweep(Path(args.folders[0])) else Path(".")
    table = build_table(runs)
    print_table(table, title=f"{len(runs)} runs")
    print(write_comparison(runs, table, out))
    return 0
