"""Each speedrun lever's effect on the training time alone (issue 30), through ganzoo's own trainer.

    GANZOO_DATA=/path/to/folder-holding-MNIST/raw python benchmarks/speedrun_levers.py
    python benchmarks/speedrun_levers.py --tracks uncond_mnist --repeats 3 --threads 2

For each track, the track's recipe with the levers of the recipe before it put back (the baseline),
then the levers switched on one at a time, then all of them (the recipe as shipped), each trained for
``--epochs`` (1) epoch in its own fresh process, ``trainer.fit()`` timed (steps, and each epoch's
checkpoint, grid and loss plot; no start-up, no data loading), the variants interleaved over the
repeats so that a machine's slow phase touches them all. Prints the median seconds per epoch and the
ratio to the baseline. Quality is not measured here: a lever that changes the maths is screened for
quality in its recipe's header; this says what each one costs or saves per epoch.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import ROOT, bf16_flags, machine  # noqa: E402

from ganzoo.training.threads import available_cores  # noqa: E402

# track -> (recipe, [(variant, overrides)]): the first variant is the baseline
TRACKS = {
    "uncond_mnist": ("speedrun_uncond_mnist", [
        ("D at 32 channels, fresh fakes (the recipe before)",
         ["discriminator.params.base_channels=32", "algorithm.params.reuse_fakes=false"]),
        ("D at 16 channels", ["algorithm.params.reuse_fakes=false"]),
        ("reused fakes", ["discriminator.params.base_channels=32"]),
        ("both (the recipe)", []),
    ]),
    "cond_mnist": ("speedrun_cond_mnist", [
        ("batch 256, D at 24 channels, fresh fakes (the recipe before)",
         ["train.batch_size=256", "discriminator.params.base_channels=24", "algorithm.params.reuse_fakes=false"]),
        ("batch 128", ["discriminator.params.base_channels=24", "algorithm.params.reuse_fakes=false"]),
        ("D at 16 channels", ["train.batch_size=256", "algorithm.params.reuse_fakes=false"]),
        ("reused fakes", ["train.batch_size=256", "discriminator.params.base_channels=24"]),
        ("all three (the recipe)", []),
    ]),
    "founding_mlp": ("speedrun_founding_mlp", [
        ("fresh fakes (the recipe before)", ["algorithm.params.reuse_fakes=false"]),
        ("reused fakes (the recipe)", []),
    ]),
}


def worker(recipe_name: str, overrides: list[str], epochs: int, threads: int) -> dict:
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.recipe import load_recipe
    from ganzoo.training.progress import PlainProgress
    from ganzoo.training.trainer import start_run

    registry = load_registry()
    recipe = load_recipe(ROOT / "recipes" / f"{recipe_name}.yaml",
                         [f"train.epochs={epochs}", f"train.threads={threads}", "train.device=cpu", "eval.every=0",
                          *overrides], registry)
    with tempfile.TemporaryDirectory() as out, open(os.devnull, "w") as quiet:
        trainer = start_run(recipe, registry, Path(out) / "run", PlainProgress(quiet))
        start = time.perf_counter()
        trainer.fit()
        seconds = time.perf_counter() - start
    return {"epoch_s": seconds / epochs, "steps": trainer.steps_done}


def run_worker(recipe: str, overrides: list[str], args) -> dict:
    command = [sys.executable, __file__, "--worker", recipe, "--epochs", str(args.epochs),
               "--threads", str(args.threads), "--", *overrides]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", nargs="+", choices=list(TRACKS), default=list(TRACKS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=available_cores())
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.overrides, args.epochs, args.threads)))
        return 0
    if not os.environ.get("GANZOO_DATA"):
        os.environ["GANZOO_DATA"] = str((ROOT / ".." / "shared" / "datasets").resolve())
    print(f"{machine('cpu')}; {bf16_flags()}; {args.threads} threads; {args.epochs} epoch(s) a run, "
          f"{args.repeats} repeats, interleaved", flush=True)
    for track in args.tracks:
        recipe, variants = TRACKS[track]
        times: dict[str, list[float]] = {name: [] for name, _ in variants}
        for _ in range(args.repeats):
            for name, overrides in variants:
                times[name].append(run_worker(recipe, overrides, args)["epoch_s"])
        base = statistics.median(times[variants[0][0]])
        print(f"\n{track} (recipes/{recipe}.yaml)")
        for name, overrides in variants:
            median = statistics.median(times[name])
            shown = " ".join(overrides) or "as shipped"
            print(f"  {median:6.2f} s/epoch  {median / base:5.2f}x  {name}  [{shown}]  "
                  f"(runs: {', '.join(f'{t:.2f}' for t in times[name])})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
