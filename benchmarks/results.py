"""Train every built-in recipe (recipes/) with a fixed seed, score it, and write docs/results.md.

    GANZOO_DATA=/path/to/folder-holding-MNIST/raw python benchmarks/results.py

Each recipe trains as written (its own epochs) with seed 0, evaluates itself after
every epoch (eval.every=1) so the table shows how the scores move with training,
and is scored at the end by `ganzoo eval` beside the real-vs-real reference.
The reference recipe is also trained longer (--long-epochs, default 30), to show
how its scores move with longer training.
Runs go to benchmarks/runs/<recipe>/ (replaced on every call).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("fid", "kid", "mnist_score", "modes", "mode_kl", "precision", "recall")


def ganzoo(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def training_images(recipe: Path) -> int:
    """How many training images ``recipe``'s dataset reads: its ``limit``, else MNIST's 60,000. A recipe on
    fewer images is scored with at most as many (`ganzoo eval`'s real-vs-real sample is drawn from them)."""
    params = yaml.safe_load(Path(recipe).read_text())["dataset"].get("params") or {}
    return params.get("limit") or 60000


def train_and_score(recipe: Path, runs: Path, n: int, seed: int, device: str, env: dict,
                    overrides: list[str], name: str = "", every: int = 1) -> dict:
    run_dir = runs / (name or recipe.stem)
    shutil.rmtree(run_dir, ignore_errors=True)
    common = [str(recipe), f"seed={seed}", f"train.device={device}", *overrides, "--out", str(run_dir), "--quiet"]
    started = time.perf_counter()
    trained = ganzoo("run", *common, f"eval.every={every}", f"eval.n={n}", env=env)
    if trained.returncode == 2 and ("1x28x28" in trained.stderr or "MNIST digits" in trained.stderr):
        # not MNIST (in shape or in kind): train without scoring
        shutil.rmtree(run_dir, ignore_errors=True)
        started = time.perf_counter()
        trained = ganzoo("run", *common, env=env)
    wall = time.perf_counter() - started
    result = {"recipe": name or recipe.name, "run": os.path.relpath(run_dir, ROOT), "wall_s": wall, "every": every}
    if trained.returncode != 0:
        return {**result, "error": f"training failed: {last_line(trained.stderr)}"}
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    result["epochs"] = max((r["epoch"] for r in records), default=0)
    result["per_epoch"] = [{"epoch": r["epoch"], **r["eval"]} for r in records if "eval" in r]
    started = time.perf_counter()
    scored = ganzoo("eval", str(run_dir), "-n", str(n), "--seed", str(seed), "--device", device, "--json", env=env)
    if scored.returncode != 0:
        return {**result, "error": f"not evaluated: {last_line(scored.stderr)}"}
    result["eval_wall_s"] = time.perf_counter() - started  # whole process, as a user times `ganzoo eval`
    result["eval"] = json.loads(scored.stdout)
    return result


def label_accuracy(run_dir: Path, seed: int, n: int = 1000) -> dict:
    """The shipped classifier's accuracy on ``n`` samples of each label of a conditional run (`ganzoo sample
    --label k`): the mean over the labels, the worst and which; an unconditional run: {}."""
    import torch

    import ganzoo

    run = ganzoo.load(run_dir)
    if not run.conditional:
        return {}
    classifier = ganzoo.mnist_classifier("cpu")
    per_label = []
    with torch.no_grad():
        for label in range(run.spec.num_classes):
            images = run.sample(n, seed, label=label).float() / 127.5 - 1
            per_label.append((classifier.embed(images)[1].argmax(1) == label).float().mean().item())
    return {"accuracy": sum(per_label) / len(per_label), "worst": min(per_label),
            "worst_label": per_label.index(min(per_label))}


def machine(device: str) -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts = [f"{cpu}, {os.cpu_count()} logical CPUs", f"{platform.system()} {platform.release()}",
             f"Python {platform.python_version()}", f"torch {torch.__version__}"]
    if device != "cpu" and torch.cuda.is_available():
        parts.append(f"GPU {torch.cuda.get_device_name(0)}")
    else:
        parts.append("trained and evaluated on the CPU")
    return "; ".join(parts)


def bf16_flags() -> str:
    """This CPU's bfloat16 instructions as /proc/cpuinfo lists them (what train.precision=auto reads)."""
    from ganzoo.training.precision import _BF16_FLAGS, cpu_flags

    found = [flag for flag in _BF16_FLAGS if flag in cpu_flags()]
    return f"bf16 instructions: {', '.join(found)}" if found else "no bf16 instructions (no amx_bf16, avx512_bf16)"


def classifier_sha256(results: list[dict]) -> str:
    # weights_sha256 since feature extractors are a plugin kind; classifier_sha256 in older results
    found = {r["eval"].get("weights_sha256") or r["eval"]["classifier_sha256"] for r in results if "eval" in r}
    return ", ".join(sorted(found)) or "none used"


def cell(value) -> str:
    from ganzoo.eval.evaluation import format_value

    return format_value(value) if isinstance(value, (int, float)) else str(value)


def training_verdict(per_epoch: list[dict]) -> str:
    """What moved between the first evaluation and the last, value by value: only what the numbers say."""
    first, last = per_epoch[0], per_epoch[-1]
    if first is last or "fid" not in first:
        return "One evaluation only: nothing to compare."
    lower = {"fid", "kid", "mode_kl"}
    keys = [k for k in ("fid", "kid", "mode_kl", "mnist_score", "modes", "precision", "recall") if k in first]
    better = [k for k in keys if (last[k] < first[k] if k in lower else last[k] > first[k])]
    worse = [k for k in keys if (last[k] > first[k] if k in lower else last[k] < first[k])]
    return (f"After epoch {last['epoch']} against after epoch {first['epoch']}, one seed: "
            f"{len(better)} of {len(keys)} values better ({', '.join(better) or 'none'}), "
            f"{len(worse)} worse ({', '.join(worse) or 'none'}). One run per row: these differences may be "
            "seed-to-seed noise (see the seeds in the vanilla_mnist table).")


# Sections other scripts (or people) write into the same file, between <!-- NAME:begin --> and
# <!-- NAME:end -->: kept, in order, after what this script writes.
KEPT_SECTION = re.compile(r"<!-- ([\w-]+):begin -->.*?<!-- \1:end -->", re.DOTALL)


def case_arguments(doc: str, cases, runs: Path = ROOT / "benchmarks" / "runs", scored: bool = True,
                   extra=None) -> tuple[argparse.Namespace, dict, Path]:
    """The command line the case scripts (zoo, classics, studio, translation results) share: which cases,
    ``-n`` images per evaluation when ``scored``, where the runs and docs/results.md go; ``extra(parser)``
    adds a script's own options. Returns the arguments, the environment for `ganzoo` (GANZOO_DATA: the
    variable, else ../shared/datasets beside the clone) and the runs folder."""
    names = [case[0] for case in cases]
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all of {', '.join(names)})")
    if scored:
        parser.add_argument("-n", type=int, default=10000, help="images per evaluation (default 10000)")
    if extra is not None:
        extra(parser)
    parser.add_argument("--runs", default=str(runs))
    parser.add_argument("--out", default=str(ROOT / "docs" / "results.md"))
    parser.add_argument("--write-only", action="store_true",
                        help="train nothing: write the section again from the results saved by earlier runs")
    args = parser.parse_args()
    if args.write_only:
        args.cases = []
    unknown = [name for name in args.cases if name not in names]
    if unknown:
        parser.error(f"unknown case {unknown[0]}; cases are {', '.join(names)}")
    data = os.environ.get("GANZOO_DATA") or str((ROOT / ".." / "shared" / "datasets").resolve())
    return args, {**os.environ, "GANZOO_DATA": str(Path(data).resolve())}, Path(args.runs).resolve()


def recipe_stamp(recipe: str, overrides) -> str:
    """What a case trains, as a hash: its recipe's settings (parsed, so its comments do not count) and the
    case's overrides. A saved result whose stamp differs was trained from another recipe than today's."""
    path = ROOT / "recipes" / recipe
    path = path if path.is_file() else path.with_name(f"{path.name}.yaml")  # cases name recipes either way
    settings = yaml.safe_load(path.read_text()) if path.is_file() else recipe
    text = json.dumps({"recipe": settings, "overrides": list(overrides)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_cases(cases, chosen, runs: Path, saved_name: str, run_one, write_only: bool = False) -> list[dict]:
    """Each case's result: ``run_one(name, recipe, overrides, what)`` for the cases ``chosen`` (all
    when empty, none when ``write_only``), saved as ``runs/NAME/saved_name``; for the others, the
    result saved by an earlier run, if any and if trained from the recipe as it is today (a stale one is
    left out, so the section keeps the row it publishes). The benchmarks that write one section each
    (zoo, classics, studio, translation) share this loop."""
    results = []
    for name, recipe, overrides, what in cases:
        saved = runs / name / saved_name
        if write_only or (chosen and name not in chosen):
            if saved.is_file():
                result, stamp = json.loads(saved.read_text()), recipe_stamp(recipe, overrides)
                if result.get("recipe_stamp", stamp) == stamp:  # results saved before stamps were kept count
                    results.append(result)
                else:
                    print(f"{name}: the saved result was trained from another recipe than today's; left out",
                          file=sys.stderr, flush=True)
            continue
        print(f"{name}: training and scoring ...", file=sys.stderr, flush=True)
        result = {**run_one(name, recipe, overrides, what), "recipe_stamp": recipe_stamp(recipe, overrides)}
        print(f"{name}: {result.get('error', 'done')} ({result['wall_s']:.0f} s)", file=sys.stderr, flush=True)
        if (runs / name).is_dir():
            saved.write_text(json.dumps(result))
        results.append(result)
    return results


def published_grid(run_dir: Path, name: str, folder: str = "zoo") -> str:
    """The run's last sample grid copied to docs/images/FOLDER/NAME.png, as a Markdown image link
    (relative to docs/); empty when the run drew none."""
    from ganzoo.training.run_folder import list_grids

    grids = list_grids(run_dir)
    if not grids:
        return ""
    target = ROOT / "docs" / "images" / folder / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(grids[-1], target)
    return f"![{name}](images/{folder}/{name}.png)"


FIRST_CELL = re.compile(r"^\| (?:`([^`]+)`|([^|]*?)) *(?:\(|\|)")


def published_rows(path: Path, name: str) -> dict[str, str]:
    """The table rows the marked section NAME of PATH publishes now, by their first cell (the case's name
    between backquotes, else the cell's text): a section rewritten after rerunning some of its cases
    keeps the others' rows as published, since the runs behind them are not in git."""
    found = re.search(rf"<!-- {re.escape(name)}:begin -->(.*?)<!-- {re.escape(name)}:end -->",
                      path.read_text(encoding="utf-8") if path.is_file() else "", re.DOTALL)
    rows = {}
    for line in (found.group(1).splitlines() if found else []):
        first = FIRST_CELL.match(line)
        if first and not line.startswith("| ---") and (first.group(1) or first.group(2)) not in ("case", "recipe"):
            rows[first.group(1) or first.group(2)] = line
    return rows


def case_rows(cases, results: list[dict], render, published: dict[str, str]) -> tuple[list[str], list[str]]:
    """The table's rows in the cases' order: ``render(result)`` for a case with a result at hand, else
    the row published before; and the names of the cases that have neither."""
    by_name = {result["recipe"]: result for result in results}
    rows, missing = [], []
    for name, *_ in cases:
        if name in by_name:
            rows.append(render(by_name[name]))
        elif name in published:
            rows.append(published[name])
        else:
            missing.append(name)
    return rows, missing


def kept_sections(path: Path) -> list[str]:
    return [m.group(0) for m in KEPT_SECTION.finditer(path.read_text(encoding="utf-8"))] if path.is_file() else []


def replace_section(path: Path, section: str) -> None:
    """Put ``section`` (a whole marked section) in place of the one of its name in ``path``, or after
    what the file holds; the rest of the file stays as it is."""
    name = KEPT_SECTION.fullmatch(section.strip()).group(1)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    pattern = re.compile(rf"<!-- {re.escape(name)}:begin -->.*?<!-- {re.escape(name)}:end -->", re.DOTALL)
    new, found = pattern.subn(lambda _: section.strip(), old, count=1)
    path.write_text(new if found else old.rstrip("\n") + ("\n\n" if old else "") + section.strip() + "\n",
                    encoding="utf-8")


def markdown(results: list[dict], n: int, seed: int, device: str, command: str) -> str:
    header = "| recipe | epochs | wall time | " + " | ".join(COLUMNS) + " |"
    rule = "|" + " --- |" * (3 + len(COLUMNS))
    arrows = {}
    out = [
        "# Results",
        "",
        f"Each recipe below (from `recipes/`), trained as written with seed {seed}, then scored by `ganzoo eval -n {n}`: "
        f"{n} generated images against the MNIST test set (10,000 images) in the feature space "
        "of ganzoo's own MNIST classifier (see `docs/metrics.md`). The real-vs-real row is the same metrics for "
        f"{n} MNIST train images against the test set: what a perfect generator would score.",
        "",
        f"Reproduce with `{command}` (written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC).",
        "",
        f"Machine: {machine(device)}.",
        "",
        f"Classifier: `ganzoo/assets/mnist_classifier.pt`, SHA-256 `{classifier_sha256(results)}`.",
        "",
        header,
        rule,
    ]
    reference = None
    for result in results:
        if "error" in result:
            out.append(f"| {result['recipe']} | {result.get('epochs', '')} | {result['wall_s']:.0f} s | "
                       f"{result['error']} |" + " |" * (len(COLUMNS) - 1))
            continue
        metrics = result["eval"]["metrics"]
        reference = reference or metrics
        arrows.update({k: v["better"] for k, v in metrics.items()})
        out.append(f"| {result['recipe']} | {result['epochs']} | {result['wall_s']:.0f} s | "
                   + " | ".join(cell(metrics[c]["generated"]) if c in metrics else "" for c in COLUMNS) + " |")
    if reference:
        out.append("| *real vs real* | | | "
                   + " | ".join(cell(reference[c]["real_vs_real"]) if c in reference else "" for c in COLUMNS) + " |")
        out += ["", "Better: " + ", ".join(f"{c} {'lower' if arrows.get(c) == 'lower' else 'higher'}"
                                          for c in COLUMNS if c in arrows) + ".",
                "Wall time covers training and the per-epoch evaluations."]
    for result in results:
        if not result.get("per_epoch"):
            continue
        out += ["", f"## {result['recipe']}: scores during training", "",
                f"`eval.every={result['every']}`, {n} images each; logged into `{result['run']}/metrics.jsonl`.", "",
                "| epoch | " + " | ".join(COLUMNS) + " |", "|" + " --- |" * (1 + len(COLUMNS))]
        for row in result["per_epoch"]:
            out.append(f"| {row['epoch']} | " + " | ".join(cell(row.get(c, "")) for c in COLUMNS) + " |")
        out += ["", training_verdict(result["per_epoch"])]
    return "\n".join(out) + "\n"


def main() -> int:
    from ganzoo.recipe import builtin_recipes, recipe_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipes", nargs="*", help="recipe names or files (default: every built-in recipe)")
    parser.add_argument("-n", type=int, default=10000, help="images per evaluation (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="training and evaluation seed (default 0)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--data", help="folder holding MNIST/raw/ (default $GANZOO_DATA, else ../shared/datasets)")
    parser.add_argument("--runs", default=str(ROOT / "benchmarks" / "runs"), help="where the runs go")
    parser.add_argument("--out", default=str(ROOT / "docs" / "results.md"), help="the Markdown file to write")
    parser.add_argument("--long-epochs", type=int, default=30,
                        help="also train vanilla_mnist this many epochs, scored every 5 (0: skip)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a recipe override for every recipe, e.g. train.epochs=1 (for a quick check)")
    args = parser.parse_args()

    data = args.data or os.environ.get("GANZOO_DATA") or str((ROOT / ".." / "shared" / "datasets").resolve())
    env = {**os.environ, "GANZOO_DATA": str(Path(data).resolve())}
    recipes = [recipe_path(r).resolve() for r in args.recipes] or list(builtin_recipes().values())
    results = []
    for recipe in recipes:
        print(f"{recipe.name}: training and scoring ...", file=sys.stderr, flush=True)
        result = train_and_score(recipe, Path(args.runs).resolve(), args.n, args.seed, args.device, env, args.set)
        print(f"{recipe.name}: {result.get('error', 'done')} ({result['wall_s']:.0f} s)", file=sys.stderr, flush=True)
        results.append(result)
    vanilla = builtin_recipes().get("vanilla_mnist")
    if args.long_epochs and vanilla is not None:
        name = f"vanilla_mnist.yaml, {args.long_epochs} epochs"
        print(f"{name}: training and scoring ...", file=sys.stderr, flush=True)
        result = train_and_score(vanilla, Path(args.runs).resolve(), args.n, args.seed, args.device, env,
                                 [*args.set, f"train.epochs={args.long_epochs}"], name=f"vanilla_mnist-{args.long_epochs}",
                                 every=5)
        result["recipe"] = name
        results.append(result)
    command = " ".join(["python benchmarks/results.py", *args.recipes] + ([f"-n {args.n}"] if args.n != 10000 else [])
                       + ([f"--long-epochs {args.long_epochs}"] if args.long_epochs != 30 else [])
                       + [f"--set {item}" for item in args.set])
    text = markdown(results, args.n, args.seed, args.device, command)
    text += "".join(f"\n{section}\n" for section in kept_sections(Path(args.out)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    print(args.out)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
