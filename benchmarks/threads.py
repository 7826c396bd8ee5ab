"""The CPU thread default: vanilla_mnist's training speed with one thread, with every core, and with
ganzoo's choice when train.threads is null (the cores other jobs leave free: ganzoo.training.threads),
alone and beside a competing CPU job.

Each measurement is a fresh `ganzoo run vanilla_mnist` process of STEPS steps (one epoch of
STEPS x 128 images); its speed is the median images/s of metrics.jsonl (the first log left out:
it holds the start-up). The settings take turns within each round, so that a drift in the machine's
load falls on all of them; the report gives each setting's median over the rounds and its ratio to
one thread under the same condition. The competing job is another torch process multiplying
matrices on every core (torch's default threads), as another user's training would.

    GANZOO_DATA=/path/to/folder python benchmarks/threads.py                 # 300 steps, 1 round
    GANZOO_DATA=/path/to/folder python benchmarks/threads.py --steps 500 --rounds 3

Only ratios within one run mean anything on a machine shared with others; docs/performance.md
says where its numbers were taken.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from omegaconf import OmegaConf

from ganzoo.training.threads import available_cores

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "vanilla_mnist.yaml"
BATCH = 128
COMPETITOR = ("import torch\n"
              "a = torch.randn(384, 384)\n"
              "while True:\n"
              "    a = torch.tanh(a @ a / 384)\n")


def settings(cores: int) -> dict[str, list[str]]:
    return {"1 thread": ["train.threads=1"], f"all {cores} cores": [f"train.threads={cores}"],
            "null (ganzoo's choice)": []}


def measure(overrides: list[str], steps: int, data: str, folder: Path) -> tuple[float, float, int]:
    """(median images/s, wall seconds of the process, threads it used)."""
    out = folder / f"run-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "ganzoo", "run", str(RECIPE), "train.device=cpu", "train.epochs=1",
               f"dataset.params.limit={steps * BATCH}", f"train.batch_size={BATCH}", "train.log_every=25",
               "output.grid_size=16", f"dataset.params.root={data}", "dataset.params.download=false", *overrides,
               "--quiet", "--out", str(out)]
    env = {key: value for key, value in os.environ.items() if key not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    rates = [json.loads(line)["images_per_sec"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    return statistics.median(rates[1:] or rates), wall, int(OmegaConf.load(out / "recipe.yaml").train.threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300, help="training steps per measurement (default 300)")
    parser.add_argument("--rounds", type=int, default=1, help="measurements of each setting (default 1)")
    parser.add_argument("--data", default=os.environ.get("GANZOO_DATA"), help="folder holding MNIST/raw/ "
                        "(default $GANZOO_DATA)")
    args = parser.parse_args()
    if not args.data:
        parser.error("give --data or set GANZOO_DATA to the folder that holds MNIST/raw/")
    cores = available_cores()
    print(f"{cores} cores, load average {os.getloadavg()[0]:.1f} at the start; {args.steps} steps of {BATCH}, "
          f"{args.rounds} round(s)", flush=True)
    results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for condition in ("alone", "beside a competing job"):
            competitor = (subprocess.Popen([sys.executable, "-c", COMPETITOR], env={
                key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"})
                if condition != "alone" else None)
            try:
                if competitor is not None:
                    time.sleep(5)  # its start-up done, it holds the cores
                names = list(settings(cores))
                for round_ in range(args.rounds):
                    for name in names if round_ % 2 == 0 else names[::-1]:
                        result = measure(settings(cores)[name], args.steps, args.data, Path(folder))
                        results.setdefault((condition, name), []).append(result)
                        print(f"  {condition}, {name}: {result[0]:,.0f} images/s, {result[1]:.1f} s, "
                              f"{result[2]} thread(s), load {os.getloadavg()[0]:.1f}", flush=True)
            finally:
                if competitor is not None:
                    competitor.kill()
                    competitor.wait()
    print("\n| condition | train.threads | threads used | images/s (median) | vs 1 thread | process wall s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (condition, name), values in results.items():
        rate = statistics.median(value[0] for value in values)
        base = statistics.median(value[0] for value in results[(condition, "1 thread")])
        used = "/".join(sorted({str(value[2]) for value in values}))
        print(f"| {condition} | {name} | {used} | {rate:,.0f} | {rate / base:.2f}x | "
              f"{statistics.median(value[1] for value in values):.1f} |")


if __name__ == "__main__":
    main()
