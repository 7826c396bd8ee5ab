"""Train the zoo's algorithm recipes (and the runs they are compared with), score them, and write
the section "Training algorithms of the zoo" of docs/results.md.

    GANZOO_DATA=/path/to/folder-holding-MNIST/raw python benchmarks/zoo_results.py

Each case trains as its recipe says (seed 0, no evaluation during training) and is scored by
`ganzoo eval -n 10000` at the end; train_and_score is the one of benchmarks/results.py. The
rest of docs/results.md is left as it is. Runs go to benchmarks/runs/<case>/, each with its
result in zoo_result.json: naming cases runs only those again, and the section shows every
case that has a result.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import COLUMNS, ROOT, cell, machine, replace_section, run_cases, train_and_score  # noqa: E402

BEGIN, END = "<!-- zoo-results:begin -->", "<!-- zoo-results:end -->"  # kept by results.py too

#: (name, recipe, overrides, what it shows)
CASES = [
    ("wgan", "wgan_mnist.yaml", [], "WGAN, weight clipping (clip-weights callback), RMSprop, 5 critic steps"),
    ("dcgan", "dcgan_mnist.yaml", [], "the DCGAN the next row changes"),
    ("dcgan-decay", "dcgan_decay_mnist.yaml", [], "dcgan_mnist with both learning rates decaying linearly to 0"),
    ("diffaugment", "diffaugment_mnist.yaml", [], "DCGAN on 2,000 digits, DiffAugment around D"),
    ("no-diffaugment", "diffaugment_mnist.yaml",
     ["discriminator.name=dcgan", "discriminator.params.base_channels=32", "discriminator.params.norm=batch"],
     "the same without DiffAugment (the same D)"),
    ("acgan", "acgan_mnist.yaml", [], "ACGAN: D classifies too, the auxiliary loss in both updates"),
    ("infogan", "infogan_mnist.yaml", [], "InfoGAN: a categorical code the generator must make readable"),
]


def section(results: list[dict], n: int) -> str:
    lines = [BEGIN, "## Training algorithms of the zoo", "",
             "Each trained as its recipe says (seed 0, training only, then `ganzoo eval -n "
             f"{n}`); reproduce with `python benchmarks/zoo_results.py`.", "",
             f"Machine: {machine('cpu')}.", "",
             "| case | what it shows | epochs | wall time | " + " | ".join(COLUMNS) + " |",
             "|" + " --- |" * (4 + len(COLUMNS))]
    for result in results:
        start = f"| `{result['recipe']}` | {result['what']} | {result.get('epochs', '')} | {result['wall_s']:.0f} s | "
        if "error" in result:
            lines.append(start + result["error"] + " |" * len(COLUMNS))
            continue
        metrics = result["eval"]["metrics"]
        lines.append(start + " | ".join(cell(metrics[c]["generated"]) if c in metrics else "" for c in COLUMNS) + " |")
    lines += ["", "Wall time is training only (the machine was shared with other work: compare scores, not times).",
              END]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all of {', '.join(c[0] for c in CASES)})")
    parser.add_argument("-n", type=int, default=10000, help="images per evaluation (default 10000)")
    parser.add_argument("--runs", default=str(ROOT / "benchmarks" / "runs"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "results.md"))
    args = parser.parse_args()
    data = os.environ.get("GANZOO_DATA") or str((ROOT / ".." / "shared" / "datasets").resolve())
    env = {**os.environ, "GANZOO_DATA": str(Path(data).resolve())}
    runs = Path(args.runs).resolve()
    def run_one(name, recipe, overrides, what):
        result = train_and_score(ROOT / "recipes" / recipe, runs, args.n, 0, "cpu", env,
                                 overrides, name=name, every=0)
        result["recipe"], result["what"] = name, what
        return result

    results = run_cases(CASES, args.cases, runs, "zoo_result.json", run_one)
    replace_section(Path(args.out), section(results, args.n))
    print(args.out)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
