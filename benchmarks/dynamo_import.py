"""What keeping torch._dynamo unimported is worth to a whole `ganzoo run` (ganzoo.fast.lazy_dynamo).

    GANZOO_DATA=/path/to/folder python benchmarks/dynamo_import.py [--recipe RECIPE] [--repeats 3] [KEY=VALUE ...]

Runs RECIPE (default recipes/speedrun_founding_mlp.yaml) in fresh processes, alternating the
trainer as it is with the trainer whose ``defer_dynamo_import`` is a no-op (torch's optimisers then
import torch._dynamo and wrap their methods in its disable), and prints each path's median wall
and CPU time and their ratio, and whether the two paths logged the same numbers (they must).
Alternation spreads a shared machine's load over both paths; read the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = ("import sys, ganzoo.training.trainer as trainer\n"
       "if sys.argv[1] == 'eager': trainer.defer_dynamo_import = lambda: None\n"
       "from ganzoo.cli import main\n"
       "code = main(['run', *sys.argv[2:]])\n"
       "print('torch._dynamo' in sys.modules, file=sys.stderr)\n"
       "sys.exit(code)\n")


def one_run(path: str, recipe: str, overrides: list[str], out: Path) -> tuple[float, float, bool]:
    """(wall s, CPU s, whether torch._dynamo was imported) of one whole `ganzoo run` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN, path, recipe, *overrides, "train.device=cpu", "eval.every=0",
                           "--out", str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{path} run failed: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr.strip().splitlines()[-1] == "True"


def logged(run_dir: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "images_per_sec"} for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default=str(ROOT / "recipes" / "speedrun_founding_mlp.yaml"))
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {"lazy": [], "eager": []}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            for path in times:
                out = Path(folder) / f"{path}-{repeat}"
                wall, cpu, dynamo = one_run(path, args.recipe, args.overrides, out)
                times[path].append((wall, cpu))
                print(f"{path:5s} run {repeat}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, torch._dynamo imported: {dynamo}",
                      flush=True)
        same = logged(Path(folder) / "lazy-0") == logged(Path(folder) / "eager-0")
    load = os.getloadavg()[0]
    medians = {path: (statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows))
               for path, rows in times.items()}
    for path, (wall, cpu) in medians.items():
        print(f"{path:5s} median: {wall:6.2f} s wall, {cpu:6.2f} s CPU")
    print(f"lazy/eager: wall {medians['lazy'][0] / medians['eager'][0]:.2f}x, CPU {medians['lazy'][1] / medians['eager'][1]:.2f}x;"
          f" same logged numbers: {same}; load average at the end {load:.1f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
