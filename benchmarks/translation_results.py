"""Train the translation recipes, score them on their held-out pairs, and write the section
"Image translation and enhancement" of docs/results.md.

    GANZOO_DATA=/path/to/folder-holding-MNIST/raw python benchmarks/translation_results.py [CASE ...] [--threads N]

Each case is one whole `ganzoo run RECIPE` process (seed 0), timed from start to exit: the
issue's bar is at most 5 minutes on a 2-core CPU. Then `ganzoo eval RUN_DIR --json` scores it
on the dataset's held-out split beside the trivial baseline (bicubic for SR, the identity
otherwise) and the right answers. Runs go to benchmarks/runs/<case>/ with their result in
translation_result.json: naming cases runs only those again; the section shows every case that
has a result, and for a case without one keeps the rows and blocks docs/results.md publishes (the
runs are not in git). The rest of docs/results.md is left as it is.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import case_arguments, ROOT, machine, published_grid, replace_section, run_cases  # noqa: E402

BEGIN, END = "<!-- translation-results:begin -->", "<!-- translation-results:end -->"

#: (name, recipe, overrides, what it shows)
CASES = [
    ("pix2pix-edges", "pix2pix_edges_mnist", [], "pix2pix: MNIST outlines -> digits (paired)"),
    ("srgan-x4", "srgan_mnist", [], "SRGAN: 7x7 -> 28x28 digits (x4)"),
    ("cyclegan", "cyclegan_mnist", [], "CycleGAN: digits <-> other digits, thickened and inverted (unpaired)"),
    # the translation zoo's unpaired models, on CycleGAN's task, to read beside it
    ("discogan", "discogan_mnist", [], "DiscoGAN: the same unpaired task, no pool, reconstruction at weight 1"),
    ("dualgan", "dualgan_mnist", [], "DualGAN: the same unpaired task, WGAN-GP critics, n_critic 5"),
    ("unit", "unit_mnist", [], "UNIT: the same unpaired task through a shared latent space"),
    ("context-encoder", "context_encoder_mnist", [],
     "Context Encoder: the masked 14x14 centre painted back (baseline: the training mean there)"),
    ("bicyclegan-edges", "bicyclegan_edges_mnist", [],
     "BicycleGAN: MNIST outlines -> digits in many styles (scored at z = 0; diversity below)"),
    ("esrgan-x4", "esrgan_mnist", [], "ESRGAN: 7x7 -> 28x28 digits (x4), beside SRGAN; interpolation below"),
    ("munit", "munit_mnist", [],
     "MUNIT: CycleGAN's unpaired task at style 0; diversity over drawn styles below"),
    ("stargan", "stargan_mnist", [],
     "StarGAN: digits into four domains by a label (scored into thick; every domain's check below)"),
    ("pixelda", "pixelda_mnist", [],
     "PixelDA: MNIST adapted to coloured digits; its classifier on the target beside one on the source alone below"),
    ("ccgan", "ccgan_mnist", [],
     "CC-GAN: the masked centre painted back; its D's digit accuracy from 100 labels below"),
    # the x4 SR pair again on Fashion-MNIST, scored with the Fashion-MNIST classifier
    ("srgan-x4-fashion", "srgan_fashion_mnist", [], "SRGAN: 7x7 -> 28x28 Fashion-MNIST clothes (x4)"),
    ("esrgan-x4-fashion", "esrgan_fashion_mnist", [],
     "ESRGAN: 7x7 -> 28x28 Fashion-MNIST clothes (x4), beside SRGAN; interpolation below"),
]
METRICS = ("accuracy", "psnr", "ssim", "l1", "fid")
#: the same on the box the data name as unknown to the input (inpainting's hole), in a table of their own
REGION_METRICS = ("psnr_region", "ssim_region", "l1_region")
DIVERSITY_CASES = ("pix2pix-edges", "bicyclegan-edges", "munit")  # one input, many outputs: measured beside each other
DRAWS = 10  # outputs per input
ALPHAS = (0.0, 0.5, 0.8, 1.0)  # ESRGAN's network interpolation: the weight of the PSNR model


def ganzoo(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def run_case(name: str, recipe: str, overrides: list[str], runs: Path, env: dict, threads: int | None) -> dict:
    run_dir = runs / name
    shutil.rmtree(run_dir, ignore_errors=True)
    extra = [f"train.threads={threads}"] if threads else []
    command = ["run", recipe, "seed=0", "train.device=cpu", *overrides, *extra]
    started = time.perf_counter()
    trained = ganzoo(*command, "--out", str(run_dir), "--quiet", env=env)
    wall = time.perf_counter() - started
    result = {"case": name, "recipe": recipe, "command": "ganzoo " + " ".join(command), "wall_s": wall,
              "run": str(run_dir)}
    if trained.returncode != 0:
        return {**result, "error": f"training failed: {last_line(trained.stderr)}"}
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    speeds = [r["images_per_sec"] for r in records if "images_per_sec" in r]
    result.update(steps=max(r["step"] for r in records), images_per_sec=sum(speeds) / len(speeds) if speeds else None)
    scored = ganzoo("eval", str(run_dir), "--json", "--device", "cpu", env=env)
    if scored.returncode != 0:  # the idea's own check below may still read the run (PixelDA's)
        result["error"] = f"not evaluated: {last_line(scored.stderr)}"
    else:
        result["eval"] = json.loads(scored.stdout)
    if name in DIVERSITY_CASES:
        result["diversity"] = diversity(run_dir, data=env["GANZOO_DATA"])
    if recipe.startswith("esrgan_"):
        result["interpolation"] = interpolation(run_dir, data=env["GANZOO_DATA"])
    if recipe == "stargan_mnist":
        result["domains"] = domains(run_dir, data=env["GANZOO_DATA"])
    if recipe == "ccgan_mnist":
        from classics_results import check_sgan  # the same check as SGAN's: D's classes beside the CNN alone

        result["semi_supervised"] = check_sgan(run_dir, env["GANZOO_DATA"])
    if recipe == "pixelda_mnist":
        result["adaptation"] = adaptation(run_dir, data=env["GANZOO_DATA"])
    return result


def interpolation(run_dir: Path, data: str, n: int = 10000) -> dict:
    """ESRGAN's network interpolation: the newest checkpoint's generator at each of ``ALPHAS``
    (alpha x the PSNR-stage model + (1 - alpha) x the GAN model), scored as `ganzoo eval` scores."""
    from ganzoo.eval.evaluation import Evaluator
    from ganzoo.eval.translation_eval import load_translators, run_directions
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.training import checkpoint
    from ganzoo.training.data_record import load_recorded_data
    from ganzoo_translation_zoo.esrgan import interpolated

    registry = load_registry()
    state = checkpoint.load_checkpoint(run_dir)
    generator = load_translators(state, registry, "cpu")[0]["a2b"]
    recipe = checkpoint.recipe_of(state, registry)
    if hasattr(recipe.params["dataset"], "root"):  # mnist-sr's; super-resolution's source is named as it was trained
        recipe = checkpoint.recipe_of(state, registry, [f"dataset.params.root={data}"])
    evaluator = Evaluator(registry, recipe, load_recorded_data(recipe), directions=run_directions(state))
    scores = {}
    for alpha in ALPHAS:
        generator.load_state_dict(interpolated(state["models"]["generator"], state["algorithm"], alpha))
        rows = evaluator.score_translators({"a2b": generator}, n)
        scores[str(alpha)] = {metric: rows[f"a2b_{metric}"]["value"] for metric in ("psnr", "ssim", "accuracy", "fid")}
    return scores


def diversity(run_dir: Path, data: str, n: int = 1000, draws: int = DRAWS, seed: int = 0) -> dict:
    """BicycleGAN's check: ``draws`` outputs for each of the first ``n`` held-out inputs, each from
    its own code z ~ N(0, I) (MUNIT: its own style; a generator without a code gives its one
    output ``draws`` times):
    the classifier's accuracy on all of them, and the mean L2 distance between the classifier's
    128-d features of two outputs of one input, over every pair, averaged over the inputs. The
    first 8 inputs' rows (input | outputs | target) go to RUN_DIR/diversity.png."""
    import torch

    from ganzoo.eval.classifier import embed_images, load_classifier
    from ganzoo.eval.translation_eval import load_translators
    from ganzoo.output.images import save_grid, to_uint8
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.training import checkpoint
    from ganzoo.training.data_record import load_recorded_data

    registry = load_registry()
    state = checkpoint.load_checkpoint(run_dir)
    generator = load_translators(state, registry, "cpu")[0]["a2b"]
    loaded = load_recorded_data(checkpoint.recipe_of(state, registry, [f"dataset.params.root={data}"]))
    held_out, view = loaded.held_out, (loaded.two_sided.classifier_view or {}).get("b")  # MUNIT's B: the transform undone
    inputs, labels = held_out.images[:n].float(), held_out.labels[:n]
    classifier, _ = load_classifier(None, "cpu")
    codes = torch.Generator().manual_seed(seed)
    outputs = []
    with torch.no_grad():
        for _ in range(draws):
            latent_dim = getattr(generator, "latent_dim", None) or getattr(generator, "style_dim", None)
            z = None if latent_dim is None else torch.randn(len(inputs), latent_dim, generator=codes)
            outputs.append(generator(inputs) if z is None else generator(inputs, z))
    shown = 8  # the picture: input | the outputs | target, one input a row
    save_grid(torch.cat([inputs[:shown, None], torch.stack([o[:shown] for o in outputs], 1),
                         held_out.two_sided.targets[:shown, None].float()], 1).flatten(0, 1), run_dir / "diversity.png",
              nrow=draws + 2)
    features = embed_images(classifier, to_uint8(torch.cat(outputs) if view is None else view(torch.cat(outputs))))
    accuracy = (features.probs.argmax(1) == labels.repeat(draws)).float().mean().item()
    per_input = features.features.view(draws, len(inputs), -1).transpose(0, 1)  # (n, draws, 128)
    distances = torch.cdist(per_input, per_input)  # (n, draws, draws)
    mean_pairwise = (distances.sum((1, 2)) / (draws * (draws - 1))).mean().item()
    return {"n": len(inputs), "draws": draws, "accuracy": accuracy, "mean_pairwise_feature_distance": mean_pairwise}


def domain_classifier(data, classes: int, epochs: int = 3, seed: int = 0):
    """A small CNN trained to read the domain of the task's training pictures (their labels)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(16, 32, 4, 2, 1), nn.LeakyReLU(0.2),
                        nn.Flatten(), nn.Linear(32 * 7 * 7, classes))
    optimizer = torch.optim.Adam(net.parameters(), 1e-3)
    images, labels = data.images.float(), data.labels
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for rows in torch.randperm(len(images), generator=order).split(128):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(images[rows]), labels[rows]).backward()
            optimizer.step()
    return net.eval()


def domains(run_dir: Path, data: str, n: int = 1000) -> dict:
    """StarGAN's check: the first ``n`` held-out digits translated into each domain; a domain
    classifier (trained here on the task's training pictures) reads the asked domain, and the
    MNIST classifier reads the digit, the domain's transform undone where it can be (inverted,
    rotated). Beside each: the same on the digits truly drawn in that domain. The outputs' digit
    reads are also split by each input's own domain (``by_input``): a domain read alone does not
    show that the transform was learned (a generator that copies the digit and adds a mark can be
    read as the asked domain). The first 8 digits' rows (input | one output per domain) go to
    RUN_DIR/domains.png."""
    import torch

    from ganzoo.eval.classifier import embed_images, load_classifier
    from ganzoo.eval.translation_eval import load_translators
    from ganzoo.output.images import save_grid, to_uint8
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.training import checkpoint
    from ganzoo.training.data_record import load_recorded_data
    from ganzoo_translation.mnist_tasks import read_split
    from ganzoo_translation_zoo.stargan import in_domain

    registry = load_registry()
    state = checkpoint.load_checkpoint(run_dir)
    generator = load_translators(state, registry, "cpu")[0]["a2b"]
    loaded = load_recorded_data(checkpoint.recipe_of(state, registry, [f"dataset.params.root={data}"]))
    names = list(generator.domains)
    reader = domain_classifier(loaded, len(names))
    inputs, own = loaded.held_out.images[:n].float(), loaded.held_out.labels[:n]
    digits, labels = read_split(Path(data), "test", n)  # the held-out pictures' digits, in their order
    classifier, _ = load_classifier(None, "cpu")

    def undone(pictures, name):
        return -pictures if name == "inverted" else torch.rot90(pictures, -1, dims=(-2, -1)) if name == "rotated" \
            else pictures

    def read(pictures, index, name):
        with torch.no_grad():
            domain = (reader(pictures).argmax(1) == index).float().mean().item()
        digit = (embed_images(classifier, to_uint8(undone(pictures, name))).probs.argmax(1) == labels).float()
        return {"domain_accuracy": domain, "digit_accuracy": digit.mean().item(),
                "by_input": {source: digit[own == i].mean().item() for i, source in enumerate(names) if (own == i).any()}}

    rows, shown = {}, []
    for index, name in enumerate(names):
        with torch.no_grad():
            outputs = generator(inputs, torch.full((len(inputs),), index))
        shown.append(outputs[:8])
        truth = read(in_domain(digits, name), index, name)
        del truth["by_input"]  # the true transform does not depend on the input's domain
        rows[name] = {"model": read(outputs, index, name), "truth": truth}
    save_grid(torch.stack([inputs[:8], *shown], 1).flatten(0, 1), run_dir / "domains.png", nrow=len(names) + 1)
    return {"n": len(inputs), "domains": rows}


def adaptation(run_dir: Path, data: str, batch_size: int = 32, seed: int = 0) -> dict:
    """PixelDA's check: the run's classifier read on the held-out target pictures (their labels,
    which training never read), beside the same CNN, with the same optimiser, trained as many
    steps on the source pictures alone (batches of ``batch_size``, seeded)."""
    import torch

    from classics_results import trained_models
    from ganzoo.assembly import build_models, build_optimizer
    from ganzoo.data import DataSpec
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.training import checkpoint
    from ganzoo.training.data_record import load_recorded_data

    models, state, recipe = trained_models(run_dir)
    registry = load_registry()
    loaded = load_recorded_data(checkpoint.recipe_of(state, registry, [f"dataset.params.root={data}"]))
    test = loaded.held_out

    def read(classifier, images, labels):
        with torch.no_grad():
            return (classifier(images.float()).argmax(1) == labels).float().mean().item()

    torch.manual_seed(seed)
    alone = build_models(recipe, DataSpec.from_dict(state["data_spec"]), torch.device("cpu"),
                         roles=["classifier"])["classifier"]
    optimizer = build_optimizer(recipe, "classifier", alone.parameters())
    order = torch.Generator().manual_seed(seed)
    images, labels = loaded.images.float(), loaded.labels
    alone.train()
    for _ in range(int(state["step"])):
        rows = torch.randint(len(images), (batch_size,), generator=order)
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(alone(images[rows]), labels[rows]).backward()
        optimizer.step()
    alone.eval()
    return {"target_acc": read(models["classifier"], test.two_sided.targets, test.two_sided.target_labels),
            "alone_target_acc": read(alone, test.two_sided.targets, test.two_sided.target_labels),
            "alone_source_acc": read(alone, test.images, test.labels), "n": len(test.two_sided.targets)}


def cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}"


def columns(entry: dict) -> str:
    """A metric's `model / baseline / right answers`."""
    return " / ".join(cell(entry[k]) for k in ("generated", "baseline", "real_vs_real"))


def by_direction(result: dict) -> dict[str, dict[str, dict]]:
    """A scored result's metrics by direction, keyed without the direction (``psnr``)."""
    return {direction: {key[len(direction) + 1:]: entry for key, entry in result["eval"]["metrics"].items()
                        if entry["direction"] == direction} for direction in result["eval"]["directions"]}


def by_input_table(rows: dict) -> list[str]:
    """StarGAN's digit reads split by the input's own domain (rows) and the asked domain (columns);
    nothing for a result saved before the split was measured."""
    if not all("by_input" in row["model"] for row in rows.values()):
        return []
    asked = list(rows)
    sources = list(rows[asked[0]]["model"]["by_input"])
    return ["", "The same outputs' digit reads by the input's own domain (rows) and the asked domain (columns):", "",
            "| input \\ asked | " + " | ".join(asked) + " |", "|" + " --- |" * (1 + len(asked))] + [
        f"| {source} | " + " | ".join(cell(rows[name]["model"]["by_input"].get(source)) for name in asked) + " |"
        for source in sources]


#: the parts of the section a case has lines in, in the section's order: its rows of the main table, of the
#: region table and of the diversity table, its blocks below them (ESRGAN's interpolation, then the other
#: models' own checks), its grid and the command it trained with
PARTS = ("rows", "regions", "diversity", "interpolation", "checks", "grids", "commands")
INTERPOLATION = "ESRGAN's network interpolation"
BY_INPUT = "The same outputs' digit reads by the input's own domain"
TRAINED_WITH = "Each row trained with `"


def case_parts(result: dict) -> dict[str, list]:
    """A result's lines in each of the section's PARTS (a block: a list of lines)."""
    parts = {part: [] for part in PARTS}
    speed = f"{result['images_per_sec']:.0f}" if result.get("images_per_sec") else "-"
    start = (f"| `{result['recipe']}` | {result['what']} | {result['wall_s']:.0f} s | {result.get('steps', '-')} "
             f"| {speed} | ")
    if "error" in result:
        parts["rows"].append(start + result["error"] + " |" * len(METRICS))
    if "eval" in result:
        directions = by_direction(result)
        for direction, rows in directions.items():  # two-way models (CycleGAN): a row each way
            row_start = start.replace(f"`{result['recipe']}`", f"`{result['recipe']}` {direction}", 1) \
                if len(directions) > 1 else start
            if "error" not in result:
                parts["rows"].append(row_start + " | ".join(columns(rows[m]) if m in rows else "" for m in METRICS)
                                     + " |")
            if any(m in rows for m in REGION_METRICS):
                parts["regions"].append(f"| `{result['recipe']}` | "
                                        + " | ".join(columns(rows[m]) if m in rows else "" for m in REGION_METRICS)
                                        + " |")
    if "diversity" in result:
        measured = result["diversity"]
        parts["diversity"].append(f"| `{result['recipe']}` | {measured['n']} | {measured['accuracy']:.4g} | "
                                  f"{measured['mean_pairwise_feature_distance']:.4g} |")
    if "interpolation" in result:
        parts["interpolation"].append(
            [f"{INTERPOLATION} (`{result['recipe']}`): alpha x the PSNR-stage model + (1 - alpha) x the GAN model, "
             "scored on the held-out pairs.", "", "| alpha | psnr | ssim | accuracy | fid |",
             "| --- | --- | --- | --- | --- |"]
            + [f"| {alpha} | " + " | ".join(cell(v) for v in row.values()) + " |"
               for alpha, row in result["interpolation"].items()])
    if "domains" in result:
        parts["checks"].append(
            [f"StarGAN's domains (`{result['recipe']}`): the first {result['domains']['n']} held-out digits "
             "translated into each domain; a domain classifier trained on the task reads the asked domain, "
             "the MNIST classifier the digit (inverted and rotated turned back first). Each value is "
             "`model / the digits truly drawn in that domain`.", "",
             "| domain | domain read | digit read |", "| --- | --- | --- |"]
            + [f"| {name} | " + " | ".join(f"{cell(row['model'][k])} / {cell(row['truth'][k])}"
                                           for k in ("domain_accuracy", "digit_accuracy")) + " |"
               for name, row in result["domains"]["domains"].items()]
            + by_input_table(result["domains"]["domains"]))
    if "adaptation" in result:
        a = result["adaptation"]
        parts["checks"].append(
            [f"PixelDA's adaptation (`{result['recipe']}`): its classifier, trained on adapted MNIST digits "
             "(and the MNIST digits themselves), "
             f"reads {100 * a['target_acc']:.1f}% of {a['n']} held-out coloured digits; the same CNN trained "
             f"on the MNIST digits alone reads {100 * a['alone_target_acc']:.1f}% of them (and "
             f"{100 * a['alone_source_acc']:.1f}% of held-out MNIST digits)."])
    if "semi_supervised" in result:
        parts["checks"].append([f"CC-GAN's discriminator as a digit classifier (`{result['recipe']}`): "
                                f"{result['semi_supervised']['text']} (the 10,000 test digits)."])
    if not result.get("error", "").startswith("training failed") and result.get("run"):
        grid = published_grid(Path(result["run"]), result["case"], "translation")
        if grid:
            parts["grids"].append(f"| `{result['case']}` | {grid} |")
    if "command" in result:
        parts["commands"].append(result["command"])
    return parts


def published_parts(path: Path) -> dict:
    """What the section of PATH publishes for each case, by case name, in case_parts' form (the tables name
    cases by their recipe), and its Machine line: a section rewritten after rerunning some cases keeps the
    others' rows and blocks as published, since the runs behind them are not in git."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    found = re.search(rf"{re.escape(BEGIN)}\n(.*?)\n{re.escape(END)}", text, re.DOTALL)
    named = {recipe: name for name, recipe, *_ in CASES}
    cases, machine_line, table, block = {}, None, None, None

    def parts_of(key: str, by_recipe: bool = True) -> dict:
        """The parts of the case ``key`` names (its recipe, or its name); a case no longer run: thrown away."""
        name = named.get(key) if by_recipe else key if key in named.values() else None
        return cases.setdefault(name, {part: [] for part in PARTS}) if name else {part: [] for part in PARTS}

    for chunk in (found.group(1).split("\n\n") if found else []):
        lines = chunk.splitlines()
        first = lines[0]
        opened = re.match(r"[^|].*? \(`([^`]+)`\): ", first)
        if block is not None and (first.startswith("|") or first.startswith(BY_INPUT)):
            block += ["", *lines]  # StarGAN's tables below its paragraph
            continue
        block = None
        if first.startswith("Machine: "):
            machine_line = first
        elif first.startswith("| case | what it shows"):
            for row in lines[2:]:
                parts_of(row.split("`")[1])["rows"].append(row)
        elif first.startswith("The region the data name"):
            table = "regions"
        elif first.startswith("One input, many outputs"):
            table = "diversity"
        elif first.startswith("Each run's last grid"):
            table = "grids"
        elif first.startswith("| case |") and table:
            for row in lines[2:]:
                parts_of(row.split("`")[1], by_recipe=table != "grids")[table].append(row)
            table = None
        elif first.startswith(TRAINED_WITH):
            for command in first[len(TRAINED_WITH):-len("`.")].split("`, `"):
                if command:
                    parts_of(command.split()[2])["commands"].append(command)
        elif opened and opened.group(1) in named:
            block = lines
            parts_of(opened.group(1))["interpolation" if first.startswith(INTERPOLATION) else "checks"].append(block)
    return {"machine": machine_line, "cases": cases}


def section(results: list[dict], published: dict | None = None) -> str:
    """The section: each case's lines from its result at hand, else as ``published`` (published_parts) has
    them, in the cases' order; the Machine line is this machine's, or the published one where no case ran."""
    published = published or {"machine": None, "cases": {}}
    at_hand = {result["case"]: case_parts(result) for result in results}
    shown = [at_hand.get(name) or published["cases"].get(name) for name, *_ in CASES]
    shown = [parts for parts in shown if parts]

    def part(name: str) -> list:
        return [line for parts in shown for line in parts[name]]

    machine_line = published["machine"] if published["machine"] and not results else f"Machine: {machine('cpu')}."
    lines = [BEGIN, "## Image translation and enhancement", "",
             "Each recipe trained in one whole `ganzoo run` process (seed 0, the time includes start-up and "
             "the per-epoch grids), then `ganzoo eval RUN_DIR` on the 10,000 held-out MNIST (or Fashion-MNIST) test "
             "pairs (the unpaired models, CycleGAN, DiscoGAN, DualGAN and UNIT: 5,000 digits each way); each value is "
             "`model / baseline / right answers`, the baseline "
             "being bicubic upsampling for SR and the identity otherwise (the outline itself for pix2pix; for "
             "inpainting the masked input, its hole filled with the training mean), the "
             "right answers for the unpaired models the hidden transform. Reproduce with "
             "`python benchmarks/translation_results.py`; see docs/translation.md.", "",
             machine_line, "",
             "| case | what it shows | wall time | steps | images/s | " + " | ".join(METRICS) + " |",
             "|" + " --- |" * (5 + len(METRICS)), *part("rows")]
    if part("regions"):
        lines += ["", "The region the data name as unknown to the input, scored alone (`TwoSided.target_region`; "
                  "inpainting: the masked 14x14 centre, the baseline filling it with the training mean), where the "
                  "whole picture's values above also count the border copied through: `model / baseline / right "
                  "answers`.", "", "| case | " + " | ".join(REGION_METRICS) + " |",
                  "|" + " --- |" * (1 + len(REGION_METRICS)), *part("regions")]
    if part("diversity"):
        lines += ["", f"One input, many outputs: {DRAWS} outputs for each of the first held-out outlines (BicycleGAN: "
                  "each from its own code z ~ N(0, I); MUNIT: each in its own drawn style, A -> B; pix2pix: its one "
                  "output), the classifier's accuracy on all of them and the mean L2 distance between the "
                  "classifier's 128-d features of two outputs of one input (0: all alike).", "",
                  "| case | inputs | accuracy | mean pairwise feature distance |", "| --- | --- | --- | --- |",
                  *part("diversity")]
    for block in part("interpolation") + part("checks"):
        lines += ["", *block]
    if part("grids"):
        lines += ["", "Each run's last grid, on held-out inputs (each row: input | output | target, or the run's "
                  "own layout; see docs/translation.md):", "", "| case | grid |", "| --- | --- |", *part("grids")]
    lines += ["", TRAINED_WITH + "`, `".join(part("commands")) + "`."]
    lines += ["", "accuracy: the shipped MNIST classifier reading the outputs, against the inputs' labels (it reads "
              "99.46% of the real test digits; on the Fashion-MNIST rows the shipped Fashion-MNIST classifier, 92.25% "
              "of the real test pictures); psnr in dB (identical pictures: capped at 100); fid: outputs against "
              "the held-out target pictures, in the classifier's features. The SR content loss uses the MNIST "
              "classifier's features, so SR's accuracy on MNIST is not an independent judge (on Fashion-MNIST it is). "
              "Wall time and images/s were "
              "taken on a machine shared with other work unless said otherwise: compare scores, not times.", END]
    return "\n".join(lines) + "\n"


def main() -> int:
    args, env, runs = case_arguments(__doc__, CASES, scored=False, extra=lambda parser: parser.add_argument(
        "--threads", type=int, help="train.threads for each run (default: ganzoo's, the free cores)"))
    published = published_parts(Path(args.out))
    results = run_cases(CASES, args.cases, runs, "translation_result.json",
                        lambda name, recipe, overrides, what: {**run_case(name, recipe, overrides, runs, env,
                                                                          args.threads), "what": what},
                        args.write_only)
    replace_section(Path(args.out), section(results, published))
    print(args.out)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
