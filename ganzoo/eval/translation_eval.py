"""Scoring translation runs on held-out data, each metric beside a trivial baseline.

For each direction the algorithm translates (``Algorithm.directions``), on the held-out split:

- with paired targets (or, for unpaired data, the dataset's ``known_transform`` of the inputs):
  L1 (mean absolute pixel error, pixels in [0, 1]), PSNR (dB, capped at
  ``PSNR_CAP`` for identical pictures) and SSIM (torchmetrics), of the outputs against the targets;
- on MNIST-shaped labelled data (1x28x28 outputs, 10 classes): the shipped classifier's accuracy
  on the outputs against the inputs' labels, and FID (ganzoo's ``fid`` metric, classifier
  features) of the outputs against the target domain's held-out pictures.

The baseline is the input itself scaled to the output's size (bicubic: the usual baseline of
super-resolution; the identity when the sizes agree); the ``targets`` column scores the right
answers the same way (accuracy of the real targets, FID of training targets against held-out
ones): what a perfect translator would get. Outputs are rounded to uint8 first, as saved pictures are.

Unpaired data made by a hidden transform (``ImageData.known_transform``, e.g. mnist-unpaired)
have right answers too: the known transform of each input stands in for paired targets (the
``targets`` column is the known transform itself). The classifier reads each side's pictures
through the data's ``classifier_view`` (undoing the transform), so a domain of inverted digits
is scored as digits: the outputs, the baseline, the target domain and the FID reference alike.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import torch
import torch.nn.functional as F

from ganzoo import translation
from ganzoo.assembly import resolve_device
from ganzoo.data import DataSpec, ImageData
from ganzoo.errors import GanzooError
from ganzoo.output.files import write_text_atomic
from ganzoo.output.images import to_uint8
from ganzoo.pluginhost.registry import Registry
from ganzoo.training.run_folder import EVAL_FILE

PSNR_CAP = 100.0  # dB: identical pictures score this instead of infinity (kept finite for JSON)
SSIM_MIN_SIDE = 11  # SSIM's Gaussian window; smaller pictures get no SSIM
BETTER = {"l1": "lower", "psnr": "higher", "ssim": "higher", "accuracy": "higher", "fid": "lower"}


def pixels(images: torch.Tensor) -> torch.Tensor:
    """Floats in [-1, 1] -> floats in [0, 1], rounded to the 256 levels a saved picture has."""
    return to_uint8(images).float().div(255.0)


def baseline(inputs: torch.Tensor, shape) -> torch.Tensor:
    """The input scaled to the output's size (bicubic) and channel count: the trivial translation."""
    channels, height, width = shape
    out = inputs.float()
    if tuple(out.shape[2:]) != (height, width):
        out = F.interpolate(out, size=(height, width), mode="bicubic", align_corners=False).clamp(-1, 1)
    if out.shape[1] != channels:
        out = out.mean(1, keepdim=True).expand(-1, channels, -1, -1)
    return out


def l1(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().mean().item()


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Peak signal-to-noise ratio over the whole set, pixels in [0, 1] (torchmetrics' default
    reduction, without importing it: 10 log10(1 / MSE)), capped at ``PSNR_CAP``."""
    mse = (a.double() - b.double()).pow(2).mean().item()
    return PSNR_CAP if mse == 0 else min(PSNR_CAP, 10 * math.log10(1.0 / mse))


def ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean SSIM (Gaussian window 11, sigma 1.5), by torchmetrics: well tested, not re-written here."""
    from torchmetrics.functional.image import structural_similarity_index_measure

    return structural_similarity_index_measure(a, b, data_range=1.0).item()


class TranslationEvaluator:
    """Holds the held-out data, the classifier and FID; scores translators by direction."""

    def __init__(self, registry: Registry, data: ImageData, directions: Mapping[str, str], device="cpu",
                 classifier: Optional[str] = None):
        self.device = resolve_device(device)
        self.data = data.held_out if data.held_out is not None else data
        self.on_held_out = data.held_out is not None
        self.train = data
        self.known_transform = data.known_transform or self.data.known_transform
        self.directions = dict(directions)
        self.spec = data.spec
        self.model = self.fid = None
        self.classifier_sha256 = None
        if self.spec.num_classes == 10 and all(shape[1] == (1, 28, 28) for shape in
                                               (translation.shapes(self.spec, d) for d in self.directions)):
            from ganzoo.eval.classifier import load_classifier
            from ganzoo.recipe import type_params

            self.model, self.classifier_sha256 = load_classifier(classifier, self.device)
            component = registry.get("metric", "fid")
            self.fid = component.factory(type_params(component, {}, "eval.metrics.fid", registry=registry))

    def features(self, images01: torch.Tensor, side: Optional[str] = None):
        """Classifier features of pictures in [0, 1]; of ``side``'s pictures (``a``, ``b``) as the data's
        ``classifier_view`` shows them to the classifier (a hidden transform undone), when it names it."""
        from ganzoo.eval.classifier import embed_images

        view = (self.train.classifier_view or {}).get(side)
        if view is not None:
            images01 = pixels(view(images01 * 2 - 1))
        return embed_images(self.model, (images01 * 255).round().to(torch.uint8))

    def score(self, generators: Mapping[str, torch.nn.Module], n: int) -> Dict[str, Dict[str, Dict[str, Any]]]:
        """{direction: {metric: {model, baseline, targets, better}}} on the first ``n`` held-out examples."""
        return {direction: self.score_direction(direction, generators[direction], n) for direction in self.directions}

    def score_direction(self, direction: str, generator: torch.nn.Module, n: int) -> Dict[str, Dict[str, Any]]:
        side = translation.side(self.data, direction)
        inputs = side.inputs[:n]
        if side.targets is None and self.known_transform is not None:  # unpaired, but the right answer is known
            side = translation.Side(side.inputs, side.labels, self.known_transform(side.inputs[:n], direction))
        _, out_shape = translation.shapes(self.spec, direction)
        outputs = pixels(translation.translate(generator, inputs.to(self.device)).cpu())
        trivial = pixels(baseline(inputs, out_shape))
        rows: Dict[str, Dict[str, Any]] = {}

        def row(name, model, base, ideal):
            rows[name] = {"model": model, "baseline": base, "targets": ideal, "better": BETTER[name]}

        targets = pixels(side.targets[:n]) if side.targets is not None else None
        out_side = "b" if direction == "a2b" else "a"  # the side the outputs are pictures of
        if targets is not None:
            row("l1", l1(outputs, targets), l1(trivial, targets), 0.0)
            row("psnr", psnr(outputs, targets), psnr(trivial, targets), PSNR_CAP)
            if min(out_shape[1:]) >= SSIM_MIN_SIDE:
                row("ssim", ssim(outputs, targets), ssim(trivial, targets), 1.0)
        if self.model is not None:  # outputs, the baseline and the target domain all read as the output side
            got, base = self.features(outputs, out_side), self.features(trivial, out_side)
            domain = translation.side(self.data, "b2a" if direction == "a2b" else "a2b").inputs  # the target domain
            real = self.features(pixels(domain[:n]), out_side)
            if side.labels is not None:
                labels = side.labels[:n]
                ideal = (self.features(targets, out_side).probs.argmax(1) == labels).float().mean().item() \
                    if targets is not None else None

                def accuracy(features):
                    return (features.probs.argmax(1) == labels).float().mean().item()

                row("accuracy", accuracy(got), accuracy(base), ideal)
            train_domain = translation.side(self.train, "b2a" if direction == "a2b" else "a2b").inputs
            reference = self.fid.compute(self.features(pixels(train_domain[:len(domain[:n])]), out_side), real)["fid"] \
                if self.on_held_out else None
            row("fid", self.fid.compute(got, real)["fid"], self.fid.compute(base, real)["fid"], reference)
        return rows


def flat(scores: Dict[str, Dict[str, Dict[str, Any]]]) -> Dict[str, float]:
    """The model's values as ``a2b_psnr``-style keys, for metrics.jsonl."""
    return {f"{direction}_{name}": entry["model"] for direction, rows in scores.items() for name, entry in rows.items()}


def run_directions(state: dict) -> Dict[str, str]:
    """A checkpoint's translation directions ({} for a run that generates from noise)."""
    return dict(state.get("directions") or {})


def load_translators(state: dict, registry: Registry, device, ema: bool = True) -> tuple[Dict[str, torch.nn.Module], DataSpec]:
    """The generators of a translation run's checkpoint, by direction, in eval mode (the EMA weights of
    the sample role's generator when the run kept them)."""
    from ganzoo.output.sampling import saved_models
    from ganzoo.training import checkpoint

    recipe = checkpoint.recipe_of(state, registry)
    spec = DataSpec.from_dict(state["data_spec"])
    directions = run_directions(state)
    models = saved_models(state, recipe, spec, sorted(set(directions.values())), resolve_device(device), ema)
    return {direction: models[role] for direction, role in directions.items()}, spec


def evaluate_translation_run(run_dir: Path, state: dict, registry: Registry, n: Optional[int], data_root: Optional[str],
                             classifier: Optional[str], device) -> dict[str, Any]:
    """``ganzoo eval`` of a translation run: its newest checkpoint on the held-out data; writes eval.json."""
    from ganzoo.training import checkpoint
    from ganzoo.training.data_record import load_recorded_data

    started = time.perf_counter()
    overrides = [f"dataset.params.root={data_root}"] if data_root else []
    recipe = checkpoint.recipe_of(state, registry, overrides)
    n = recipe.config.eval.n if n is None else n
    if n < 1:
        raise GanzooError(f"-n must be at least 1, got {n}")
    data = load_recorded_data(recipe)
    evaluator = TranslationEvaluator(registry, data, run_directions(state), device, classifier)
    if evaluator.model is None and not data.paired and evaluator.known_transform is None:
        raise GanzooError(f"ganzoo eval has nothing to score in '{run_dir}': its two domains are unpaired and have no "
                          "known right answer or MNIST labels; look at its grids in samples/, or translate held-out "
                          "pictures with `ganzoo translate`")
    generators, _ = load_translators(state, registry, device)
    scores = evaluator.score(generators, n)
    report = {
        "run": str(run_dir),
        "checkpoint": state["path"],
        "step": int(state["step"]),
        "kind": "translation",
        "n": min(n, len(evaluator.data)),
        "paired": bool(data.paired),
        "data": "held-out split" if evaluator.on_held_out else "training data (the dataset holds none out)",
        "classifier_sha256": evaluator.classifier_sha256,
        "directions": scores,
        "seconds": round(time.perf_counter() - started, 2),
    }
    write_text_atomic(Path(run_dir) / EVAL_FILE, json.dumps(report, indent=2) + "\n")
    return report


def print_translation_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from ganzoo.eval.evaluation import format_value

    console = Console()
    arrows = {"lower": "lower ↓", "higher": "higher ↑"}
    for direction, rows in report["directions"].items():
        table = Table(title=f"{report['run']}  step {report['step']}  {direction}  ({report['n']} {'pairs' if report.get('paired', True) else 'inputs'}, {report['data']})")
        for column, justify in (("metric", "left"), ("model", "right"), ("baseline", "right"),
                                ("targets", "right"), ("better", "left")):
            table.add_column(column, justify=justify)
        for name, entry in rows.items():
            table.add_row(name, *(format_value(entry[key]) if entry[key] is not None else "-"
                                  for key in ("model", "baseline", "targets")), arrows[entry["better"]])
        console.print(table)
    console.print("baseline: the input scaled to the output's size (bicubic; the identity at equal sizes); targets: "
                  f"the right answers scored alike. Written to {Path(report['run']) / EVAL_FILE}", highlight=False)
