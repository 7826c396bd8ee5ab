"""What `ganzoo eval RUN -n 10000` costs, whole process, against the path before the feature cache (issue 30).

    GANZOO_DATA=/path/to/folder-holding-MNIST/raw ganzoo run vanilla_mnist train.epochs=1 --out /tmp/tiny
    GANZOO_DATA=/path/to/folder-holding-MNIST/raw python benchmarks/eval_cost.py /tmp/tiny

Runs, in turn and --repeats times, `ganzoo eval` of this checkout with an empty feature cache (the first
evaluation on a machine), with a filled one (every later one), and of the commit before the change
(--old, extracted with `git archive`; its kNN radii by kthvalue, KID through torchmetrics, NCHW
convolutions, no cache): wall and CPU seconds of each whole process, the medians and their ratios to the
old path, measured in the same run so that a loaded machine shifts all of them alike (the absolute times
want a quiet machine). It checks that every metric is the same to 1e-6 on both paths (relative to values
above 1), and whether bf16 features (autocast) would score the same to 1e-3 (the bar for using them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "plugins")]  # this checkout's ganzoo, first
from results import bf16_flags, machine  # noqa: E402
from ganzoo.training.threads import available_cores  # noqa: E402
#: the last commit before the evaluation was made cheap (the cache, channels-last, topk radii, KID's own sums)
OLD = "19d8261"
TOLERANCE, BF16_TOLERANCE = 1e-6, 1e-3


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_eval(code: Path, run_dir: Path, n: int, env: dict, threads: int) -> tuple[float, float, dict]:
    """Wall and CPU seconds of one `ganzoo eval --threads THREADS` process running ``code``'s ganzoo, and its
    report (the thread count given: the automatic one reads the load average the previous process left)."""
    env = {**env, "PYTHONPATH": os.pathsep.join([str(code), str(code / "plugins")])}
    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ganzoo", "eval", str(run_dir), "-n", str(n), "--json",
                           "--threads", str(threads)],
                          cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ganzoo eval ({code}) failed: {done.stderr.strip().splitlines()[-1:]}")
    return wall, children_cpu() - cpu, json.loads(done.stdout)


def extract_old(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", commit, "ganzoo", "plugins"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def differences(old: dict, new: dict) -> dict[str, float]:
    """Largest difference of each metric, generated and real vs real, relative to the value where it exceeds 1
    (FID is about 100 for a poor generator), else absolute."""
    return {key: max(abs(old["metrics"][key][side] - new["metrics"][key][side])
                     / max(1.0, abs(old["metrics"][key][side])) for side in ("generated", "real_vs_real"))
            for key in old["metrics"] if key in new["metrics"]}


def bf16_differences(run_dir: Path, n: int, data_root: str) -> dict[str, float]:
    """Each metric of the run's generated images and the real-vs-real sample, with features embedded under bf16
    autocast against fp32: each difference relative to the value where it exceeds 1, else absolute."""
    import torch

    from ganzoo.eval.classifier import embed_images, load_classifier
    from ganzoo.eval.mnist_data import read_mnist
    from ganzoo.metrics import Features
    from ganzoo.output.sampling import load_generator, sample_images
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo_metrics.metrics import (FID, KID, DCParams, DensityCoverage, KIDParams, MNISTScore, ModeParams,
                                        Modes, NoParams, PRParams, PrecisionRecall, ScoreParams)

    metrics = [FID(NoParams()), KID(KIDParams()), MNISTScore(ScoreParams()), Modes(ModeParams()),
               PrecisionRecall(PRParams()), DensityCoverage(DCParams())]
    model, _ = load_classifier()
    generator, spec = load_generator(run_dir, load_registry(), "cpu")
    test = read_mnist(data_root, "test")[0]
    train = read_mnist(data_root, "train")[0]
    sample = train[torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:n]]
    generated = sample_images(generator.eval(), spec, n, seed=0)

    def scores(bf16: bool) -> dict[str, float]:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            real, fake, train_sample = (embed_images(model, images) for images in (test, generated, sample))
        out = {}
        for which, other in (("generated", fake), ("real_vs_real", train_sample)):
            features = Features(other.features.float(), other.probs.float())
            for metric in metrics:
                for key, value in metric.compute(features, Features(real.features.float(), real.probs.float())).items():
                    out[f"{key} ({which})"] = float(value)
        return out

    fp32, bf16 = scores(False), scores(True)
    return {key: abs(fp32[key] - bf16[key]) / max(1.0, abs(fp32[key])) for key in fp32}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="a trained MNIST run (vanilla_mnist, one epoch, is enough)")
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--old", default=OLD, help=f"the commit of the old path (default {OLD}); 'none': time this "
                        "checkout alone (the old path cannot read runs whose recipes name params it did not have)")
    parser.add_argument("--no-bf16-check", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="each evaluation's threads (default: every core "
                        "this process may use)")
    args = parser.parse_args()
    env = dict(os.environ)
    if "GANZOO_DATA" not in env:
        raise SystemExit("set GANZOO_DATA to the folder holding MNIST/raw/")
    threads = args.threads or available_cores()
    print(f"{machine('cpu')}; {bf16_flags()}; load average {os.getloadavg()[0]:.1f} at the start; "
          f"--threads {threads}")
    with_old = args.old != "none"
    times: dict[str, list[tuple[float, float]]] = {"new, empty cache": [], "new, cache filled": []}
    if with_old:
        times = {"old": [], **times}
    with tempfile.TemporaryDirectory() as scratch:
        old_code = extract_old(args.old, Path(scratch)) if with_old else None
        cache = Path(scratch) / "cache"
        for _ in range(args.repeats):
            if with_old:
                wall, cpu, old_report = timed_eval(old_code, args.run_dir, args.n, env, threads)
                times["old"].append((wall, cpu))
            shutil.rmtree(cache, ignore_errors=True)
            wall, cpu, cold = timed_eval(ROOT, args.run_dir, args.n, {**env, "GANZOO_CACHE": str(cache)}, threads)
            times["new, empty cache"].append((wall, cpu))
            wall, cpu, warm = timed_eval(ROOT, args.run_dir, args.n, {**env, "GANZOO_CACHE": str(cache)}, threads)
            times["new, cache filled"].append((wall, cpu))
    base = times["old" if with_old else "new, empty cache"]
    old_wall, old_cpu = statistics.median(w for w, _ in base), statistics.median(c for _, c in base)
    print(f"\n`ganzoo eval RUN -n {args.n}`, whole process, median of {args.repeats} "
          f"(load average {os.getloadavg()[0]:.1f} at the end):")
    print(f"{'path':<20}{'wall s':>9}{'CPU s':>9}{'wall ratio':>12}{'CPU ratio':>11}")
    for name, pairs in times.items():
        wall, cpu = statistics.median(w for w, _ in pairs), statistics.median(c for _, c in pairs)
        print(f"{name:<20}{wall:>9.2f}{cpu:>9.2f}{wall / old_wall:>12.2f}{cpu / old_cpu:>11.2f}")
    worst = {**differences(old_report, cold), **{f"{k} (cached)": v for k, v in differences(old_report, warm).items()}} \
        if with_old else differences(cold, warm)
    key = max(worst, key=worst.get)
    print(f"\nlargest metric difference, {'old vs new' if with_old else 'empty vs filled cache'}: {worst[key]:.2e} "
          f"({key}); {'the same' if worst[key] <= TOLERANCE else 'NOT the same'} to {TOLERANCE:g}")
    if not args.no_bf16_check:
        bf16 = bf16_differences(args.run_dir, args.n, env["GANZOO_DATA"])
        key = max(bf16, key=bf16.get)
        verdict = "would pass" if bf16[key] <= BF16_TOLERANCE else "fails, so features stay fp32"
        print(f"bf16 features: largest metric difference {bf16[key]:.2e} ({key}); the {BF16_TOLERANCE:g} bar "
              f"{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
