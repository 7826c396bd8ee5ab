"""What a translation run's metrics see: for each direction the algorithm translates
(``Algorithm.directions``), on the held-out split, three sets of pictures scored alike by the one
scoring path (``ganzoo.eval.evaluation.Evaluator``), through the same metric plugins as a generator:

- ``generated``: the translator's outputs;
- ``baseline``: the input itself scaled to the output's size (bicubic: the usual baseline of
  super-resolution; the identity when the sizes agree);
- ``real_vs_real``: the right answers, what a perfect translator would get: the targets, for the
  metrics that compare pictures with their right answers (``compute_pairs``) or read their classes;
  a training sample of the target domain, for the metrics that compare sets (FID against the held-out
  target domain), as a generator's real-vs-real is a training sample.

With paired targets (or, for unpaired data, the dataset's ``known_transform`` of the inputs) each set
is compared with the targets row by row (L1, PSNR, SSIM); where the data name a ``target_region`` (the
part of each target the input does not show: an inpainted hole), a2b's sets are also compared there
alone (``a2b_psnr_region``...), as the pixels the input shows are copied through and flatter a model. Where a feature extractor accepts the
outputs (the MNIST classifier for data that are MNIST's pictures, ``ImageData.pictures_of``), each
set is embedded, labelled with its inputs' labels (accuracy), and compared with the target domain's
held-out pictures (FID per direction, and every other metric). Outputs are rounded to uint8 first,
as saved pictures are.

The extractor reads each side's pictures through the data's ``classifier_view`` (undoing a hidden
transform), so a domain of inverted digits is scored as digits: the outputs, the baseline, the target
domain and the reference alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F

from ganzoo import translation
from ganzoo.assembly import resolve_device
from ganzoo.data import DataSpec, ImageData
from ganzoo.errors import GanzooError
from ganzoo.metrics import Features
from ganzoo.model_calls import eval_mode
from ganzoo.output.images import to_uint8
from ganzoo.pluginhost.registry import Registry

#: the sets each translation metric is computed on, as the report's columns name them
SETS = ("generated", "baseline", "real_vs_real")


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


def other(direction: str) -> str:
    return "b2a" if direction == "a2b" else "a2b"


@dataclass
class DirectionImages:
    """One direction's pictures in [0, 1]: ``sets`` (generated, baseline, right answers or None), the
    inputs' ``labels``, the target ``domain``'s held-out pictures (the reference set), a ``training``
    sample of that domain of the same size (None without a held-out split), ``side`` (``a``, ``b``),
    the side the outputs are pictures of, and ``region``, the box of the outputs the inputs do not show
    (the data's ``target_region``, for a2b; None where they name none)."""

    sets: Dict[str, Optional[torch.Tensor]]
    labels: Optional[torch.Tensor]
    domain: torch.Tensor
    training: Optional[torch.Tensor]
    side: str
    region: Optional[tuple] = None

    @property
    def targets(self) -> Optional[torch.Tensor]:
        return self.sets["real_vs_real"]


def direction_images(data: ImageData, direction: str, generator: torch.nn.Module, n: int, device) -> DirectionImages:
    """The pictures scored for ``direction`` of ``data`` (its held-out split when it has one), ``n`` of each."""
    held = data.held_out if data.held_out is not None else data
    known_transform = data.two_sided.known_transform or held.two_sided.known_transform
    side = translation.side(held, direction)
    inputs = side.inputs[:n]
    targets = side.targets[:n] if side.targets is not None else None
    if targets is None and known_transform is not None:  # unpaired, but the right answer is known
        targets = known_transform(inputs, direction)
    _, out_shape = translation.shapes(data.spec, direction)
    outputs = pixels(translation.translate(generator, inputs.to(device)).cpu())
    domain = translation.side(held, other(direction)).inputs[:n]
    training = (pixels(translation.side(data, other(direction)).inputs[:len(domain)])
                if data.held_out is not None else None)
    return DirectionImages(
        sets={"generated": outputs, "baseline": pixels(baseline(inputs, out_shape)),
              "real_vs_real": pixels(targets) if targets is not None else None},
        labels=side.labels[:n] if side.labels is not None else None, domain=pixels(domain), training=training,
        side="b" if direction == "a2b" else "a",
        region=(held.two_sided.target_region or data.two_sided.target_region) if direction == "a2b" else None)


def pick_extractor_for(registry: Registry, data: ImageData, directions: dict, dataset: str,
                       features: Optional[str], classifier: Optional[str]) -> tuple[Optional[str], Any]:
    """The extractor that scores a translation run's outputs: the one ``features`` names (refused when it
    cannot), else the first that accepts every direction's output pictures (as ``data.pictures_of`` names
    them) and can load; (None, None) when none does: the run is then scored by its right answers only."""
    from ganzoo.eval.extractors import pick_extractor

    views = data.two_sided.classifier_view or {}
    outputs = {viewed_shape(views.get("b" if direction == "a2b" else "a"), translation.shapes(data.spec, direction)[1])
               for direction in directions}
    dataset = data.pictures_of or dataset
    chosen = None
    for shape in sorted(outputs):
        try:
            name, extractor = pick_extractor(registry, shape, dataset, features or chosen, classifier)
        except GanzooError:
            if features is not None:
                raise
            return None, None
        chosen = name
    problem = extractor.missing()
    if problem and features is not None:
        raise GanzooError(problem)
    return (None, None) if problem else (chosen, extractor)


def viewed_shape(view, shape: tuple) -> tuple:
    """The shape of pictures of ``shape`` as the extractor reads them: through ``view`` (a side's
    ``classifier_view``, which may change their channels) when there is one."""
    return shape if view is None else tuple(view(torch.zeros(1, *shape)).shape[1:])


def score_translators(evaluator, generators: dict, n: int) -> dict[str, dict[str, Any]]:
    """``evaluator``'s metrics (a ``ganzoo.eval.evaluation.Evaluator`` of a run with directions) of each
    direction's translator on the first ``n`` held-out examples, beside the baseline and the right answers:
    {``a2b_psnr``-style key: {value, baseline, real_vs_real, better, metric, direction}} (a column is None
    where that set has no value)."""
    rows: dict[str, dict[str, Any]] = {}
    for direction in evaluator.directions:
        with eval_mode(generators[direction]):
            images = direction_images(evaluator.data, direction, generators[direction], n, evaluator.device)
        real = (embed_side(evaluator, images.domain, images.side, cached=True) if evaluator.extractor is not None
                else None)
        by_set = {name: score_set(evaluator, images, name, real) for name in SETS}
        for key, entry in by_set["generated"].items():
            rows[f"{direction}_{key}"] = {
                "value": entry["value"],
                **{name: by_set[name][key]["value"] if key in by_set[name] else None for name in SETS[1:]},
                "better": entry["better"], "metric": entry["metric"], "direction": direction}
    return rows


def score_set(evaluator, images: DirectionImages, name: str, real: Optional[Features]
              ) -> dict[str, dict[str, Any]]:
    """The metrics of one set (``generated``, ``baseline``, ``real_vs_real``) of a direction's pictures.
    Real-vs-real compares the right answers with themselves row by row and reads their classes, and compares
    a training sample of the target domain with the held-out one as a set (the right answers where the data
    hold nothing out)."""
    from ganzoo.eval.evaluation import run_metrics

    pictures, targets = images.sets[name], images.targets
    pairs = (pictures, targets) if pictures is not None and targets is not None else None
    if evaluator.extractor is None:
        return (run_metrics(evaluator.metrics, None, None, None, pairs, evaluator.skipped, images.region)
                if pairs is not None else {})
    fixed = name != "generated"  # the baseline and the right answers depend on the data alone, not on the run
    if name != "real_vs_real":
        embedded = embed_side(evaluator, pictures, images.side, cached=fixed)
        embedded.labels = images.labels
    else:
        right = embed_side(evaluator, targets, images.side, cached=True) if targets is not None else None
        if images.training is not None:
            sample = embed_side(evaluator, images.training, images.side, cached=True)
        elif right is not None:
            sample = right
        else:
            return {}
        embedded = Features(sample.features, right.probs if right is not None else None,
                            images.labels if right is not None else None)

    def scores():
        return run_metrics(evaluator.metrics, evaluator.extractor, embedded, real, pairs, evaluator.skipped,
                           images.region)

    if not fixed:
        return scores()
    from ganzoo.eval.feature_cache import scores_cached

    skipped = dict(evaluator.skipped)
    found = scores_cached(evaluator.features, evaluator.weights_sha256, real, embedded, evaluator.metrics,
                          lambda: {"scores": scores(), "skipped": {k: v for k, v in evaluator.skipped.items()
                                                                   if k not in skipped}},
                          also=(pictures, targets, embedded.labels, images.region))
    evaluator.skipped.update(found["skipped"])
    return found["scores"]


def embed_side(evaluator, pictures01: torch.Tensor, side: str, cached: bool = False) -> Features:
    """The extractor's features of pictures in [0, 1] of ``side`` (``a``, ``b``), read through the data's
    ``classifier_view`` of that side when it names one (a hidden transform undone); through the feature
    cache when ``cached`` (pictures of the data, which come again)."""
    view = (evaluator.data.two_sided.classifier_view or {}).get(side)
    if view is not None:
        pictures01 = pixels(view(pictures01 * 2 - 1))
    images = (pictures01 * 255).round().to(torch.uint8)
    return evaluator.embed_reference(images) if cached else evaluator.extractor.embed(images)


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
