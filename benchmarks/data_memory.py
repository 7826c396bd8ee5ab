"""Resident memory of an MNIST run with images held as uint8 (now) and as float32 (before).

Each run is a fresh process training the dcgan_mnist recipe on the real MNIST (60,000 images) for
``--steps`` steps on the CPU; the peak resident set size (ru_maxrss) of the process is reported.
"float32" converts the images up front as the MNIST reader did before it handed over uint8 (a dataset
registered here for the purpose); "uint8" is the reader as shipped.

    python benchmarks/data_memory.py                  # 50 steps, each kind once
    python benchmarks/data_memory.py --repeats 3 --write   # and its section of docs/performance.md
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "dcgan_mnist.yaml"


def child(kind: str, data: str, steps: int, out: str) -> None:
    """One run in this process; prints its peak RSS in MiB as JSON."""
    from dataclasses import dataclass

    import ganzoo
    from ganzoo.pluginhost.registry import PluginInfo, load_registry
    from ganzoo.recipe import load_recipe
    from ganzoo.training.progress import PlainProgress
    from ganzoo.training.trainer import TrainingInterrupted, start_run
    from ganzoo_vanilla.mnist import MNISTParams, load_mnist

    @dataclass
    class FloatParams(MNISTParams):
        pass

    def float_mnist(params):
        data = load_mnist(params)
        return ganzoo.ImageData(images=data.images.float().div_(127.5).sub_(1.0), labels=data.labels,
                                num_classes=10)

    class Plugin:
        @staticmethod
        @ganzoo.hookimpl
        def register_datasets(register):
            register("float-mnist", float_mnist, FloatParams)

    class StopAfter(PlainProgress):
        def __init__(self):
            super().__init__(stream=open(os.devnull, "w"))
            self.trainer = None

        def advance(self, n=1):
            if self.trainer.steps_done >= steps:
                self.trainer.stop_requested = True

    registry = load_registry(extra_plugins=[(PluginInfo("bench", "bench", "0"), Plugin)])
    overrides = ["train.device=cpu", "train.threads=1", f"dataset.params.root={data}", "dataset.params.download=false",
                 "train.log_every=10", *(["dataset.name=float-mnist"] if kind == "float32" else [])]
    progress = StopAfter()
    trainer = start_run(load_recipe(RECIPE, overrides, registry), registry, out, progress)
    progress.trainer = trainer
    try:
        trainer.fit()
    except TrainingInterrupted:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"kind": kind, "peak_rss_mib": peak, "images_dtype": str(trainer.images.dtype)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--data", default=str((ROOT / ".." / "shared" / "datasets").resolve()))
    parser.add_argument("--write", action="store_true", help="write the section of docs/performance.md")
    parser.add_argument("--child", choices=("uint8", "float32"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.steps, args.out)
        return
    peaks = {"float32": [], "uint8": []}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            for kind in peaks:
                result = subprocess.run([sys.executable, __file__, "--child", kind, "--steps", str(args.steps),
                                         "--data", args.data, "--out", f"{folder}/{kind}-{repeat}"],
                                        check=True, capture_output=True, text=True, cwd=ROOT)
                peaks[kind].append(json.loads(result.stdout.strip().splitlines()[-1])["peak_rss_mib"])
    before, after = (statistics.median(peaks[kind]) for kind in ("float32", "uint8"))
    section = "\n".join([
        "<!-- data-memory:begin -->",
        "## MNIST in memory: uint8 against float32",
        "",
        f"Peak resident memory of a `dcgan_mnist` run on the CPU (60,000 MNIST images, {args.steps} steps, "
        f"median of {args.repeats}), the images held as the MNIST reader hands them over now (uint8, scaled to "
        "[-1, 1] per batch on the device) and converted to float32 up front as it did before. The samples are "
        "the same: `tests/test_uint8_data.py` trains both ways to bit-identical weights.",
        "",
        "| images held as | peak RSS |",
        "| --- | --- |",
        f"| float32 (before) | {before:.0f} MiB |",
        f"| uint8 (now) | {after:.0f} MiB |",
        "",
        f"uint8 saves {before - after:.0f} MiB per process (the images alone: 60,000 x 784 B = 45 MiB as uint8, "
        "179 MiB as float32; the rest of the RSS is torch, the models and the run). "
        f"Command: `python benchmarks/data_memory.py --repeats {args.repeats} --write`.",
        "<!-- data-memory:end -->"])
    print(section)
    if args.write:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from results import replace_section

        replace_section(ROOT / "docs" / "performance.md", section)


if __name__ == "__main__":
    main()
