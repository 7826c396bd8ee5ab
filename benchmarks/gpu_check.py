"""Check ganzoo on a CUDA GPU and measure it there, in one command of at most 5 minutes.

    python benchmarks/gpu_check.py                  # on a machine with a CUDA GPU
    python benchmarks/gpu_check.py --cpu            # the same code end to end on the CPU, tiny sizes (seconds)
    python benchmarks/gpu_check.py --out gpu.md     # also write the tables as Markdown

(a) trains every built-in recipe (``recipes/*.yaml``) for ``--steps`` steps on the GPU and
    again on the CPU, on the same synthetic images (no files needed: the GPU machines are offline),
    and checks that losses and samples stay finite and that the GPU run's last logged losses and its
    samples' mean and spread lie close to the CPU run's;
(b) measures training images/s of the DCGAN at 28x28 (the issue's G latent->128x7x7->64x14x14->1x28x28,
    D 1->64->128->logit, batch 64) and at 64x64 (3 channels, base 64) through ganzoo's trainer in fp32,
    bf16 autocast and fp16 autocast with its gradient scaler (``train.precision``), and with the models
    wrapped in ``torch.compile`` by this script (not a trainer option: ``compile``) and compiled with
    CUDA graphs (``mode="reduce-overhead"``: ``cuda-graphs``), compile time reported apart;
(c) runs a 2-process nccl job (``ganzoo run --nproc 2``) when 2 GPUs exist.

Exit status 1 when a check fails; every row says what it measured or why it was skipped.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
DATASET = "gpu-check-images"
STARTED = time.perf_counter()


def over_budget(args) -> bool:
    """Whether the run has spent its time (--budget): the rows left say so instead of running."""
    return time.perf_counter() - STARTED > args.budget


# ---------------------------------------------------------------- synthetic data, as a plugin would add it
@dataclass
class CheckImagesParams:
    n: int = 1024
    size: int = 28
    channels: int = 1
    classes: int = 10
    seed: int = 0


def check_images(params: CheckImagesParams):
    """Blobs whose position encodes the label: learnable, varied, any size, no files."""
    import torch

    from ganzoo import ImageData

    rng = torch.Generator().manual_seed(params.seed)
    labels = torch.randint(0, params.classes, (params.n,), generator=rng)
    side = torch.linspace(-1, 1, params.size)
    centre = (labels.float() / max(params.classes - 1, 1)) * 1.2 - 0.6
    jitter = torch.randn(params.n, 2, generator=rng) * 0.08
    y = side.view(1, -1, 1) - (centre + jitter[:, 0]).view(-1, 1, 1)
    x = side.view(1, 1, -1) - jitter[:, 1].view(-1, 1, 1)
    blob = torch.exp(-(x ** 2 + y ** 2) / 0.05) * 2 - 1
    images = blob.unsqueeze(1).expand(-1, params.channels, -1, -1).contiguous()
    return ImageData(images=images, labels=labels, num_classes=params.classes)


class CheckPlugin:
    from ganzoo import hookimpl

    @hookimpl
    def register_datasets(self, register):
        register(DATASET, check_images, CheckImagesParams, "Synthetic blobs for benchmarks/gpu_check.py.")


@functools.lru_cache(maxsize=1)
def registry():
    from ganzoo.pluginhost.registry import PluginInfo, load_registry

    return load_registry(extra_plugins=[(PluginInfo("gpu-check", "gpu-check", "0"), CheckPlugin())])


# ---------------------------------------------------------------- training through ganzoo's trainer
def _data_overrides(recipe_path: Path, n: int, size: int = 28, channels: int = 1) -> list[str]:
    """Point an image recipe at the synthetic images (the dataset's own params are dropped with its name)."""
    from omegaconf import OmegaConf

    if OmegaConf.load(recipe_path).dataset.name == "gaussians":
        return [f"dataset.params.samples={n}"]  # points, drawn in memory
    return [f"dataset.name={DATASET}", f"dataset.params.n={n}", f"dataset.params.size={size}",
            f"dataset.params.channels={channels}"]


def train(recipe_path: Path, device: str, steps: int, out: Path, overrides=(), wrap=None, batch: int = 64,
          log_every: Optional[int] = None):
    """Train ``steps`` steps; returns the trainer and the logged records. ``wrap`` replaces the models the
    step sees (e.g. compiled ones) before training: the trainer's own modules stay as they are."""
    from ganzoo.recipe import load_recipe
    from ganzoo.training.progress import PlainProgress
    from ganzoo.training.trainer import start_run

    reg = registry()
    n = steps * batch
    recipe = load_recipe(recipe_path, [*_data_overrides(recipe_path, n), "train.epochs=1", f"train.device={device}",
                                       f"train.batch_size={batch}", f"train.log_every={log_every or max(1, steps // 4)}",
                                       "eval.every=0", "output.grid_size=16", *overrides], reg)
    trainer = start_run(recipe, reg, out, PlainProgress(open(os.devnull, "w")))
    if wrap is not None:
        trainer.step_context.models = {role: wrap(model) for role, model in trainer.models.items()}
    trainer.fit()
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return trainer, [r for r in records if "step" in r and "images_per_sec" in r]


def sample_stats(trainer, n: int = 256) -> dict:
    import torch

    from ganzoo.model_calls import draw_latent, generate

    G = trainer.sampler() if callable(getattr(trainer, "sampler", None)) else trainer.generator
    G.eval()
    with torch.no_grad():
        z = draw_latent(G, n, torch.Generator().manual_seed(5)).to(trainer.device)
        labels = (torch.arange(n, device=trainer.device) % trainer.spec.num_classes
                  if trainer.spec.num_classes and getattr(G, "conditional", False) else None)
        x = generate(G, z, labels).float().cpu()
    return {"finite": bool(torch.isfinite(x).all()), "mean": float(x.mean()), "std": float(x.std())}


def loss_means(records: list[dict]) -> dict:
    last = records[-1] if records else {}
    return {k: v for k, v in last.items() if k.endswith("loss") and isinstance(v, (int, float))}


def close(device_run: dict, cpu_run: dict) -> tuple[bool, str]:
    """GAN runs on two devices draw different noise, so they are compared as statistics: each logged
    loss within 0.5 + 50% of the CPU's, samples' mean and spread within 0.25 (pixels in [-1, 1])."""
    problems = []
    if not device_run["finite"] or not all(math.isfinite(v) for v in device_run["losses"].values()):
        return False, "non-finite losses or samples"
    for name, value in cpu_run["losses"].items():
        other = device_run["losses"].get(name)
        if other is None or abs(other - value) > 0.5 + 0.5 * abs(value):
            problems.append(f"{name} {other} vs {value:.3g}")
    for key in ("mean", "std"):
        if abs(device_run[key] - cpu_run[key]) > 0.25:
            problems.append(f"sample {key} {device_run[key]:.3f} vs {cpu_run[key]:.3f}")
    return not problems, "; ".join(problems) or "close"


def check_recipes(args, device: str, work: Path) -> list[dict]:
    rows = []
    paths = sorted(RECIPES.glob("*.yaml"))
    if args.recipes:
        wanted = set(args.recipes.split(","))
        paths = [path for path in paths if path.stem in wanted]
        if len(paths) < len(wanted):
            raise SystemExit(f"gpu_check: no such recipes: {', '.join(sorted(wanted - {p.stem for p in paths}))}")
    for path in paths:
        row = {"recipe": path.name}
        if over_budget(args):
            row.update(ok=True, why=f"skipped: past the {args.budget:.0f} s budget")
            rows.append(row)
            continue
        try:
            runs = {}
            for where in dict.fromkeys([device, "cpu"]):
                start = time.perf_counter()
                trainer, records = train(path, where, args.steps, work / f"{path.stem}-{where}", args.recipe_override,
                                         batch=args.batch)
                runs[where] = {"losses": loss_means(records), **sample_stats(trainer),
                               "seconds": time.perf_counter() - start}
            ok, why = close(runs[device], runs["cpu"])
            why = why if device != "cpu" else ("finite (--cpu: no second device to compare)" if ok else why)
            row.update(ok=ok, why=why, device_s=runs[device]["seconds"], cpu_s=runs["cpu"]["seconds"],
                       losses=runs[device]["losses"], cpu_losses=runs["cpu"]["losses"])
        except Exception as error:  # a check script: every failure is a row, not a stop
            row.update(ok=False, why=f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
        rows.append(row)
        print(f"(a) {path.name}: {'ok' if row['ok'] else 'FAILED'} ({row['why']})", file=sys.stderr)
    return rows


# ---------------------------------------------------------------- throughput
MODELS = {
    # name: overrides of dcgan_mnist.yaml (the DCGAN: base 64, latent 100)
    "dcgan-28": (["generator.params.base_channels=64", "discriminator.params.base_channels=64",
                  "generator.params.latent_dim=100", "train.ema_decay=0.0"], 28, 1),
    "dcgan-64": (["generator.params.base_channels=64", "discriminator.params.base_channels=64",
                  "generator.params.latent_dim=100", "train.ema_decay=0.0"], 64, 3),
}
VARIANTS = ("fp32", "bf16", "fp16", "compile", "cuda-graphs")


def _wrapper(variant: str):
    import torch

    if variant == "compile":
        return lambda model: torch.compile(model)
    if variant == "cuda-graphs":
        return lambda model: torch.compile(model, mode="reduce-overhead")
    return None


def measure(args, device: str, work: Path) -> list[dict]:
    rows = []
    recipe = RECIPES / "dcgan_mnist.yaml"
    for model, (overrides, size, channels) in MODELS.items():
        if args.models and model not in args.models.split(","):
            continue
        for variant in VARIANTS:
            row = {"model": model, "variant": variant}
            if over_budget(args):
                row.update(ok=True, why=f"skipped: past the {args.budget:.0f} s budget")
                rows.append(row)
                continue
            if variant == "cuda-graphs" and device != "cuda":
                row.update(ok=True, why="CUDA only")
                rows.append(row)
                continue
            if variant in ("compile", "cuda-graphs") and device == "cpu" and not args.compile:
                row.update(ok=True, why="skipped on the CPU (--compile to run it)")
                rows.append(row)
                continue
            steps = args.speed_steps
            data = [f"dataset.name={DATASET}", f"dataset.params.n={steps * args.batch}", f"dataset.params.size={size}",
                    f"dataset.params.channels={channels}"]
            # the smoke mode runs the same code on narrow models: CPU fp16 kernels are slow
            narrow = ["generator.params.base_channels=4", "discriminator.params.base_channels=4"] if args.cpu else []
            precision = variant if variant in ("bf16", "fp16") else "fp32"
            try:
                start = time.perf_counter()
                trainer, records = train(recipe, device, steps, work / f"{model}-{variant}",
                                         [*overrides, *narrow, *data, f"train.precision={precision}"],
                                         wrap=_wrapper(variant), batch=args.batch, log_every=max(1, steps // 2))
                # the first window holds warm-up and compilation, the second is steady
                row.update(ok=all(math.isfinite(v) for v in loss_means(records).values()),
                           images_per_s=records[-1]["images_per_sec"],
                           first_window_s=(steps // 2) * args.batch / max(records[0]["images_per_sec"], 1e-9),
                           total_s=time.perf_counter() - start)
                row["why"] = "" if row["ok"] else "non-finite losses"
            except Exception as error:
                row.update(ok=False, why=f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
            rows.append(row)
            print(f"(b) {model} {variant}: {row.get('images_per_s', 0):,.0f} images/s {row['why']}", file=sys.stderr)
    return rows


# ---------------------------------------------------------------- distributed
def check_nccl(args, device: str, work: Path) -> dict:
    import torch

    if device != "cuda" or torch.cuda.device_count() < 2:
        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return {"ok": True, "why": f"skipped: needs 2 GPUs, {gpus} here"}
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "ganzoo", "run", "gaussians_ring", "--nproc", "2", "--quiet",
                               "--out", str(work / "nccl"), "train.device=cuda", "train.epochs=1",
                               "dataset.params.samples=25600", "train.log_every=50"],
                              capture_output=True, text=True, cwd=ROOT, timeout=90)
    except subprocess.TimeoutExpired:
        return {"ok": False, "why": "did not finish in 90 s"}
    tail = (done.stderr.strip().splitlines() or [""])[-1]
    return {"ok": done.returncode == 0, "why": f"exit {done.returncode} in {time.perf_counter() - start:.0f} s"
            + ("" if done.returncode == 0 else f": {tail[:200]}")}


# ---------------------------------------------------------------- report
def machine(device: str) -> str:
    import platform

    import torch

    if device == "cuda":
        name = f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}, CUDA {torch.version.cuda}"
    else:
        from ganzoo.training.precision import cpu_flags

        flags = sorted(cpu_flags() & {"amx_bf16", "avx512_bf16", "avx512f", "avx2"})
        name = f"CPU ({os.cpu_count()} cores; {', '.join(flags) or 'no avx2'})"
    return f"{name}; torch {torch.__version__}; Python {platform.python_version()}"


def report(device: str, args, recipes, speeds, nccl, seconds: float) -> list[str]:
    lines = [f"Machine: {machine(device)}. `python benchmarks/gpu_check.py{' --cpu' if args.cpu else ''}`, "
             f"{seconds:.0f} s in all.", "",
             f"(a) Every recipe, {args.steps} steps of batch {args.batch} on synthetic images, {device} against the CPU:", "",
             "| recipe | ok | last losses on the device | on the CPU | device s | CPU s | note |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    fmt = lambda losses: ", ".join(f"{k} {v:.3g}" for k, v in (losses or {}).items())  # noqa: E731
    for r in recipes:
        lines.append(f"| {r['recipe']} | {'yes' if r['ok'] else 'NO'} | {fmt(r.get('losses'))} | "
                     f"{fmt(r.get('cpu_losses'))} | {r.get('device_s', 0):.1f} | {r.get('cpu_s', 0):.1f} | {r['why']} |")
    lines += ["", f"(b) Training images/s through ganzoo's trainer ({args.speed_steps} steps of {args.batch}, the second "
                  "half timed; the first half, with warm-up and compilation, apart):", "",
              "| model | variant | images/s | first half s | ok | note |", "| --- | --- | --- | --- | --- | --- |"]
    for r in speeds:
        ips = f"{r['images_per_s']:,.0f}" if "images_per_s" in r else "-"
        first = f"{r['first_window_s']:.1f}" if "first_window_s" in r else "-"
        lines.append(f"| {r['model']} | {r['variant']} | {ips} | {first} | {'yes' if r['ok'] else 'NO'} | {r['why']} |")
    lines += ["", f"(c) 2-process nccl run: {'ok' if nccl['ok'] else 'FAILED'} ({nccl['why']})."]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu", action="store_true", help="smoke mode: everything on the CPU, tiny step counts")
    parser.add_argument("--steps", type=int, help="training steps per recipe in (a) (default 300; --cpu: 2)")
    parser.add_argument("--speed-steps", type=int, help="steps per measurement in (b) (default 200; --cpu: 2)")
    parser.add_argument("--compile", action="store_true", help="with --cpu, measure torch.compile too (slow)")
    parser.add_argument("--recipes", help="comma-separated recipe names for (a) (default: all)")
    parser.add_argument("--models", help=f"comma-separated models for (b) (default: all of {', '.join(MODELS)})")
    parser.add_argument("--batch", type=int, help="batch size (default 64; --cpu: 16)")
    parser.add_argument("--recipe-override", action="append", default=[], help="extra override for (a)'s runs")
    parser.add_argument("--out", help="also write the report here (Markdown)")
    parser.add_argument("--budget", type=float, default=240.0,
                        help="seconds after which the checks not yet started are skipped, and say so (default 240)")
    args = parser.parse_args(argv)
    args.steps = args.steps or (2 if args.cpu else 300)
    args.speed_steps = args.speed_steps or (2 if args.cpu else 200)
    args.batch = args.batch or (16 if args.cpu else 64)

    import torch

    if args.cpu:
        device = "cpu"
    elif torch.cuda.is_available():
        device = "cuda"
    else:
        print("gpu_check: no CUDA GPU here; run with --cpu for the smoke mode", file=sys.stderr)
        return 2
    global STARTED
    start = STARTED = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        recipes = check_recipes(args, device, work)
        speeds = measure(args, device, work)
        nccl = check_nccl(args, device, work)
    lines = report(device, args, recipes, speeds, nccl, time.perf_counter() - start)
    print("\n".join(lines))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    return 0 if all(r["ok"] for r in [*recipes, *speeds, nccl]) else 1


if __name__ == "__main__":
    sys.exit(main())
