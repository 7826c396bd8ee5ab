"""Train the zoo's algorithm recipes (and the runs they are compared with), score them, and write
the section "Training algorithms of the zoo" of docs/results.md.

    GANZOO_DATA=/path/to/folder-holding-MNIST/raw python benchmarks/zoo_results.py

Each case trains as its recipe says (seed 0, no evaluation during training) and is scored by
`ganzoo eval -n 10000` at the end; train_and_score is the one of benchmarks/results.py. A case
with an idea check (CHECKS) also reads the trained run for the number that shows its idea at
work (benchmarks/discriminator_check.py: what D says of G's samples, D's input gradients). The
rest of docs/results.md is left as it is. Runs go to benchmarks/runs/<case>/, each with its
result in zoo_result.json: naming cases runs only those again, and the section shows every
case that has a result there (a case without one keeps the row docs/results.md publishes: the runs
are not in git).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import (case_arguments, case_rows, COLUMNS, ROOT, cell, machine, published_grid, published_rows, replace_section, run_cases,  # noqa: E402
                     train_and_score)  # noqa: E402

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
    # the losses of issue 27 and top-k, each on vanilla_mnist's MLPs, beside the plain loss of the same networks
    ("vanilla-bce", "vanilla_mnist.yaml", [], "the plain loss (bce) on the MLPs the next rows share"),
    ("bgan", "bgan_mnist.yaml", [], "boundary-seeking GAN: G aims at D(G(z)) = 0.5"),
    ("softmax-gan", "softmax_gan_mnist.yaml", [], "Softmax GAN: a softmax of D's logits over the batch"),
    ("rsgan", "relativistic_mnist.yaml", ["loss.params.variant=rsgan"], "RSGAN: D judges a real image against a fake"),
    ("ragan", "relativistic_mnist.yaml", [], "RaGAN: against the other side's average"),
    ("ralsgan", "relativistic_mnist.yaml", ["loss.params.variant=ralsgan"], "RaLSGAN: the same, least squares"),
    ("lsgan-mlp", "relativistic_mnist.yaml", ["loss.name=lsgan"], "the plain least-squares loss RaLSGAN changes"),
    ("top-k", "topk_mnist.yaml", [], "top-k training of vanilla-bce: G learns from its best fakes"),
    ("dragan", "dragan_mnist.yaml", [], "DRAGAN: gradient penalty around perturbed real images (vanilla_mnist's networks, dropout in D)"),
    ("no-dragan", "dragan_mnist.yaml", ["loss.name=bce"], "the same networks with bce alone, no penalty"),
    ("wgan-div", "wgan_div_mnist.yaml", [], "WGAN-div: the W-div penalty, k = 2, p = 6"),
    ("wgan-gp-mlp", "wgan_div_mnist.yaml", ["loss.name=wgan-gp"], "the same critic with WGAN-GP's penalty instead"),
]


def last_logged(run_dir: Path, key: str) -> float:
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [record[key] for record in records if record.get(key) is not None][-1]


def boundary_check(run_dir: Path) -> str:
    from discriminator_check import probe

    found = probe(str(run_dir), aim=200)
    return (f"D(G(z)) {found['d_fake']:.3f}, D(x) {found['d_real']:.3f} at the end (eval mode); after 200 more G "
            f"updates against that D held fixed, D(G(z)) {found['aim_after']:.3f}: where G's loss aims")


def gradient_check(key: str, what: str):
    def check(run_dir: Path) -> str:
        from discriminator_check import probe

        return f"mean norm of D's input gradient {what}: {probe(str(run_dir))[key]:.3g}"
    return check


def softmax_check(run_dir: Path) -> str:
    import yaml

    batch = 2 * yaml.safe_load((run_dir / "recipe.yaml").read_text())["train"]["batch_size"]  # real and fake
    return f"G's loss {last_logged(run_dir, 'g_loss'):.3f} at the end; its least, log {batch}, is {math.log(batch):.3f}"


#: case -> the number that shows its idea at work, read from the trained run
CHECKS = {
    "vanilla-bce": boundary_check, "bgan": boundary_check, "top-k": boundary_check,
    "softmax-gan": softmax_check,
    "dragan": gradient_check("grad_perturbed", "near real images"),
    "no-dragan": gradient_check("grad_perturbed", "near real images"),
    "wgan-div": gradient_check("grad_between", "between real and fake"),
    "wgan-gp-mlp": gradient_check("grad_between", "between real and fake"),
}


def section(results: list[dict], n: int, published: dict[str, str]) -> str:
    """The section: a row per case with a result at hand, the published row of a case without one."""
    lines = [BEGIN, "## Training algorithms of the zoo", "",
             "Each trained as its recipe says (seed 0, training only, then `ganzoo eval -n "
             f"{n}`); reproduce with `python benchmarks/zoo_results.py`.", "",
             f"Machine: {machine('cpu')}.", "",
             "| case | what it shows | idea check | epochs | wall time | " + " | ".join(COLUMNS) + " | samples |",
             "|" + " --- |" * (6 + len(COLUMNS))]

    def row(result: dict) -> str:
        start = (f"| `{result['recipe']}` | {result['what']} | {result.get('check', '')} | {result.get('epochs', '')} | "
                 f"{result['wall_s']:.0f} s | ")
        grid = published_grid(ROOT / result["run"], result["recipe"]) if "run" in result else ""
        if "error" in result:
            return start + result["error"] + " |" * len(COLUMNS) + f" {grid} |"
        metrics = result["eval"]["metrics"]
        return (start + " | ".join(cell(metrics[c]["generated"]) if c in metrics else "" for c in COLUMNS) +
                f" | {grid} |")

    lines += case_rows(CASES, results, row, published)[0]
    lines += ["", "Wall time is training only (the machine was shared with other work: compare scores, not times).",
              END]
    return "\n".join(lines) + "\n"


def main() -> int:
    args, env, runs = case_arguments(__doc__, CASES)
    def run_one(name, recipe, overrides, what):
        result = train_and_score(ROOT / "recipes" / recipe, runs, args.n, 0, "cpu", env,
                                 overrides, name=name, every=0)
        result["recipe"], result["what"] = name, what
        if "error" not in result and name in CHECKS:
            result["check"] = CHECKS[name](runs / name)
        return result

    results = run_cases(CASES, args.cases, runs, "zoo_result.json", run_one, args.write_only)
    replace_section(Path(args.out), section(results, args.n, published_rows(Path(args.out), "zoo-results")))
    print(args.out)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
