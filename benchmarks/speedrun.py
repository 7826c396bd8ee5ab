"""Speedrun records (issue 30): time to a good generator, whole process, on this machine.

    GANZOO_DATA=/path/to/folder-holding-MNIST/raw python benchmarks/speedrun.py
    python benchmarks/speedrun.py --tracks founding_mlp uncond_mnist --seeds 0 1 2

For each track, each seed: `ganzoo run recipes/NAME.yaml seed=S` as a user types it (a fresh process,
start-up, data loading and checkpoint writing included), timed; then `ganzoo eval RUN` (10,000 images,
timed as well, not part of the record) and the track's quality bar checked on its report. Prints a line
per run and writes the "Speedrun records" section of docs/performance.md (between its markers), with the
CPU model and its bf16 instructions, each row with its command. A record counts on a quiet machine only:
the load average at the start and the end of each track is written beside it. A track may time each seed
several times (``Track.repeats``, ``--repeats``): its record is the fastest, as ``timeit`` takes the least of
its repeats (the slower ones time what else the machine was doing), every repeat is evaluated and must meet
the bar, and the table shows every time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import ROOT, bf16_flags, cell, ganzoo, last_line, label_accuracy, machine, replace_section, train_and_score  # noqa: E402

from ganzoo.training.threads import available_cores  # noqa: E402

SECTION = "speedrun-records"


@dataclass
class Track:
    name: str
    recipe: str  # recipes/NAME.yaml; "" while the track has none
    bar: list = field(default_factory=list)  # (metric in eval.json, ">=" or "<=", value): its generated
    # images' value, or a translation run's outputs' (``a2b_psnr``...); "label_accuracy": the shipped classifier
    # reads the asked digit in this share of 1,000 `ganzoo sample --label k` samples of each digit
    target_s: float = 0.0
    today: str = ""
    baseline: str = ""  # the recipe of "today", timed back to back with --baseline
    repeats: int = 1  # timed runs of each seed; the record is the fastest (see the module's doc)


TRACKS = [
    Track("uncond_mnist", "speedrun_uncond_mnist",
          [("mnist_score", ">=", 9.0), ("precision", ">=", 0.7), ("modes", ">=", 10)], 60, "172 s (dcgan_sharp)",
          baseline="dcgan_sharp"),
    Track("cond_mnist", "speedrun_cond_mnist",
          [("mnist_score", ">=", 9.5), ("modes", ">=", 10), ("label_accuracy", ">=", 0.95)], 45,
          "cgan_mnist, 5 epochs", baseline="cgan_mnist"),
    # The shortest track: a 6 s run samples the machine's speed of the moment, which here changes by up to 1.6x
    # for tens of seconds (docs/performance.md, "Speedrun records"), where a 40 s run averages over it.
    Track("founding_mlp", "speedrun_founding_mlp", [("mnist_score", ">=", 4.0), ("modes", ">=", 10)], 7,
          "~14 s for 5 epochs (vanilla_mnist)", baseline="vanilla_mnist", repeats=3),
    Track("sr_mnist", "speedrun_sr_mnist", [("a2b_psnr", ">=", 19.5), ("a2b_accuracy", ">=", 0.97)], 40,
          "115 s (srgan_mnist)", baseline="srgan_mnist"),
    Track("outlines_to_digits", "speedrun_outlines_mnist", [("a2b_accuracy", ">=", 0.975)], 20,
          "48 s (pix2pix_edges_mnist)", baseline="pix2pix_edges_mnist"),
]


def check(bar: list, report: dict) -> tuple[bool, str]:
    """Whether ``report`` (`ganzoo eval --json`) meets every (metric, op, value) of ``bar``, and the values."""
    metrics, ok, shown = report.get("metrics", {}), True, []
    for key, op, value in bar:
        entry = metrics.get(key, {})
        got = entry.get("generated", entry.get("value"))
        passed = got is not None and (got >= value if op == ">=" else got <= value)
        ok = ok and passed
        shown.append(f"{key} {cell(got) if got is not None else 'missing'}{'' if passed else ' (fails)'}")
    return ok, ", ".join(shown)


def run_track(track: Track, seeds: list[int], runs: Path, n: int, env: dict, baseline: bool = False,
              repeats: int | None = None) -> list[dict]:
    rows, times = [], repeats or track.repeats
    for seed in seeds:
        if baseline and track.baseline:  # "today", just before the record, for a ratio that load shifts less
            rows.append(fastest([run_one(track, track.baseline, seed, runs, n, env, role="baseline")
                                 for _ in range(times)]))
        rows.append(fastest([run_one(track, track.recipe, seed, runs, n, env) for _ in range(times)]))
        if baseline and track.baseline:
            rows[-1]["ratio"] = rows[-1]["wall_s"] / rows[-2]["wall_s"]
            print(f"{track.name} seed {seed}: {rows[-1]['ratio']:.2f}x the time of {track.baseline}", flush=True)
    return rows


def settle(below: float = 0.5, limit_s: float = 240.0) -> None:
    """Wait (at most ``limit_s``) until the 1-minute load average is under ``below``: a record is taken on a quiet
    machine, and the previous run's tail (its exit, the kernel writing its files back) is not the next one's
    load. (The automatic thread count read the load average until 2026-12-07, when a run back to back with
    another took 1 thread of 2 for it; it now reads the cores busy during its own start-up, and the records
    set train.threads=CORES anyway.)"""
    deadline = time.monotonic() + limit_s
    while os.getloadavg()[0] >= below and time.monotonic() < deadline:
        time.sleep(5)


def compile_bytecode() -> None:
    """Python's bytecode of ganzoo and its built-in plugins, written once as a user's first import writes it. This
    machine's environment sets PYTHONDONTWRITEBYTECODE=1, so no import here ever writes it, and every `ganzoo`
    process compiled the project's modules from source (~170 of them): importing the trainer and every plugin took
    0.44-0.48 s from source against 0.15-0.24 s from bytecode (2026-12-08), in every timed run before that day. A
    user's editable install writes the bytecode at its first import (a wheel's install, at install time); this
    writes it for the timed runs, which then read it as a user's second run does. Up to date files are left."""
    import compileall

    for folder in ("ganzoo", "plugins"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def warm_up(recipe: Path, seed: int, runs: Path, env: dict) -> None:
    """An untimed run of ``recipe`` on 512 images for one epoch: it reads the files the timed run reads (torch's
    libraries, the plugins, the data). The machines here page out file pages left unread for ~6 s (DAMON's
    ``pageout`` scheme, /sys/kernel/mm/damon/admin), so the wait for a quiet machine in :func:`settle` left each
    run to read them from disk again: +1.5 s for ``import torch`` alone, a first run of the founding recipe
    9.0 s against 6.2 s for the next. A machine that keeps its file cache sees what the timed run sees."""
    out = runs / "warm-up"
    shutil.rmtree(out, ignore_errors=True)
    warmed = ganzoo("run", str(recipe), f"seed={seed}", "train.device=cpu", "train.epochs=1",
                    "dataset.params.limit=512", "eval.every=0", "--out", str(out), "--quiet", env=env)
    if warmed.returncode != 0:
        print(f"warm-up of {recipe.name} failed ({last_line(warmed.stderr)}); timing it cold", flush=True)
    shutil.rmtree(out, ignore_errors=True)


def run_one(track: Track, recipe_name: str, seed: int, runs: Path, n: int, env: dict, role: str = "record") -> dict:
    recipe = ROOT / "recipes" / f"{recipe_name}.yaml"
    settle()
    warm_up(recipe, seed, runs, env)
    load = os.getloadavg()[0]
    # every core: left to train.threads: null, a record that started as the load average settled to 0.5
    # took 1 thread of 2; a record is taken on a quiet machine
    result = train_and_score(recipe, runs, n, seed, "cpu", env, [f"train.threads={available_cores()}"],
                             name=f"{track.name}-{role}-seed{seed}", every=0)
    row = {"track": track.name, "seed": seed, "wall_s": result["wall_s"], "load": (load, os.getloadavg()[0]),
           "command": f"ganzoo run recipes/{recipe_name}.yaml seed={seed}", "role": role}
    if "error" in result:
        row.update(ok=False, scores=result["error"])
    else:
        if any(key == "label_accuracy" for key, _, _ in track.bar):
            labels = label_accuracy(ROOT / result["run"], seed)
            result["eval"]["metrics"]["label_accuracy"] = {"generated": labels.get("accuracy")}
        ok, scores = check(track.bar, result["eval"])
        row.update(ok=ok, scores=scores, eval_s=round(result["eval_wall_s"], 1))
    row["in_time"] = row["wall_s"] <= track.target_s
    print(f"{track.name} ({recipe_name}) seed {seed}: {row['wall_s']:.1f} s (target {track.target_s:g} s), "
          f"{row['scores']}"
          f"{'' if row['ok'] else '  QUALITY BAR MISSED'}; eval {row.get('eval_s', '-')} s; "
          f"load {row['load'][0]:.1f}->{row['load'][1]:.1f}", flush=True)
    return row


def fastest(repeats: list[dict]) -> dict:
    """One seed's record from its timed repeats: the fastest run's row, with every time (``walls``, in the order
    run); it meets the bar only when every repeat does, and says so when the repeats scored differently (the
    same recipe and seed train the same weights, so they should not). A repeat that failed before its evaluation
    is not the fastest: its time is not a training's."""
    trained = [row for row in repeats if "eval_s" in row] or repeats
    best = dict(min(trained, key=lambda row: row["wall_s"]))
    if len(repeats) > 1:
        best["walls"] = [row["wall_s"] for row in repeats]
        best["ok"] = all(row["ok"] for row in repeats)
        if len({row["scores"] for row in repeats}) > 1:
            best["scores"] += "; the repeats scored differently: " + " / ".join(row["scores"] for row in repeats)
    return best


def wall_text(row: dict) -> str:
    if len(row.get("walls", [])) < 2:
        return f"{row['wall_s']:.1f} s"
    return f"{row['wall_s']:.1f} s (fastest of {len(row['walls'])}: {', '.join(f'{w:.1f}' for w in row['walls'])})"


def bar_text(track: Track) -> str:
    parts = [f"{key} {op} {cell(value)}" for key, op, value in track.bar]
    return ", ".join(parts)


def published_track_rows(path: Path) -> dict[str, list[str]]:
    """The rows the section publishes now, by track (a track has a row per seed and a median row): a run of
    some tracks keeps the others' rows, as the runs behind them are not in git."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    found = re.search(rf"<!-- {SECTION}:begin -->(.*?)<!-- {SECTION}:end -->", text, re.DOTALL)
    rows: dict[str, list[str]] = {}
    for line in found.group(1).splitlines() if found else []:
        cells = line.split("|")
        if line.startswith("| ") and len(cells) > 2 and cells[1].strip() not in ("track", "---") \
                and "| no recipe yet |" not in line and "| not run |" not in line:  # placeholders, not records
            rows.setdefault(cells[1].strip(), []).append(line)
    return rows


def markdown(tracks: list[Track], rows: list[dict], command: str, n: int = 10000,
             published: dict[str, list[str]] | None = None) -> str:
    out = [f"<!-- {SECTION}:begin -->", "## Speedrun records", "",
           f"Written by `{command}` ({time.strftime('%Y-%m-%d', time.gmtime())}): each track's recipe run as a "
           "user runs it (`ganzoo run recipes/NAME.yaml seed=S`, a fresh process: start-up, data loading and "
           f"checkpoints included), then `ganzoo eval RUN -n {n}` ({n:,} images; its whole process is the eval "
           "column, not part of the record; the script adds `train.device=cpu train.threads=CORES eval.every=0 --out RUN --quiet`, CORES "
           "being every core the process may use). A record holds when "
           "every seed meets the quality bar within the target on a quiet "
           "machine; the load average (1 minute, at the start and the end of each run) says how quiet it was (each run "
           "waits, up to 4 minutes, for it to fall under 0.5), then, untimed, "
           "runs the recipe on 512 images for one epoch, which reads the files the timed run reads (this machine pages "
           "out files left unread for ~6 s, so a run after the wait read torch from disk again: see the script's "
           "`warm_up`; rows written before 2026-12-07 20:30 UTC were timed without it). Before the first run the script "
           "writes the project's Python bytecode, as a user's first import does (this machine's environment sets "
           "PYTHONDONTWRITEBYTECODE=1, so rows written before 2026-12-08 compiled ganzoo and its plugins from "
           "source in every process, ~0.3 s; see `compile_bytecode`). Where a row gives several times, the seed "
           "was timed that many times and the record is the fastest, as `timeit` takes the least of its repeats "
           "(each repeat trains the same weights, is evaluated, and must meet the bar). The rows of tracks "
           "that command did not run are kept as published before; each row's command and the script reproduce it.",
           "", f"Machine: {machine('cpu')}; {bf16_flags()}.", "",
           "| track | quality bar (every seed) | target | today | seed | whole process | eval | scores | "
           "load | command |", "|" + " --- |" * 10]
    for track in tracks:
        mine = [row for row in rows if row["track"] == track.name and row["role"] == "record"]
        before = {row["seed"]: row for row in rows if row["track"] == track.name and row["role"] == "baseline"}
        if not mine and (published or {}).get(track.name) and track.recipe:
            out += published[track.name]
        elif not mine:
            out.append(f"| {track.name} | {bar_text(track)} | {track.target_s:g} s | {track.today} | - | - | - | "
                       f"{'no recipe yet' if not track.recipe else 'not run'} | - | - |")
        for row in mine:
            verdict = ("meets the bar" if row["ok"] else "MISSES the bar") + (
                "" if row["in_time"] else ", over the target")
            today = (f"{before[row['seed']]['wall_s']:.1f} s ({track.baseline}, just before; this row "
                     f"{row['ratio']:.2f}x)" if row["seed"] in before else track.today)
            out.append(f"| {track.name} | {bar_text(track)} | {track.target_s:g} s | {today} | {row['seed']} | "
                       f"{wall_text(row)} | {row.get('eval_s', '-')} s | {row['scores']}; {verdict} | "
                       f"{row['load'][0]:.1f} -> {row['load'][1]:.1f} | `{row['command']}` |")
        if len(mine) > 1:
            walls = [row["wall_s"] for row in mine]
            out.append(f"| {track.name} | median of {len(mine)} seeds | | | | {statistics.median(walls):.1f} s | | "
                       f"{'every seed meets the bar' if all(r['ok'] for r in mine) else 'not every seed meets the bar'}"
                       " | | |")
    out.append(f"<!-- {SECTION}:end -->")
    return "\n".join(out) + "\n"


def main() -> int:
    names = [track.name for track in TRACKS]
    ready = [track.name for track in TRACKS if track.recipe]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", nargs="+", choices=names, default=ready,
                        help=f"tracks to run (default: those with a recipe, {', '.join(ready)})")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("-n", type=int, default=10000, help="images `ganzoo eval` scores (default 10000)")
    parser.add_argument("--baseline", action="store_true",
                        help="also run each track's recipe of today (dcgan_sharp, vanilla_mnist) just before its "
                             "record, seed for seed, and report the ratio of their times")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs of each seed, the record being the fastest (default: the track's own, "
                             + ", ".join(f"{t.name} {t.repeats}" for t in TRACKS if t.repeats > 1) + ", else 1)")
    parser.add_argument("--runs", default=str(ROOT / "benchmarks" / "runs" / "speedrun"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"),
                        help="the file whose 'Speedrun records' section is replaced ('-': print it only)")
    args = parser.parse_args()
    without = [name for name in args.tracks if not next(t for t in TRACKS if t.name == name).recipe]
    if without:
        parser.error(f"no recipe for track {without[0]} yet; tracks with one: {', '.join(ready)}")
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    data = os.environ.get("GANZOO_DATA") or str((ROOT / ".." / "shared" / "datasets").resolve())
    env = {**os.environ, "GANZOO_DATA": str(Path(data).resolve())}
    print(f"{machine('cpu')}; {bf16_flags()}", flush=True)
    compile_bytecode()
    rows = []
    for track in TRACKS:
        if track.name in args.tracks:
            rows += run_track(track, args.seeds, Path(args.runs).resolve(), args.n, env, args.baseline, args.repeats)
    command = "python benchmarks/speedrun.py" + (
        "" if set(args.tracks) == set(ready) else f" --tracks {' '.join(args.tracks)}") + (
        "" if args.seeds == [0, 1, 2] else f" --seeds {' '.join(map(str, args.seeds))}") + (
        " --baseline" if args.baseline else "")
    command += "" if args.n == 10000 else f" -n {args.n}"
    command += "" if args.repeats is None else f" --repeats {args.repeats}"
    section = markdown(TRACKS, rows, command, args.n, published_track_rows(Path(args.out)) if args.out != "-" else {})
    if args.out == "-":
        print(section)
    else:
        replace_section(Path(args.out), section)
        print(f"wrote the '{SECTION}' section of {args.out}")
    return 0 if all(row["ok"] for row in rows if row["role"] == "record") else 1


if __name__ == "__main__":
    sys.exit(main())
