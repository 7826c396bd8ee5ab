"""Train the StudioGAN parts with and without, two seeds each, score them, and write the section
"StudioGAN parts: with and without" of docs/results.md (its picture in docs/images/).

    GANZOO_DATA=/path/to/folder python benchmarks/studio_results.py [CASE ...]

Each case trains as its recipe says with the overrides below (no evaluation during training) and
is scored by `ganzoo eval -n N` (train_and_score of benchmarks/results.py), for seeds 0 and 1:

- sagan / sagan-off: sagan_mnist with self-attention at 14x14 in G and D, and without (the same
  hinge + spectral-norm DCGAN); the attention maps of four samples of seed 0 are drawn
  (benchmarks/attention_maps.py) to docs/images/studio_attention.png;
- studio / no-lecam / no-ada / neither: sagan_ada_lecam_mnist on 2,000 digits as written
  (attention + ADA + LeCam), without LeCam (loss: hinge), without ADA (no callback: p stays 0,
  so no augmentation), without either; the ADA cases report p at the end and its largest value
  (p rises while D grows sure of the real images);
- biggan / biggan-lecam / contragan / cgan / acgan: the class-conditional BigGAN (conditional
  batch norm, shared embedding also given to G's first layer, projection, orthogonal
  regularisation, hinge) as written and with LeCam (weight 0.3 from step 200), BigGAN with 2C instead of projection (contragan_mnist), beside cgan_mnist and acgan_mnist; the check is the shipped classifier's accuracy on 1,000 samples of
  each `--label k` (the mean over the 10 digits, and the worst digit), and `ganzoo eval`'s per-class
  FID (class_fid: StudioGAN's intra-FID, the mean over the digits of the FID of one label's samples
  against that digit's test images);
- bcr / cr / no-cr: bcr_mnist on 2,000 digits as written, with CR only (reals), and without;
- logan / logan-off: logan_mnist, and the same with the plain gan algorithm;
- reacgan: reacgan_mnist, BigGAN with ReACGAN's D2D-CE (Kang et al. 2021) instead of projection,
  beside contragan (2C) and biggan (projection), the same `--label k` check;
- stylegan2 / stylegan2-no-pl / stylegan2-no-mixing: stylegan2_mnist (32x32: MNIST padded by 2
  pixels) as written, without path-length regularisation, without style mixing. The MNIST
  classifier takes 28x28 images, so `ganzoo eval` does not score these runs: their FID is that
  of the centre 28x28 crop of N samples (the classifier's features, against the 10,000 test
  digits, as the MH-GAN check computes it); the style-mixing grid of seed 0
  (benchmarks/style_mixing.py) is drawn to docs/images/studio_style_mixing.png;
- MH-GAN: for the runs of `sagan` and `cgan` (seed 0 and 1), the FID (the classifier's features,
  against the 10,000 test digits) of N plain samples and of N `ganzoo sample --mh 20` samples of
  the same generator;
- diffaugment / no-augment / da-translation / da-cutout-quarter / da-no-color: the DiffAugment
  question (docs/results.md measured it worse than no augmentation on 2,000 images, FID 26.9
  against 19.4, one seed): diffaugment_mnist as written, without the wrapper, and with each
  suspect setting changed: translation alone, cutout of a quarter of the side instead of half
  (on 28x28 digits a 14x14 square can hide most of the stroke), no colour change.

Runs go to benchmarks/runs/studio/<case>-s<seed>/, each with its result in studio_result.json:
naming cases runs only those again (all seeds), and the section shows every case that has a
result. Measure on a quiet machine: the wall times are part of the result.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import label_accuracy, case_arguments, case_rows, training_images, ROOT, cell, machine, published_grid, published_rows, replace_section, run_cases, train_and_score  # noqa: E402

BEGIN, END = "<!-- studio-results:begin -->", "<!-- studio-results:end -->"
SEEDS = (0, 1)
SCORES = ("fid", "class_fid", "mnist_score", "precision", "recall")  # class_fid: conditional runs alone
PICTURE = ROOT / "docs" / "images" / "studio_attention.png"
MIXING_PICTURE = ROOT / "docs" / "images" / "studio_style_mixing.png"
PADDED = 2  # stylegan2_mnist's dataset.params.pad: cropped off before the classifier sees the samples
NO_LECAM, NO_ADA = "loss.name=hinge", "callbacks=[]"
LECAM = ["loss.name=lecam", "loss.params.start_step=200"]  # around biggan_mnist's hinge loss
PLAIN_D = ["discriminator.name=dcgan", "discriminator.params.base_channels=32"]

#: (case, recipe, overrides, what it shows)
CASES = [
    ("sagan", "sagan_mnist.yaml", [], "self-attention at 14x14 in G and D"),
    ("sagan-off", "sagan_mnist.yaml", ["generator.params.attention=0", "discriminator.params.attention=0"],
     "the same DCGAN without attention"),
    ("studio", "sagan_ada_lecam_mnist.yaml", [], "2,000 digits: attention + ADA + LeCam"),
    ("no-lecam", "sagan_ada_lecam_mnist.yaml", [NO_LECAM], "the same without LeCam"),
    ("no-ada", "sagan_ada_lecam_mnist.yaml", [NO_ADA], "the same without ADA (no augmentation)"),
    ("neither", "sagan_ada_lecam_mnist.yaml", [NO_LECAM, NO_ADA], "the same without LeCam and ADA"),
    ("biggan", "biggan_mnist.yaml", [], "class-conditional BigGAN + orthogonal regularisation"),
    ("biggan-lecam", "biggan_mnist.yaml", LECAM, "the same with LeCam"),
    ("contragan", "contragan_mnist.yaml", [], "BigGAN with 2C instead of projection"),
    ("cgan", "cgan_mnist.yaml", [], "cgan_mnist as written, to compare"),
    ("acgan", "acgan_mnist.yaml", [], "acgan_mnist as written, to compare"),
    ("bcr", "bcr_mnist.yaml", [], "2,000 digits: bCR (reals and fakes)"),
    ("cr", "bcr_mnist.yaml", ["loss.params.fake_weight=0"], "the same with CR (reals only)"),
    ("no-cr", "bcr_mnist.yaml", ["loss.name=hinge"], "the same without consistency regularisation"),
    ("logan", "logan_mnist.yaml", [], "LOGAN's latent step before each update"),
    ("logan-off", "logan_mnist.yaml", ["algorithm.name=gan"], "the same with the plain gan algorithm"),
    ("reacgan", "reacgan_mnist.yaml", [], "BigGAN with D2D-CE (ReACGAN) instead of projection"),
    ("stylegan2", "stylegan2_mnist.yaml", [], "StyleGAN2 at 32x32: lazy R1, path length, style mixing, EMA"),
    ("stylegan2-no-pl", "stylegan2_mnist.yaml", ["algorithm.params.pl_weight=0"],
     "the same without path-length regularisation"),
    ("stylegan2-no-mixing", "stylegan2_mnist.yaml", ["generator.params.mixing=0"], "the same without style mixing"),
    ("diffaugment", "diffaugment_mnist.yaml", [], "diffaugment_mnist as written"),
    ("no-augment", "diffaugment_mnist.yaml", PLAIN_D, "the same D without the wrapper"),
    ("da-translation", "diffaugment_mnist.yaml", ["discriminator.params.policy=[translation]"],
     "DiffAugment, translation alone"),
    ("da-cutout-quarter", "diffaugment_mnist.yaml", ["discriminator.params.cutout=0.25"],
     "DiffAugment, cutout of a quarter of the side"),
    ("da-no-color", "diffaugment_mnist.yaml", ["discriminator.params.policy=[translation,cutout]"],
     "DiffAugment without the colour change"),
]


def seeded_cases() -> list:
    return [(f"{name}-s{seed}", recipe, [*overrides, f"seed={seed}"], what)
            for name, recipe, overrides, what in CASES for seed in SEEDS]


def ada_check(run_dir: Path) -> dict:
    """p at the end and at its largest, from the last checkpoint's ADA state (no ADA: {})."""
    from ganzoo.training import checkpoint

    history = (checkpoint.load_checkpoint(run_dir).get("callbacks") or {}).get("ada", {}).get("history")
    if not history:
        return {}
    return {"p_end": history[-1][1], "p_max": max(row[1] for row in history), "r_t_end": history[-1][2]}


MH_K = 20
MH_CASES = ("sagan", "cgan")  # the runs whose generators are sampled with and without --mh


@torch.no_grad()
def test_set_fid(env: dict):
    """A function: uint8 digits (N, 1, 28, 28) -> their FID against the MNIST test set (the classifier's features)."""
    from ganzoo.eval.classifier import embed_images, shipped_classifier
    from ganzoo.eval.mnist_data import read_mnist
    from ganzoo_metrics.maths import frechet_distance

    classifier = shipped_classifier("cpu")
    real = embed_images(classifier, read_mnist(env["GANZOO_DATA"], "test")[0]).features
    return lambda images: frechet_distance(embed_images(classifier, images).features, real)


@torch.no_grad()
def cropped_fid(run_dir: Path, seed: int, n: int, env: dict) -> float:
    """FID of the centre 28x28 crop of ``n`` samples of a run on MNIST padded by ``PADDED`` pixels."""
    import ganzoo

    images = ganzoo.load(run_dir).sample(n, seed)
    return test_set_fid(env)(images[:, :, PADDED:-PADDED, PADDED:-PADDED].contiguous())


def draw_style_mixing(run_dir: Path) -> None:
    import ganzoo
    from attention_maps import save_png
    from style_mixing import mixing_grid

    picture = mixing_grid(ganzoo.load(run_dir).generator, 4, 6, 3, 0)
    save_png(picture.expand(3, -1, -1).contiguous(), MIXING_PICTURE)


@torch.no_grad()
def mh_check(run_dir: Path, seed: int, n: int, env: dict) -> dict:
    """FID of ``n`` plain samples and of ``n`` samples by ``--mh MH_K``, against the MNIST test set."""
    import numpy as np

    from results import ganzoo, last_line

    fid = test_set_fid(env)
    scores = {}
    for name, extra in (("plain", []), ("mh", ["--mh", str(MH_K)])):
        out = run_dir / f"samples-{name}.npz"
        done = ganzoo("sample", str(run_dir), "-n", str(n), "--seed", str(seed), "--device", "cpu", *extra,
                      "--out", str(out), env=env)
        if done.returncode != 0:
            return {"error": last_line(done.stderr)}
        scores[name] = fid(torch.from_numpy(np.load(out)["images"]).view(-1, 1, 28, 28))
    return scores


def draw_attention(run_dir: Path) -> None:
    import ganzoo
    from attention_maps import attention_rows, picture, save_png

    save_png(picture(*attention_rows(ganzoo.load(run_dir), 4, 0)), PICTURE)


def section(results: list[dict], n: int, published: dict[str, str]) -> str:
    """The section: a row per case with results at hand, else the row ``published`` before (the runs
    are not in git), in the cases' order; the cases with neither are named at the end."""
    by_case = {}
    for result in results:
        by_case.setdefault(result["recipe"].rsplit("-s", 1)[0], []).append(result)
    lines = [BEGIN, "## StudioGAN parts: with and without", "",
             "Each case trained as its recipe says with the overrides of `benchmarks/studio_results.py`, seeds "
             f"{' and '.join(map(str, SEEDS))}, then `ganzoo eval -n {n}` (`-n 2000` for the recipes on 2,000 training "
             "digits: the real-vs-real sample is drawn from them); the mean of the seeds, then each seed. "
             "Reproduce with `python benchmarks/studio_results.py`.", "",
             f"Machine: {machine('cpu')}.", "",
             "| case | what it shows | " + " | ".join(f"{c} (mean)" for c in SCORES) +
             " | per seed: fid | ADA: p at the end (largest) | `--label k` accuracy: mean (worst digit) | "
             "wall time per seed | samples (seed 0) |",
             "|" + " --- |" * (len(SCORES) + 7)]

    def row(case: dict) -> str:
        name, runs = case["recipe"], case["runs"]
        scored = [r["eval"]["metrics"] for r in runs if "eval" in r]
        means = [cell(statistics.mean(m[c]["generated"] for m in scored)) if scored and all(c in m for m in scored)
                 else "" for c in SCORES]
        seeds = ", ".join(cell(m["fid"]["generated"]) for m in scored if "fid" in m) or \
            "; ".join(r["error"] for r in runs if r.get("error"))  # none: stylegan2's runs, scored below
        ada = "; ".join(f"{r['ada']['p_end']:.2f} ({r['ada']['p_max']:.2f})" for r in runs if r.get("ada"))
        labels = "; ".join(f"{r['labels']['accuracy']:.3f} ({r['labels']['worst_label']}: {r['labels']['worst']:.3f})"
                           for r in runs if r.get("labels"))
        walls = ", ".join(f"{r['wall_s']:.0f} s" for r in runs)
        grid = published_grid(ROOT / runs[0]["run"], name, "studio") if "run" in runs[0] else ""
        seeds_run = [r["recipe"].rsplit("-s", 1)[1] for r in runs]
        what = case["what"] + ("" if len(runs) == len(SEEDS) else f" (seed {', '.join(seeds_run)} alone so far)")
        return f"| `{name}` | {what} | " + " | ".join(means) + f" | {seeds} | {ada} | {labels} | {walls} | {grid} |"

    cases = [{"recipe": name, "what": what, "runs": by_case[name]} for name, _, _, what in CASES if name in by_case]
    rows, missing = case_rows(CASES, cases, row, published)
    lines += rows
    seeded = [(name,) for name, *_ in seeded_cases()]
    mh = [r for r in results if r.get("mh") and "error" not in r["mh"]]
    mh_rows = case_rows([c for c in seeded if c[0].rsplit("-s", 1)[0] in MH_CASES], mh,
                        lambda r: f"| `{r['recipe']}` | {cell(r['mh']['plain'])} | {cell(r['mh']['mh'])} |", published)[0]
    if mh_rows:
        lines += ["", f"MH-GAN (`ganzoo sample --mh {MH_K}`), FID of the same generator's samples without and with:", "",
                  "| run | FID, plain | FID, --mh |", "| --- | --- | --- |", *mh_rows]
    cropped = case_rows([c for c in seeded if c[0].startswith("stylegan2")],
                        [r for r in results if "cropped_fid" in r],
                        lambda r: f"| `{r['recipe']}` | {cell(r['cropped_fid'])} | {r['wall_s']:.0f} s |", published)[0]
    if cropped:
        lines += ["", "StyleGAN2 at 32x32 (MNIST padded by 2 pixels), which `ganzoo eval`'s 28x28 classifier does not "
                  f"take: FID of the centre 28x28 crop of {n} samples, against the 10,000 test digits:", "",
                  "| run | FID (centre crop) | wall time |", "| --- | --- | --- |", *cropped]
    lines += ["", "Wall time is training only.", ""]
    if missing:
        lines += ["Not yet measured (no result in benchmarks/runs/studio/): " + ", ".join(f"`{m}`" for m in missing)
                  + f"; `python benchmarks/studio_results.py {' '.join(missing)}` trains them.", ""]
    if PICTURE.is_file():
        lines += ["Where the generator's self-attention looks (`sagan`, seed 0; each row a sample, then three query "
                  "positions, green, and in red the positions they draw more than the uniform share from):", "",
                  f"![attention maps](images/{PICTURE.name})", ""]
    if MIXING_PICTURE.is_file():
        lines += ["StyleGAN2's style mixing (`stylegan2`, seed 0): the top row and the left column are samples; inside, "
                  "each image takes its coarse styles (the 4x4 and 8x8 layers) from its row's latent and its fine "
                  "styles from its column's:", "", f"![style mixing](images/{MIXING_PICTURE.name})", ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> int:
    def seeds_option(parser):
        parser.add_argument("--seeds", nargs="+", type=int, choices=SEEDS, default=list(SEEDS),
                            help="train the named cases with these of the seeds only (default: 0 1); the section "
                                 "shows every seed saved")

    args, env, runs = case_arguments(__doc__, CASES, runs=ROOT / "benchmarks" / "runs" / "studio", extra=seeds_option)
    runs.mkdir(parents=True, exist_ok=True)
    chosen = [f"{name}-s{seed}" for name in args.cases for seed in args.seeds]

    def run_one(name, recipe, overrides, what):
        seed = int(name.rsplit("-s", 1)[1])
        # a recipe on fewer images (limit: 2,000) is scored with as many: real vs real draws from the training set
        n = min(args.n, training_images(ROOT / "recipes" / recipe))
        result = train_and_score(ROOT / "recipes" / recipe, runs, n, seed, "cpu", env, overrides, name=name, every=0)
        result["recipe"], result["what"] = name, what
        if not result.get("error", "").startswith("training failed"):
            result["ada"] = ada_check(runs / name)
            result["labels"] = label_accuracy(runs / name, seed)
            if name == "sagan-s0":
                draw_attention(runs / name)
            if name.rsplit("-s", 1)[0] in MH_CASES:
                result["mh"] = mh_check(runs / name, seed, args.n, env)
            if recipe == "stylegan2_mnist.yaml":
                result["cropped_fid"] = cropped_fid(runs / name, seed, args.n, env)
                if result.get("error", "").startswith("not evaluated"):  # by ganzoo eval's 28x28 classifier
                    del result["error"]
                if name == "stylegan2-s0":
                    draw_style_mixing(runs / name)
        return result

    results = run_cases(seeded_cases(), chosen, runs, "studio_result.json", run_one, args.write_only)
    replace_section(Path(args.out), section(results, args.n, published_rows(Path(args.out), "studio-results")))
    print(args.out)
    return 0 if all("eval" in r or "cropped_fid" in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
