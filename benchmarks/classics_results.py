"""Train the classics plugin's recipes (BEGAN, EBGAN, the adversarial autoencoder, SGAN, CoGAN, ClusterGAN), score
them, compute the check that shows each one's idea works, and write the section "The classics:
each idea's check" of docs/results.md (with its pictures in docs/images/).

    GANZOO_DATA=/path/to/folder python benchmarks/classics_results.py [CASE ...]

Each case trains as its recipe says (seed 0, no evaluation during training) and is scored by
`ganzoo eval -n 10000` (train_and_score of benchmarks/results.py); then its check:

- began: the convergence measure M at the first and the last log (it should fall) and k_t at the end;
- ebgan: the energies of real and fake pictures at the end, and the pulling-away term;
- aae, aae-2d: the encoder's codes of the 10,000 test digits against the prior N(0, I): the largest
  Kolmogorov-Smirnov distance of one coordinate to N(0, 1), and the MMD^2 (Gaussian kernel) of
  2,000 codes to 2,000 draws of the prior beside that of two sets of prior draws (the noise
  floor); aae-2d draws the scatter of the codes over the prior's 1, 2, 3 sigma circles, and the
  reconstructions of test digits;
- cogan: how often the shipped MNIST classifier reads the same digit in both pictures one z
  draws (domain B through the dataset's view of it), beside pictures of different z; a grid of pairs;
- cluster_gan: the encoder's clustering accuracy on the test digits (argmax of its cluster logits,
  best one-to-one map of clusters to digits), beside k-means on pixels with as many clusters;
- sgan: the discriminator's test accuracy as a classifier of the 10 digits, beside the same CNN
  (same recipe section, same seed) trained on the same 100 labelled pictures alone, with the same
  optimiser, for as many steps;
- sgan-seed1, cluster_gan-seed1: the two checks with small margins again, trained with seed 1.

Runs go to benchmarks/runs/<case>/, each with its result in classics_result.json: naming cases runs
only those again, and the section shows every case that has a result there (a case without one keeps
the row docs/results.md publishes: the runs are not in git). Measure on a quiet machine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import case_arguments, case_rows, COLUMNS, ROOT, cell, machine, published_grid, published_rows, replace_section, run_cases, train_and_score  # noqa: E402

BEGIN, END = "<!-- classics-results:begin -->", "<!-- classics-results:end -->"
IMAGES = ROOT / "docs" / "images"

#: (name, recipe, overrides, what it shows)
CASES = [
    ("began", "began_mnist.yaml", [], "BEGAN: autoencoder D, the k_t balance, M falls"),
    ("ebgan", "ebgan_mnist.yaml", [], "EBGAN: autoencoder energy, margin, pulling-away term"),
    ("aae", "aae_mnist.yaml", [], "adversarial autoencoder, 8-D codes pushed to N(0, I)"),
    ("aae-2d", "aae_mnist.yaml", ["generator.params.latent_dim=2"], "the same with a 2-D code, to plot"),
    ("sgan", "sgan_mnist.yaml", [], "semi-supervised GAN, 100 labels: D as a classifier"),
    ("cogan", "cogan_mnist.yaml", [], "CoGAN: digits and thick inverted digits, no pairs"),
    ("cluster_gan", "cluster_gan_mnist.yaml", [], "ClusterGAN: a cluster code in z, read back by an encoder"),
    # the two checks whose margins are small, again with seed 1
    ("sgan-seed1", "sgan_mnist.yaml", [], "the same as sgan, seed 1"),
    ("cluster_gan-seed1", "cluster_gan_mnist.yaml", [], "the same as cluster_gan, seed 1"),
]
SEED_SUFFIX = "-seed1"  # a case named so trains with seed 1 and takes its base case's check


# ---------------------------------------------------------------- reading a finished run
def trained_models(run_dir: Path) -> tuple[dict, object, object]:
    """(models by role with the final weights, in eval mode; the checkpoint's state; the recipe)."""
    from ganzoo.assembly import build_models
    from ganzoo.data import DataSpec
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.training import checkpoint

    registry = load_registry()
    state = checkpoint.load_checkpoint(run_dir)
    recipe = checkpoint.recipe_of(state, registry)
    models = build_models(recipe, DataSpec.from_dict(state["data_spec"]), torch.device("cpu"))
    for role, model in models.items():
        model.load_state_dict(state["models"][role])
        model.eval()
    return models, state, recipe


def mnist_test(data_root: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The 10,000 test digits in [-1, 1], (N, 1, 28, 28), and their labels."""
    from ganzoo_vanilla.mnist import MNISTParams, load_mnist

    data = load_mnist(MNISTParams(root=data_root, split="test", download=False))
    return data.images.float() / 127.5 - 1, data.labels


def records(run_dir: Path) -> list[dict]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, filter(str.strip, lines)) if "eval" not in r]


@torch.no_grad()
def batched(model, images: torch.Tensor, size: int = 500):
    outs = [model(images[i:i + size]) for i in range(0, len(images), size)]
    if isinstance(outs[0], dict):
        return {key: torch.cat([out[key] for out in outs]) for key in outs[0]}
    return torch.cat(outs)


# ---------------------------------------------------------------- the checks
def check_began(run_dir: Path, data_root: str) -> dict:
    rows = records(run_dir)
    return {"M_first": rows[0]["convergence"], "M_last": rows[-1]["convergence"], "k_last": rows[-1]["k"],
            "text": f"M {rows[0]['convergence']:.3f} at step {rows[0]['step']} -> {rows[-1]['convergence']:.3f} at "
                    f"step {rows[-1]['step']}; k_t {rows[-1]['k']:.4f} at the end"}


def check_ebgan(run_dir: Path, data_root: str) -> dict:
    last = records(run_dir)[-1]
    return {"d_real": last["d_real"], "d_fake": last["d_fake"], "pt": last["pt"],
            "text": f"energy real {last['d_real']:.3f}, fake {last['d_fake']:.3f}; pulling-away term {last['pt']:.3f}"}


def ks_to_normal(values: torch.Tensor) -> float:
    """The Kolmogorov-Smirnov distance of a sample's empirical CDF to N(0, 1)'s."""
    x = values.double().sort().values
    n = len(x)
    cdf = torch.special.ndtr(x)
    above = torch.arange(1, n + 1, dtype=torch.double) / n - cdf
    below = cdf - torch.arange(0, n, dtype=torch.double) / n
    return float(torch.max(above.max(), below.max()))


def mmd2(a: torch.Tensor, b: torch.Tensor) -> float:
    """The unbiased MMD^2 of two samples under a Gaussian kernel of bandwidth sqrt(dimension)."""
    a, b = a.double(), b.double()
    scale = 2.0 * a.shape[1]

    def kernel(x, y):
        return torch.exp(-torch.cdist(x, y).pow(2) / scale)

    n, m = len(a), len(b)
    kaa, kbb = kernel(a, a), kernel(b, b)
    return float((kaa.sum() - kaa.diagonal().sum()) / (n * (n - 1)) + (kbb.sum() - kbb.diagonal().sum()) / (m * (m - 1))
                 - 2 * kernel(a, b).mean())


def check_aae(run_dir: Path, data_root: str, plot: bool = False) -> dict:
    models, _, _ = trained_models(run_dir)
    images, labels = mnist_test(data_root)
    codes = batched(models["encoder"], images)
    rng = torch.Generator().manual_seed(0)
    prior = torch.randn(4000, codes.shape[1], generator=rng)
    chosen = torch.randperm(len(codes), generator=rng)[:2000]
    result = {"ks_max": max(ks_to_normal(codes[:, d]) for d in range(codes.shape[1])),
              "mmd2": mmd2(codes[chosen], prior[:2000]), "mmd2_floor": mmd2(prior[:2000], prior[2000:]),
              "code_mean_norm": float(codes.mean(0).norm()), "code_std": codes.std(0).tolist()}
    result["text"] = (f"{codes.shape[1]}-D codes of the test set: largest KS distance to N(0, 1) "
                      f"{result['ks_max']:.3f}; MMD^2 to the prior {result['mmd2']:.4f} (two prior samples: "
                      f"{result['mmd2_floor']:.4f})")
    if plot:
        from ganzoo.output.images import save_grid

        IMAGES.mkdir(parents=True, exist_ok=True)
        (IMAGES / "aae_codes.png").write_bytes(scatter(codes, labels))
        with torch.no_grad():
            remade = models["generator"](codes[:32])
        save_grid(torch.cat([images[:32], remade]), IMAGES / "aae_reconstructions.png", nrow=16)
        result["text"] += "; ![codes](images/aae_codes.png) ![test digits above, reconstructions below](images/aae_reconstructions.png)"
    return result


PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def scatter(codes: torch.Tensor, labels: torch.Tensor, size: int = 480, extent: float = 4.0) -> bytes:
    """A PNG: 2-D codes coloured by digit over the 1, 2 and 3 sigma circles of N(0, I)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    to_pixel = lambda v: (v + extent) / (2 * extent) * size  # noqa: E731
    for sigma in (1, 2, 3):
        r = sigma / (2 * extent) * size
        draw.ellipse([size / 2 - r, size / 2 - r, size / 2 + r, size / 2 + r], outline=(0, 0, 0))
    for (x, y), label in zip(codes[:3000].tolist(), labels[:3000].tolist()):
        px, py = to_pixel(x), size - to_pixel(y)
        draw.ellipse([px - 1.5, py - 1.5, px + 1.5, py + 1.5], fill=PALETTE[label])
    for digit, colour in enumerate(PALETTE):
        draw.text((8, 8 + 12 * digit), str(digit), fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def accuracy(classifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    logits = batched(classifier, images)["class_logits"]
    return float((logits.argmax(1) == labels).float().mean())


def check_sgan(run_dir: Path, data_root: str, seed: int = 0) -> dict:
    from ganzoo.assembly import build_models, build_optimizer
    from ganzoo.data import DataSpec
    from ganzoo.pluginhost.registry import load_registry

    models, state, recipe = trained_models(run_dir)
    images, labels = mnist_test(data_root)
    sgan = accuracy(models["discriminator"], images, labels)
    labelled, targets = state["algorithm"]["images"], state["algorithm"]["labels"]
    # the same CNN, alone on the same labelled pictures, with the same optimiser, as many steps
    registry = load_registry()
    torch.manual_seed(seed)
    alone = build_models(recipe, DataSpec.from_dict(state["data_spec"]), torch.device("cpu"),
                         roles=["discriminator"])["discriminator"]
    optimizer = build_optimizer(recipe, "discriminator", alone.parameters())
    alone.train()
    for _ in range(int(state["step"])):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(alone(labelled)["class_logits"], targets).backward()
        optimizer.step()
    alone.eval()
    baseline = accuracy(alone, images, labels)
    return {"sgan_acc": sgan, "alone_acc": baseline, "labelled": len(targets),
            "text": f"test accuracy {100 * sgan:.1f}% with {len(targets)} labels; the same CNN on them alone "
                    f"{100 * baseline:.1f}%"}


@torch.no_grad()
def check_cogan(run_dir: Path, data_root: str, n: int = 10000) -> dict:
    """How often the shipped classifier reads the same digit in both pictures of one z (domain B read
    through the dataset's view of it: inverted back and thinned), beside pictures of different z."""
    import ganzoo
    from ganzoo.output.images import save_grid
    from ganzoo_translation.unpaired_mnist import to_a

    models, _, _ = trained_models(run_dir)
    G, classifier = models["generator"], ganzoo.mnist_classifier("cpu")
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(0))
    pairs = [G.pair(z[i:i + 500]) for i in range(0, n, 500)]
    a, b = torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])
    digit_a, digit_b = batched(classifier, a).argmax(1), batched(classifier, to_a(b)).argmax(1)
    same = float((digit_a == digit_b).float().mean())
    shuffled = float((digit_a == digit_b[torch.randperm(n, generator=torch.Generator().manual_seed(1))]).float().mean())
    IMAGES.mkdir(parents=True, exist_ok=True)
    save_grid(torch.cat([a[:16], b[:16]]), IMAGES / "cogan_pairs.png", nrow=16)
    return {"agreement": same, "shuffled": shuffled,
            "text": f"the classifier reads the same digit in both domains for {100 * same:.1f}% of z (pictures of "
                    f"different z: {100 * shuffled:.1f}%); ![one z per column: A above, B below](images/cogan_pairs.png)"}


def matched_accuracy(assigned: torch.Tensor, labels: torch.Tensor) -> float:
    """Clustering accuracy: the share of pictures whose cluster maps to their label, under the best
    one-to-one map of clusters to labels (exact, by dynamic programming over the labels used)."""
    clusters, classes = int(assigned.max()) + 1, int(labels.max()) + 1
    counts = torch.zeros(clusters, classes, dtype=torch.long)
    counts.index_put_((assigned, labels), torch.ones_like(labels), accumulate=True)
    counts = counts.tolist()
    best = {0: 0}  # labels used (a bit mask) -> the most pictures matched
    for row in counts:
        step = dict(best)  # this cluster may map to no label (more clusters than labels)
        for used, matched in best.items():
            for label in range(classes):
                if not used >> label & 1:
                    key = used | 1 << label
                    step[key] = max(step.get(key, 0), matched + row[label])
        best = step
    return max(best.values()) / len(labels)


def check_cluster_gan(run_dir: Path, data_root: str) -> dict:
    from ganzoo import KMeans

    models, _, _ = trained_models(run_dir)
    images, labels = mnist_test(data_root)
    G = models["generator"]
    logits = batched(models["encoder"], images)[:, G.noise_dim:]
    ours = matched_accuracy(logits.argmax(1), labels)
    pixels = ((images + 1) * 127.5).round().to(torch.uint8)
    kmeans = matched_accuracy(KMeans.fit(pixels, G.code_categories).labels(pixels), labels)
    return {"cluster_acc": ours, "kmeans_acc": kmeans,
            "text": f"clustering accuracy of the encoder on the test digits {100 * ours:.1f}%; k-means on pixels "
                    f"{100 * kmeans:.1f}% (both {G.code_categories} clusters, best one-to-one map to the digits)"}


CHECKS = {"began": check_began, "ebgan": check_ebgan, "aae": check_aae,
          "aae-2d": lambda run_dir, root: check_aae(run_dir, root, plot=True), "sgan": check_sgan,
          "sgan-seed1": lambda run_dir, root: check_sgan(run_dir, root, seed=1),
          "cogan": check_cogan, "cluster_gan": check_cluster_gan, "cluster_gan-seed1": check_cluster_gan}


def section(results: list[dict], n: int, published: dict[str, str]) -> str:
    """The section: a row per case with a result at hand, the published row of a case without one."""
    lines = [BEGIN, "## The classics: each idea's check", "",
             "The classics plugin's algorithms, each trained as its recipe says (seed 0, and seed 1 for the "
             "`-seed1` rows; training only, then "
             f"`ganzoo eval -n {n}`), with the check that shows its idea works; reproduce with "
             "`python benchmarks/classics_results.py`.", "",
             f"Machine: {machine('cpu')}.", "",
             "| case | what it shows | the idea's check | wall time | " + " | ".join(COLUMNS) + " | samples |",
             "|" + " --- |" * (5 + len(COLUMNS))]

    def row(result: dict) -> str:
        start = f"| `{result['recipe']}` | {result['what']} | {result.get('check', {}).get('text', '')} | " \
                f"{result['wall_s']:.0f} s | "
        grid = published_grid(ROOT / result["run"], result["recipe"]) if "run" in result else ""
        if "eval" not in result:  # CoGAN's domains are not MNIST's digits: ganzoo eval does not score them
            return start + result.get("error", "") + " |" * len(COLUMNS) + f" {grid} |"
        metrics = result["eval"]["metrics"]
        return (start + " | ".join(cell(metrics[c]["generated"]) if c in metrics else "" for c in COLUMNS) +
                f" | {grid} |")

    lines += case_rows(CASES, results, row, published)[0]
    lines += ["", "Wall time is training only.", END]
    return "\n".join(lines) + "\n"


def main() -> int:
    args, env, runs = case_arguments(__doc__, CASES)

    def run_one(name, recipe, overrides, what):
        seed = 1 if name.endswith(SEED_SUFFIX) else 0
        result = train_and_score(ROOT / "recipes" / recipe, runs, args.n, seed, "cpu", env, overrides, name=name,
                                 every=0)
        result["recipe"], result["what"] = name, what
        if not result.get("error", "").startswith("training failed"):  # the check needs training, not scores
            result["check"] = CHECKS[name](runs / name, env["GANZOO_DATA"])
            if name == "cogan" and "error" in result:
                result["error"] = "not scored: ganzoo eval scores MNIST digits, not two domains"
        return result

    results = run_cases(CASES, args.cases, runs, "classics_result.json", run_one, args.write_only)
    replace_section(Path(args.out), section(results, args.n, published_rows(Path(args.out), "classics-results")))
    print(args.out)
    return 0 if all("check" in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
