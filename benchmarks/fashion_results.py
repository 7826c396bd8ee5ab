"""Train every unconditional and class-conditional zoo recipe that fits 1x28x28 on Fashion-MNIST, score each
with the Fashion-MNIST classifier, and write the section "Fashion-MNIST" of docs/results.md.

    GANZOO_DATA=/path/to/folder python benchmarks/fashion_results.py [CASE ...]

Each recipe trains as written (its epochs, networks, losses, seed 0) with its dataset section replaced by
`fashion-mnist` (the recipe's `limit` and `clusters` kept; dcgan_fashion_mnist is written for it and trains
unchanged), then `ganzoo eval -n 10000` scores it against
the Fashion-MNIST test set in the shipped Fashion classifier's features (docs/metrics.md). Fashion-MNIST is
read from $GANZOO_DATA/FashionMNIST/raw/, decompressed there from the dataset-fashion-mnist package on the
first run. Runs go to benchmarks/runs/fashion/<case>/, each with its result in fashion_result.json;
naming cases runs only those again: the section shows every case that has a result there, and keeps the
row docs/results.md publishes for a case that has none (the runs are not in git).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import (ROOT, case_arguments, case_rows, cell, classifier_sha256, machine, published_grid,  # noqa: E402
                     published_rows, replace_section, run_cases, train_and_score, training_images)

SECTION = "fashion-results"
BEGIN, END = f"<!-- {SECTION}:begin -->", f"<!-- {SECTION}:end -->"
COLUMNS = ("fid", "kid", "fashion_score", "modes", "precision", "recall", "density", "coverage", "class_fid")

#: the recipes, cheapest first (so a run cut short loses the longest); what each is, in a few words
RECIPES = [
    ("speedrun_founding_mlp", "the founding MLPs, trained for time"),
    ("vanilla_mnist", "the founding MLP GAN (bce, dropout in D)"),
    ("bgan_mnist", "boundary-seeking GAN on the MLPs"),
    ("relativistic_mnist", "RaGAN on the MLPs"),
    ("wgan_div_mnist", "WGAN-div on MLPs"),
    ("softmax_gan_mnist", "Softmax GAN on the MLPs"),
    ("topk_mnist", "top-k training on the MLPs"),
    ("dragan_mnist", "DRAGAN on the MLPs"),
    ("diffaugment_mnist", "DCGAN on 2,000 images, DiffAugment"),
    ("bcr_mnist", "balanced consistency regularisation, 2,000 images"),
    ("sagan_ada_lecam_mnist", "attention + ADA + LeCam, 2,000 images"),
    ("cluster_gan_mnist", "ClusterGAN"),
    ("sgan_mnist", "semi-supervised GAN, 100 labels"),
    ("dcgan_decay_mnist", "DCGAN, decaying learning rates"),
    ("dcgan_mnist", "DCGAN with an EMA generator"),
    ("dcgan_fashion_mnist", "the zoo's Fashion-MNIST recipe: a wider DCGAN (48 channels)"),
    ("acgan_mnist", "ACGAN (class-conditional)"),
    ("cgan_mnist", "conditional GAN, projection D (class-conditional)"),
    ("speedrun_uncond_mnist", "self-conditioned DCGAN trained for time"),
    ("dcgan_sharp", "self-conditioned DCGAN (100 k-means clusters)"),
    ("infogan_mnist", "InfoGAN"),
    ("lsgan_mnist", "least squares on the DCGAN"),
    ("hinge_sn_mnist", "hinge, spectral norm, R1"),
    ("sagan_mnist", "self-attention at 14x14"),
    ("logan_mnist", "latent optimisation"),
    ("biggan_mnist", "BigGAN (class-conditional)"),
    ("contragan_mnist", "ContraGAN (class-conditional)"),
    ("reacgan_mnist", "ReACGAN (class-conditional)"),
    ("aae_mnist", "adversarial autoencoder (samples from the prior)"),
    ("wgan_gp_mnist", "WGAN-GP"),
    ("wgan_mnist", "WGAN, weight clipping"),
    ("began_mnist", "BEGAN"),
    ("ebgan_mnist", "EBGAN"),
    ("pytorch_gan_mlp_mnist", "PyTorch-GAN's gan.py as written (200 epochs)"),
]
#: zoo recipes left out, and why (said under the table)
LEFT_OUT = {
    "stylegan2_mnist": "32x32 (MNIST padded by 2 pixels): not 1x28x28, the Fashion classifier's shape",
    "cogan_mnist": "two domains (digits and their inverted outlines), not one dataset",
    "gaussians_ring": "2-D points",
}


def dataset_params(recipe: str) -> dict:
    return yaml.safe_load((ROOT / "recipes" / f"{recipe}.yaml").read_text())["dataset"].get("params") or {}


def fashion_dataset(recipe: str) -> list[str]:
    """The override putting Fashion-MNIST in place of the recipe's MNIST, keeping its limit and clusters
    (none for a recipe written for Fashion-MNIST)."""
    if yaml.safe_load((ROOT / "recipes" / f"{recipe}.yaml").read_text())["dataset"]["name"] == "fashion-mnist":
        return []
    params = dataset_params(recipe)
    kept = {key: params[key] for key in ("limit", "clusters") if params.get(key)}
    inner = ", ".join(f"{key}: {value}" for key, value in kept.items())
    return ["dataset={name: fashion-mnist, params: {" + inner + "}}"]


CASES = [(recipe, f"{recipe}.yaml", fashion_dataset(recipe), what) for recipe, what in RECIPES]


REAL_VS_REAL = "*real vs real*"


def section(results: list[dict], n: int, published: dict[str, str], published_sha256: str = "none used") -> str:
    """The section: a row per case with a result at hand, the published row of a case without one (and,
    with no result at hand, the classifier hash published with them)."""
    sha256 = classifier_sha256(results) if any("eval" in r for r in results) else published_sha256
    lines = [BEGIN, "## Fashion-MNIST", "",
             "Every unconditional and class-conditional zoo recipe that fits 1x28x28, trained as written (its "
             "networks, losses, epochs; seed 0) on Fashion-MNIST instead of MNIST (`dataset={name: fashion-mnist}`, "
             "the recipe's `limit` and `clusters` kept; `dcgan_fashion_mnist`, written for Fashion-MNIST, unchanged), "
             "then scored by "
             f"`ganzoo eval -n {n}`: {n} samples against the Fashion-MNIST test set in the features of the shipped "
             "Fashion-MNIST classifier (`ganzoo/assets/fashion_classifier.pt`, 92.3% test accuracy; docs/metrics.md). "
             "`fashion_score` is the classifier score (the Inception score's form; at most 10), `class_fid` the "
             "mean per-class FID of a conditional recipe (per k-means cluster for the self-conditioned ones). "
             "The recipes were tuned on MNIST (`dcgan_fashion_mnist` only widened, not tuned): the table says how "
             "well each carries over. "
             "Reproduce with `python benchmarks/fashion_results.py`.", "",
             f"Machine: {machine('cpu')}.", "",
             f"Classifier SHA-256: `{sha256}`.", "",
             "| recipe | what it is | epochs | wall time | " + " | ".join(COLUMNS) + " | samples |",
             "|" + " --- |" * (5 + len(COLUMNS))]
    # real vs real: from the first unconditional result scored on n images (the same for every such run)
    reference = next((r["eval"]["metrics"] for r in results if "eval" in r and r["eval"]["n"] == n
                      and "class_fid" not in r["eval"]["metrics"]), None)

    def row(result: dict) -> str:
        start = (f"| `{result['recipe']}` | {result['what']} | {result.get('epochs', '')} | "
                 f"{result['wall_s']:.0f} s | ")
        grid = published_grid(ROOT / result["run"], result["recipe"], folder="fashion") if "run" in result else ""
        if "error" in result:
            return start + result["error"] + " |" * len(COLUMNS) + f" {grid} |"
        metrics = result["eval"]["metrics"]
        if result["eval"]["n"] != n:
            start = start.replace(f"`{result['recipe']}` |", f"`{result['recipe']}` (scored on {result['eval']['n']:,}) |")
        return start + " | ".join(cell(metrics[c]["generated"]) if c in metrics else "" for c in COLUMNS) + f" | {grid} |"

    rows, missing = case_rows(CASES, results, row, published)
    lines += rows
    if reference:
        lines.append(f"| *real vs real* | {n:,} training images against the test set | | | "
                     + " | ".join(cell(reference[c]["real_vs_real"]) if c in reference else "" for c in COLUMNS)
                     + " | |")
    elif REAL_VS_REAL in published:
        lines.append(published[REAL_VS_REAL])
    lines += ["", "Better: fid, kid, class_fid lower; the others higher. Wall time is the training's whole process "
              "(start-up included, evaluation not), taken while other jobs shared the machine (up to three at once "
              "on its 2 cores): upper bounds, not to be compared with the MNIST tables' times.", "",
              "Left out: " + "; ".join(f"`{name}` ({why})" for name, why in LEFT_OUT.items()) + "."]
    if missing:
        lines += ["", "Not trained on Fashion-MNIST yet (no result saved): "
                  + ", ".join(f"`{name}`" for name in missing) + "."]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> int:
    args, env, runs = case_arguments(__doc__, CASES, runs=ROOT / "benchmarks" / "runs" / "fashion")
    runs.mkdir(parents=True, exist_ok=True)

    def run_one(name, recipe, overrides, what):
        # a recipe on fewer images (limit: 2,000) is scored with as many: real vs real draws from the training set
        n = min(args.n, training_images(ROOT / "recipes" / recipe))
        result = train_and_score(ROOT / "recipes" / recipe, runs, n, 0, "cpu", env, overrides, name=name, every=0)
        result["recipe"], result["what"] = name, what
        return result

    results = run_cases(CASES, args.cases, runs, "fashion_result.json", run_one, args.write_only)
    out = Path(args.out)
    old_sha = re.search(r"Classifier SHA-256: `([^`]+)`", out.read_text(encoding="utf-8") if out.is_file() else "")
    replace_section(out, section(results, args.n, published_rows(out, SECTION),
                                 *([old_sha.group(1)] if old_sha else [])))
    print(args.out)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
