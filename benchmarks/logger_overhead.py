"""What a logger costs: the whole `ganzoo run` process of the vanilla recipe with and without it.

Each run is a fresh process (imports, data loading, training, the final plot: everything a user
waits for). Runs go in pairs, off then on, then on then off (ABBA), so that a drift in the
machine's speed falls on both sides; the report gives each side's median wall time, the ratio of
the medians and the median of the per-pair ratios. The issue's bar: the logger within 5% (<= 1.05).

    python benchmarks/logger_overhead.py                        # tensorboard, the recipe as shipped, 5 pairs
    python benchmarks/logger_overhead.py --epochs 1 --repeats 3 # quicker
    python benchmarks/logger_overhead.py --logger mlflow --repeats 3

On a shared machine the noise is larger than 5%; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "vanilla_mnist.yaml"


def run_once(loggers: str, data: str, folder: Path, extra: list[str]) -> float:
    out = folder / f"run-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "ganzoo", "run", str(RECIPE), "train.device=cpu",
               f"dataset.params.root={data}", "dataset.params.download=false", f"loggers={loggers}", *extra,
               "--quiet", "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env={**os.environ})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logger", default="tensorboard")
    parser.add_argument("--repeats", type=int, default=5, help="pairs of runs (default 5)")
    parser.add_argument("--epochs", type=int, help="train.epochs (default: the recipe's, 5)")
    parser.add_argument("--threads", type=int, help="train.threads (default: the recipe's, torch's default)")
    parser.add_argument("--data", default=str((ROOT / ".." / "shared" / "datasets").resolve()))
    parser.add_argument("--override", action="append", default=[], help="extra recipe override")
    args = parser.parse_args()
    extra = ([f"train.epochs={args.epochs}"] if args.epochs else []) + (
        [f"train.threads={args.threads}"] if args.threads else []) + args.override
    off_label, on_label = "[]", f"[{args.logger}]"
    times = {off_label: [], on_label: []}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            order = (off_label, on_label) if repeat % 2 == 0 else (on_label, off_label)
            for loggers in order:
                times[loggers].append(run_once(loggers, args.data, Path(folder), extra))
            print(f"pair {repeat + 1}: off {times[off_label][-1]:.2f} s, on {times[on_label][-1]:.2f} s", flush=True)
    off, on = (statistics.median(values) for values in times.values())
    for loggers, values in times.items():
        print(f"loggers={loggers:<16} median {statistics.median(values):6.2f} s  ({', '.join(f'{v:.2f}' for v in values)})")
    pairs = [b / a for a, b in zip(times[off_label], times[on_label])]
    print(f"{args.logger}: {on / off:.3f}x the run without a logger (medians); per pair: median {statistics.median(pairs):.3f}x, "
          f"{min(pairs):.3f} to {max(pairs):.3f}")


if __name__ == "__main__":
    main()
