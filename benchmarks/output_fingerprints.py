"""What every recipe writes, as hashes: to show a refactoring of the trainer leaves its output bit-identical.

Trains each built-in recipe two epochs on tiny data (the overrides of tests/test_recipes.py), plus a few
variants that switch on the side duties (EMA, evaluation during training, a stop and resume), and records
per run: metrics.jsonl without its timings (images_per_sec), a hash of every tensor of every checkpoint,
and the hash of every picture (sample grids, the loss plot).

    python benchmarks/output_fingerprints.py save  reference.json    # before the change
    python benchmarks/output_fingerprints.py check reference.json    # after: lists what differs

Single-threaded CPU; a few minutes on a loaded laptop core.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402

from ganzoo.pluginhost.registry import load_registry  # noqa: E402
from ganzoo.recipe import load_recipe  # noqa: E402
from ganzoo.training.progress import PlainProgress  # noqa: E402
from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run  # noqa: E402

TIMINGS = ("images_per_sec",)


class Folders:
    """tmp_path_factory's mktemp, for tests/test_recipes.write_tiny_data."""

    def __init__(self, root: Path):
        self.root, self.count = root, 0

    def mktemp(self, name: str) -> Path:
        self.count += 1
        path = self.root / f"{name}{self.count}"
        path.mkdir()
        return path


class StopAt(PlainProgress):
    """Asks the trainer to stop after ``step`` steps, as Ctrl-C would."""

    def __init__(self, step: int):
        super().__init__(stream=io.StringIO())
        self.stop_step, self.trainer = step, None

    def advance(self, n: int = 1) -> None:
        super().advance(n)
        if self.trainer is not None and self.trainer.steps_done >= self.stop_step:
            self.trainer.stop_requested = True


def cases(tiny: dict, mnist_root: Path) -> dict[str, tuple[str, list[str], int | None]]:
    """name -> (recipe, overrides, step to stop at and resume from, or None)."""
    from test_recipes import BATCH, FIT_TINY_DATA, RECIPES

    registry = load_registry()
    shrink = ["train.epochs=2", f"train.batch_size={BATCH}", "train.log_every=2", "output.grid_size=4",
              "train.device=cpu", "train.threads=1"]
    found = {}
    for path in RECIPES:
        dataset = load_recipe(path, [], registry).config.dataset.name
        found[path.stem] = (str(path), [*shrink, *tiny[dataset], *FIT_TINY_DATA.get(path.stem, [])], None)
    quick = ["train.epochs=2", "train.batch_size=64", "train.log_every=3", "output.grid_size=16",
             "dataset.params.download=false", "train.device=cpu", "train.threads=1",
             f"dataset.params.root={mnist_root}"]
    vanilla = str(ROOT / "recipes" / "vanilla_mnist.yaml")
    found["vanilla+ema+eval"] = (vanilla, [*quick, "train.ema_decay=0.9", "eval.every=1", "eval.n=64"], None)
    found["vanilla+ema resumed"] = (vanilla, [*quick, "train.ema_decay=0.9", "train.epochs=3"], 11)
    found["dcgan+ema resumed"] = (found["dcgan_mnist"][0], [*found["dcgan_mnist"][1], "train.ema_decay=0.5"], 3)
    pix2pix = found["pix2pix_edges_mnist"]
    found["pix2pix+eval"] = (pix2pix[0], [*pix2pix[1], "eval.every=1", "eval.n=16"], None)
    found["cyclegan+ema resumed"] = (found["cyclegan_mnist"][0],
                                     [*found["cyclegan_mnist"][1], "train.ema_decay=0.9"], 7)
    return found


def train(recipe_path: str, overrides: list[str], run_dir: Path, stop_at: int | None) -> None:
    registry = load_registry()
    recipe = load_recipe(recipe_path, overrides, registry)
    if stop_at is None:
        start_run(recipe, registry, run_dir, PlainProgress(io.StringIO())).fit()
        return
    trainer = start_run(recipe, registry, run_dir, StopAt(stop_at))
    trainer.progress.trainer = trainer
    try:
        trainer.fit()
        raise SystemExit(f"{run_dir}: the run was not stopped at step {stop_at}")
    except TrainingInterrupted:
        pass
    from ganzoo.training import runlock

    runlock.release(run_dir)
    resume_run(run_dir, registry, PlainProgress(io.StringIO())).fit()


def tensor_hashes(value, prefix: str, out: dict) -> None:
    if isinstance(value, torch.Tensor):
        out[prefix] = hashlib.sha256(value.detach().cpu().reshape(-1).contiguous().view(torch.uint8).numpy().tobytes()
                                     if value.numel() else b"").hexdigest()[:16]
    elif isinstance(value, dict):
        for key, inner in value.items():
            tensor_hashes(inner, f"{prefix}/{key}", out)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            tensor_hashes(inner, f"{prefix}/{index}", out)


def fingerprint(run_dir: Path) -> dict:
    records = []
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        for key in TIMINGS:
            record.pop(key, None)
        records.append(record)
    weights = {}
    for path in sorted((run_dir / "checkpoints").glob("*.pt")):
        state = torch.load(path, map_location="cpu", weights_only=True)
        hashes: dict = {}
        for key in ("step", "models", "optimizers", "schedules", "algorithm", "callbacks", "rng", "window",
                    "precision", "ema"):
            if key in state:
                tensor_hashes(state[key], key, hashes)
        weights[path.name] = {"step": state["step"], "keys": sorted(k for k in state if k != "path"),
                              "tensors": hashes}
    pictures = {str(path.relative_to(run_dir)): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                for path in sorted(run_dir.rglob("*.png"))}
    return {"metrics": records, "checkpoints": weights, "pictures": pictures}


def collect(only: list[str]) -> dict:
    from idx import write_mnist
    from test_recipes import write_tiny_data

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        folders = Folders(Path(folder))
        mnist_root = write_mnist(folders.mktemp("data"))
        tiny = write_tiny_data(folders, mnist_root)
        results = {}
        for name, (recipe, overrides, stop_at) in cases(tiny, mnist_root).items():
            if only and name not in only:
                continue
            run_dir = folders.mktemp("run") / "run"
            train(recipe, overrides, run_dir, stop_at)
            results[name] = fingerprint(run_dir)
            print(f"{name}: {len(results[name]['metrics'])} records, {len(results[name]['checkpoints'])} "
                  f"checkpoints, {len(results[name]['pictures'])} pictures", flush=True)
        return results


def differences(reference: dict, now: dict) -> list[str]:
    found = []
    for name in sorted(set(reference) | set(now)):
        if name not in now or name not in reference:
            found.append(f"{name}: only in {'the reference' if name in reference else 'this run'}")
            continue
        for part in ("metrics", "checkpoints", "pictures"):
            if reference[name][part] != now[name][part]:
                found.append(f"{name}: {part} differ")
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("save", "check"):
        print(__doc__)
        return 2
    command, path, only = argv[0], Path(argv[1]), argv[2:]
    results = collect(only)
    if command == "save":
        path.write_text(json.dumps(results, indent=1, sort_keys=True))
        return 0
    reference = json.loads(path.read_text())
    if only:
        reference = {name: value for name, value in reference.items() if name in only}
    found = differences(reference, json.loads(json.dumps(results)))
    print("\n".join(found) or "identical")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
