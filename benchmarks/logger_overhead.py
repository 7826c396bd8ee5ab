"""What a logger costs: the whole `ganzoo run` process of the vanilla recipe with and without it.

Runs are interleaved (off, on, off, on, ...), each a fresh process, and the median wall times
compared; the issue's bar is the logger within 5% of no logger.

    python benchmarks/logger_overhead.py                        # tensorboard, 5 repeats of 1 epoch
    python benchmarks/logger_overhead.py --logger mlflow --repeats 3
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
RECIPE = ROOT / "ganzoo" / "recipes" / "vanilla_mnist.yaml"


def run_once(loggers: str, data: str, epochs: int, folder: Path, extra: list[str]) -> float:
    out = folder / f"run-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "ganzoo", "run", str(RECIPE), f"train.epochs={epochs}", "train.device=cpu",
               f"dataset.params.root={data}", "dataset.params.download=false", f"loggers={loggers}", *extra,
               "--quiet", "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env={**os.environ})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logger", default="tensorboard")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--data", default=str((ROOT / ".." / "shared" / "datasets").resolve()))
    parser.add_argument("--override", action="append", default=[], help="extra recipe override")
    args = parser.parse_args()
    times = {"[]": [], f"[{args.logger}]": []}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.repeats):
            for loggers in times:
                times[loggers].append(run_once(loggers, args.data, args.epochs, Path(folder), args.override))
    off, on = (statistics.median(values) for values in times.values())
    for loggers, values in times.items():
        print(f"loggers={loggers:<16} median {statistics.median(values):6.2f} s  ({', '.join(f'{v:.2f}' for v in values)})")
    print(f"{args.logger}: {on / off:.3f}x the run without a logger")


if __name__ == "__main__":
    main()
