"""The one scoring path: every run scored with the registered metrics, beside real-vs-real references.

Every metric sees the images a run makes and the dataset's held-out reference set
(``ImageData.held_out``: MNIST's and Fashion-MNIST's test sets, an image folder's seeded split, fresh
points of a 2-D mixture) through a feature extractor (``register_feature_extractors``: the one that
accepts the run's data, ganzoo's own MNIST classifier for MNIST, unless ``--features`` names another).
The same metrics computed on a sample of the training images of the same size show what a perfect
generator would score. A translation run goes through the same metrics and records, by direction
(``ganzoo.eval.translation_eval`` says which pictures each direction scores), with its right answers
as real-vs-real and the input itself as a baseline.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Optional

import torch
from omegaconf import OmegaConf

from ganzoo.training import checkpoint
from ganzoo.eval.extractors import INCEPTION, MNIST_CLASSIFIER, pick_extractor
from ganzoo.assembly import resolve_device
from ganzoo.data import DataSpec, ImageData, unit_range
from ganzoo.errors import GanzooError
from ganzoo.output.files import write_text_atomic
from ganzoo.metrics import BETTER, Features
from ganzoo.model_calls import eval_mode
from ganzoo.recipe import MIN_EVAL_IMAGES, Recipe, type_params
from ganzoo.rows import take, whole
from ganzoo.pluginhost.registry import Registry, load_registry
from ganzoo.training.run_folder import EVAL_FILE, INCEPTION_EVAL_FILE
from ganzoo.output.sampling import load_generator, sample_images, sample_labelled, sample_raw

def eval_file(features: Optional[str]) -> str:
    """The report's file: eval.json for the extractor picked for the data, eval-NAME.json for one --features names."""
    if features is None:
        return EVAL_FILE
    return INCEPTION_EVAL_FILE if features == INCEPTION else f"eval-{features}.json"


def build_metrics(registry: Registry, recipe: Recipe) -> list[tuple[str, Any]]:
    """The metrics the recipe's ``eval.metrics`` names (every registered one when empty), built with typed params."""
    chosen = OmegaConf.to_container(recipe.config.eval.metrics, resolve=True) or {
        c.name: {} for c in registry.of_kind("metric")}
    if not chosen:
        raise GanzooError("no metric is registered; reinstall ganzoo (its built-in metrics come from the "
                          "'metrics' plugin) or install a metrics plugin")
    metrics = []
    for name, overrides in chosen.items():
        component = registry.get("metric", name)
        key = f"eval.metrics.{name}"
        if overrides is not None and not isinstance(overrides, dict):
            raise GanzooError(f"{key} must be a mapping of params (or {{}}), got {overrides!r}")
        params = type_params(component, overrides or {}, key, registry=registry)
        try:
            metric = component.factory(params)
        except (TypeError, ValueError) as error:
            raise GanzooError(f"metric '{name}' ({component.plugin}) cannot be built: {error}") from error
        if not any(callable(getattr(metric, method, None)) for method in ("compute", "compute_pairs")):
            raise GanzooError(f"metric '{name}' ({component.plugin}) has no compute method; fix the plugin")
        metrics.append((name, metric))
    return metrics


#: what to do about a run that cannot be scored, said by each place that scores one
TRAINING_FIX = "set eval.every=0 to train without evaluation"
EVAL_FIX = "`ganzoo sample` still draws images from its generator"


def check_scorable(registry: Registry, recipe: Recipe, fix: str, image_shape: Optional[tuple] = None,
                   features: Optional[str] = None, classifier: Optional[str] = None) -> tuple[str, Any]:
    """The feature extractor (name, extractor) that scores the run's data, or a one-line refusal when none
    accepts them or the one that does cannot load (weights not on disk). ``image_shape`` None: before the data
    is loaded, only the dataset is known, so this refuses only when no extractor could score it."""
    name = recipe.config.dataset.name
    try:
        chosen, extractor = pick_extractor(registry, image_shape, name, features, classifier)
    except GanzooError as error:
        raise GanzooError(f"{error}; {fix}") from error
    problem = extractor.missing()
    if problem:
        raise GanzooError(f"scoring this run's '{name}' data goes through the feature extractor '{chosen}': "
                          f"{problem}; {fix}")
    return chosen, extractor


def with_reference(data: ImageData, folder: str) -> ImageData:
    """``data`` with the images of ``folder`` (read as the run's images are shaped) as its reference set."""
    import dataclasses

    from ganzoo.storage.folders import read_image_folder

    shape = tuple(data.images.shape[1:])
    if len(shape) != 3 or shape[0] not in (1, 3) or shape[1] != shape[2]:
        raise GanzooError(f"--reference FOLDER needs a run on square 1- or 3-channel pictures; this run's data are "
                          f"{'x'.join(map(str, shape))}")
    reference = read_image_folder(folder, size=shape[1], channels=shape[0])
    return dataclasses.replace(data, held_out=reference)


def load_run_data(registry: Registry, recipe: Recipe, data_root: Optional[str] = None) -> ImageData:
    """The run's dataset as its recipe loads it (``data_root``, given, replaces ``dataset.params.root``)."""
    from ganzoo.assembly import load_data

    if data_root is not None:
        import dataclasses

        params = recipe.params["dataset"]
        if not any(f.name == "root" for f in dataclasses.fields(params)):
            raise GanzooError(f"--data gives a dataset root, and dataset '{recipe.config.dataset.name}' takes none "
                              "(its params have no root)")
        recipe.params["dataset"] = dataclasses.replace(params, root=str(data_root))
    recorded = OmegaConf.select(recipe.config, "dataset.params.root", default=None)
    try:
        return load_data(recipe)
    except GanzooError as error:
        where = (f"the run read its data from {recorded} (dataset.params.root in its recipe.yaml); if they moved, "
                 "give --data NEW_FOLDER" if recorded and data_root is None else
                 f"ganzoo eval reads the run's dataset ({recipe.config.dataset.name}) to score against; "
                 "give --data ROOT, the folder that holds it")
        raise GanzooError(f"{error} ({where})") from error


def run_metrics(metrics: list[tuple[str, Any]], extractor: Optional[Any], generated: Optional[Features],
                real: Optional[Features], pairs: Optional[tuple[torch.Tensor, torch.Tensor]] = None,
                skipped: Optional[dict[str, str]] = None, region: Optional[tuple[int, int, int, int]] = None
                ) -> dict[str, dict[str, Any]]:
    """Each metric's values of one set of images: ``generated`` against ``real`` in ``extractor``'s space
    (``compute``; skipped when either is None) and, given, ``pairs`` (outputs, their right answers: pictures in
    [0, 1]) row by row (``compute_pairs``): {key: {value, better, metric}}, keys renamed or dropped as the
    extractor says. The one place every run's metrics are computed. A metric that refuses the images
    (``ValueError``: too few for it, say) is a one-line error, or, given ``skipped``, recorded there by name
    with its reason and left out (a translation run's held-out split may be smaller than a metric needs).
    ``region``, given with ``pairs``, is a box (top, left, height, width) of their pictures (the part the
    inputs did not show, ``TwoSided.target_region``): each ``compute_pairs`` value is also computed on that
    crop of both, and reported as ``<key>_region``."""
    values: dict[str, dict[str, Any]] = {}
    cropped = None if pairs is None or region is None else tuple(crop(pictures, region) for pictures in pairs)
    for name, metric in metrics:
        result: dict[str, Any] = {}
        try:
            if generated is not None and real is not None and callable(getattr(metric, "compute", None)):
                result.update(metric.compute(generated, real) or {})
            if pairs is not None and callable(getattr(metric, "compute_pairs", None)):
                result.update(metric.compute_pairs(*pairs) or {})
                if cropped is not None:
                    result.update({(reported, REGION): value
                                   for reported, value in (metric.compute_pairs(*cropped) or {}).items()})
        except ValueError as error:  # e.g. too few images for the metric
            if skipped is None:
                raise GanzooError(f"metric '{name}': {error}") from error
            skipped[name] = str(error)
            continue
        better = getattr(metric, "better", {}) or {}
        for reported, value in dict(result).items():
            reported, suffix = reported if isinstance(reported, tuple) else (reported, "")
            if extractor is not None and reported in extractor.dropped:  # meaningless in its space
                continue
            key = (extractor.renamed.get(reported, reported) if extractor is not None else reported) + suffix
            if key in values:
                raise GanzooError(f"metrics '{values[key]['metric']}' and '{name}' both report '{key}'; "
                                  "choose one in eval.metrics")
            direction = better.get(reported)
            values[key] = {"value": float(value), "better": direction if direction in BETTER else None,
                           "metric": name}
    return values


#: what ``run_metrics`` appends to the name of a value computed on the data's ``target_region`` alone
REGION = "_region"


def crop(pictures: torch.Tensor, box: tuple[int, int, int, int]) -> torch.Tensor:
    """The box (top, left, height, width) of every picture of ``pictures`` (N, C, H, W)."""
    top, left, height, width = box
    return pictures[..., top:top + height, left:left + width].contiguous()


class Evaluator:
    """Holds the feature extractor, the reference features and the metrics; scores generators (uint8 images
    against the reference set) or, for a run with ``directions``, translators (by direction).

    ``features`` names the extractor; ``None`` picks the one that accepts the run's data."""

    def __init__(self, registry: Registry, recipe: Recipe, data: ImageData, classifier: Optional[str] = None,
                 device: str | torch.device = "cpu", features: Optional[str] = None, fix: str = TRAINING_FIX,
                 directions: Optional[dict] = None):
        self.metrics = build_metrics(registry, recipe)
        self.dataset = recipe.config.dataset.name
        self.data = data
        self.directions = dict(directions or {})
        self.device = resolve_device(device)
        if self.directions:  # translation: the reference sets are each direction's target domain
            from ganzoo.eval.translation_eval import pick_extractor_for

            self.features, self.extractor = pick_extractor_for(registry, data, self.directions, self.dataset,
                                                               features, classifier)
            self.weights, self.weights_sha256 = (self.extractor.load(self.device) if self.extractor is not None
                                                 else (None, None))
            self.pictures, self.real = True, None
            self.skipped: dict[str, str] = {}  # metric -> why the held-out split could not give it
            return
        if data.held_out is None:
            raise GanzooError(f"dataset '{self.dataset}' holds no reference set out (its ImageData.held_out) to "
                              "score generated images against; give `ganzoo eval --reference FOLDER` (images "
                              "the run never trained on), or train with a dataset that holds some out "
                              "(image-folder: dataset.params.held_out=N)")
        self.image_shape = tuple(data.held_out.images.shape[1:])
        self.pictures = len(self.image_shape) == 3  # else points, say: scored as they are
        self.reference_images = self.as_input(whole(data.held_out.images))
        self.features, self.extractor = check_scorable(registry, recipe, fix, self.image_shape, features, classifier)
        self.weights, self.weights_sha256 = self.extractor.load(self.device)
        self.real = self.embed_reference(self.reference_images)

    def score(self, images: torch.Tensor) -> dict[str, dict[str, Any]]:
        """Each metric value of uint8 images (N, C, H, W) against the reference set: {name: {value, better, metric}},
        and the data's own ``figures`` of them (a 2-D mixture's modes covered, say) under the name ``figures``."""
        return self.with_figures(self.score_features(self.extractor.embed(images)), images)

    def with_figures(self, values: dict[str, dict[str, Any]], images: torch.Tensor) -> dict[str, dict[str, Any]]:
        """``values`` and the data's own ``figures`` of ``images`` (a 2-D mixture's modes covered, say)."""
        figures = self.data.presentation.figures if self.data.presentation is not None else None
        if figures is not None:
            samples = unit_range(images) if images.dtype == torch.uint8 else images
            for key, value in figures(samples).items():
                values.setdefault(key, {"value": float(value), "better": None, "metric": "figures"})
        return values

    def score_features(self, generated: Features) -> dict[str, dict[str, Any]]:
        return run_metrics(self.metrics, self.extractor, generated, self.real)

    def score_translators(self, generators: dict, n: int) -> dict[str, dict[str, Any]]:
        """Each metric of each direction's translator on the first ``n`` held-out examples, beside the baseline
        and the right answers (``ganzoo.eval.translation_eval.score_translators``)."""
        from ganzoo.eval.translation_eval import score_translators

        return score_translators(self, generators, n)

    def score_generator(self, generator, spec: DataSpec, n: int, seed: int = 0) -> dict[str, dict[str, Any]]:
        """Score ``n`` images of ``generator`` (put in eval mode for the draw, then restored)."""
        return self.score_generator_and_classes(generator, spec, n, seed, by_class=False)[0]

    def score_generator_and_classes(self, generator, spec: DataSpec, n: int, seed: int = 0, by_class: bool = True
                                    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """``score_generator``'s values and, of the same ``n`` images (embedded once), ``class_scores``."""
        conditional = by_class and bool(spec.num_classes) and getattr(generator, "conditional", False)
        with eval_mode(generator):
            if conditional:
                images, labels = sample_labelled(generator, spec, n, seed, raw=not self.pictures)
            else:
                images, labels = self.draw(generator, spec, n, seed), None
        features = self.extractor.embed(images)
        values = self.with_figures(self.score_features(features), images)
        return values, ({} if labels is None else self.class_scores(features, labels, spec.num_classes, n, seed))

    def draw(self, generator, spec: DataSpec, n: int, seed: int, label: Optional[int] = None) -> torch.Tensor:
        """``n`` samples of ``generator`` as the extractor takes them: uint8 pictures, or points as they are."""
        if self.pictures:
            return sample_images(generator, spec, n, seed=seed, label=label)
        return sample_raw(generator, spec, n, seed=seed, label=label)

    def as_input(self, images: torch.Tensor) -> torch.Tensor:
        return as_uint8(images) if self.pictures else images

    def class_scores(self, generated: Features, labels: torch.Tensor, num_classes: int, n: int, seed: int = 0
                     ) -> dict[str, dict[str, Any]]:
        """Per-class FID of a conditional generator (StudioGAN's intra-FID), beside real vs real:
        ``{"class_fid": {value, real_vs_real, better, metric}}``, the mean over classes of the FID between the
        generated images drawn with one class label (``generated``'s rows whose ``labels`` is that class: the
        scored sample itself, grouped) and the reference images of that class; real vs real, ``n / classes``
        training images of each class (seeded; embedded once, through the feature cache). Empty when the data
        have no labels on both sides, or the recipe's metrics leave FID out."""
        fid = dict(self.metrics).get("fid")
        reference_labels = self.data.held_out.labels
        if fid is None or reference_labels is None or self.data.labels is None:
            return {}
        per_class = max(2, n // num_classes)
        rng = torch.Generator().manual_seed(seed)
        classes, drawn = [], []
        for label in range(num_classes):
            training = (self.data.labels == label).nonzero()[:, 0]
            if (labels == label).sum() < 2 or len(training) < 2 or self.real_of_class(reference_labels, label) is None:
                continue  # a class too small to fit a Gaussian to
            classes.append(label)
            drawn.append(training[torch.randperm(len(training), generator=rng)[:per_class]])
        if not classes:
            return {}
        training_features = self.embed_reference(self.as_input(take(self.data.images, torch.cat(drawn))))
        ends = torch.tensor([len(index) for index in drawn]).cumsum(0).tolist()
        generated_fid, real_fid = [], []
        for label, end, index in zip(classes, ends, drawn):
            reference = self.real_of_class(reference_labels, label)
            try:
                generated_fid.append(fid.compute(rows_of(generated, (labels == label).nonzero()[:, 0]), reference)["fid"])
                real_fid.append(fid.compute(rows_of(training_features, torch.arange(end - len(index), end)),
                                            reference)["fid"])
            except (ValueError, RuntimeError) as error:  # too few images per class for the covariances
                raise GanzooError(f"per-class FID of class {label}: {error}; use a larger -n") from error
        return {"class_fid": {"value": sum(generated_fid) / len(generated_fid),
                              "real_vs_real": sum(real_fid) / len(real_fid), "better": "lower", "metric": "fid"}}

    def real_of_class(self, labels: torch.Tensor, label: int) -> Optional[Features]:
        """The reference features of one class (None when it holds fewer than 2 images)."""
        index = (labels == label).nonzero()[:, 0]
        if len(index) < 2:
            return None
        return rows_of(self.real, index)

    def reference(self, n: int, seed: int = 0) -> dict[str, dict[str, Any]]:
        """The metrics of ``n`` real training images against the reference set: what "good" looks like."""
        train_images = self.data.images
        if n > len(train_images):
            raise GanzooError(f"-n {n} is more than the {len(train_images)} training images of '{self.dataset}' that "
                              f"the real-vs-real reference draws from; use -n {len(train_images)} or fewer")
        rng = torch.Generator().manual_seed(seed)
        index = torch.randperm(len(train_images), generator=rng)[:n]
        images = self.as_input(take(train_images, index))
        sample = self.embed_reference(images)
        from ganzoo.eval.feature_cache import scores_cached

        scores = scores_cached(self.features, self.weights_sha256, self.real, sample, self.metrics,
                               lambda: self.score_features(sample))
        return self.with_figures(dict(scores), images)

    def embed_reference(self, images: torch.Tensor) -> Features:
        """Features of real images, read from the feature cache when these weights embedded them before."""
        from ganzoo.eval.feature_cache import embed_cached

        return embed_cached(self.extractor, self.features, self.weights_sha256, images)


def rows_of(features: Features, index: torch.Tensor) -> Features:
    """The rows ``index`` of ``features`` (and of its probabilities, when kept)."""
    return Features(features.features[index], None if features.probs is None else features.probs[index])


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    """Pictures as feature extractors take them: uint8 as they are, floats in [-1, 1] scaled (``to_uint8``)."""
    if images.dtype == torch.uint8:
        return images
    from ganzoo.output.images import to_uint8

    return to_uint8(images)


def evaluate_run(run_dir: str | Path, n: Optional[int] = None, seed: int = 0, data_root: Optional[str] = None,
                 classifier: Optional[str] = None, device: str = "auto",
                 registry: Optional[Registry] = None, features: Optional[str] = None,
                 reference: Optional[str] = None) -> dict[str, Any]:
    """``ganzoo eval``: score a run's newest checkpoint, beside real-vs-real, through the feature extractor
    ``features`` names (None: the one that accepts the run's data); write RUN_DIR/eval.json
    (eval-NAME.json for an extractor ``features`` names, eval-inception.json for Inception). ``reference``:
    a folder of images that replaces the dataset's held-out reference set. A translation run is scored by
    direction on its held-out split, through the same metrics, into the same record."""
    from ganzoo.eval.translation_eval import run_directions

    started = time.perf_counter()
    run_dir = Path(run_dir)
    registry = registry or load_registry()
    if features is not None:  # a misnamed or unusable extractor fails before anything slow
        from ganzoo.eval.extractors import ALIASES, build_extractor

        features = ALIASES.get(features, features)
        named = build_extractor(registry, features, classifier)
        if callable(getattr(named, "fetch", None)):
            named.fetch()  # e.g. Inception's weights, downloaded when not on disk
        problem = named.missing()
        if problem:
            raise GanzooError(problem)
    if not run_dir.is_dir():
        raise GanzooError(f"run directory '{run_dir}' not found; give the folder `ganzoo run` printed")
    state = checkpoint.load_checkpoint(run_dir)
    directions = run_directions(state)
    recipe = checkpoint.recipe_of(state, registry)
    n = recipe.config.eval.n if n is None else n
    least = 1 if directions else MIN_EVAL_IMAGES
    if n < least:
        raise GanzooError(f"-n must be at least {least}, got {n}")
    if reference is not None and directions:
        raise GanzooError("--reference FOLDER replaces a generator's reference set; a translation run is scored "
                          "on its own held-out split")
    if not directions:
        check_scorable(registry, recipe, EVAL_FIX, tuple(DataSpec.from_dict(state["data_spec"]).image_shape),
                       features, classifier)
    target = resolve_device(device)
    data = load_run_data(registry, recipe, data_root)
    if reference is not None:
        data = with_reference(data, reference)
    evaluator = Evaluator(registry, recipe, data, classifier, target, features, EVAL_FIX, directions)
    report = {
        "run": str(run_dir),
        "checkpoint": state["path"],
        "step": int(state["step"]),
        "kind": "translation" if directions else "generation",
        "n": n,
        "seed": seed,
        "dataset": evaluator.dataset,
        "data_root": str(data.source.root) if data.source else None,
        "features": evaluator.features,
        "weights": evaluator.weights,
        "weights_sha256": evaluator.weights_sha256,
    }
    if directions:
        report.update(translation_report(evaluator, state, registry, n, target, run_dir))
    else:
        real = evaluator.reference(n, seed)  # first: it checks that n fits the train set
        generator, spec = load_generator(run_dir, registry, str(target), state=state)
        generated, by_class = evaluator.score_generator_and_classes(generator, spec, n, seed)
        report.update({
            "reference": str(reference) if reference is not None else "held out by the dataset",
            "test_images": len(evaluator.real),
            "metrics": {**{key: {"metric": entry["metric"], "generated": entry["value"],
                                 "real_vs_real": real[key]["value"], "better": entry["better"]}
                           for key, entry in generated.items()},
                        **{key: {"metric": entry["metric"], "generated": entry["value"],
                                 "real_vs_real": entry["real_vs_real"], "better": entry["better"]}
                           for key, entry in by_class.items()}},
        })
    report["seconds"] = round(time.perf_counter() - started, 2)
    report["file"] = eval_file(features if features != MNIST_CLASSIFIER else None)
    write_text_atomic(run_dir / report["file"], json.dumps(report, indent=2) + "\n")
    return report


def translation_report(evaluator: Evaluator, state: dict, registry: Registry, n: int, device, run_dir: Path
                       ) -> dict[str, Any]:
    """A translation run's part of eval.json: its metrics by direction (``a2b_fid``...), each with the baseline."""
    from ganzoo.eval.translation_eval import load_translators

    data = evaluator.data
    held = data.held_out if data.held_out is not None else data
    two_sided, held_two_sided = data.two_sided, held.two_sided
    if (evaluator.extractor is None and not two_sided.paired
            and (two_sided.known_transform or held_two_sided.known_transform) is None):
        raise GanzooError(f"ganzoo eval has nothing to score in '{run_dir}': its two domains are unpaired, have no "
                          "known right answer, and no feature extractor accepts its pictures; look at its grids in "
                          "samples/, or translate held-out pictures with `ganzoo translate`")
    generators, _ = load_translators(state, registry, device)
    rows = evaluator.score_translators(generators, n)
    return {
        "n": min(n, len(held)),
        "directions": evaluator.directions,
        "paired": bool(two_sided.paired),
        "reference": ("held-out split" if data.held_out is not None
                      else "training data (the dataset holds none out)"),
        "metrics": {key: {"metric": entry["metric"], "direction": entry["direction"], "generated": entry["value"],
                          "real_vs_real": entry["real_vs_real"], "baseline": entry["baseline"],
                          "better": entry["better"]} for key, entry in rows.items()},
        "skipped": dict(evaluator.skipped),  # metric -> why the held-out split could not give it
    }


def format_value(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}" if abs(value) >= 1e-3 else f"{value:.2e}"


def print_report(report: dict[str, Any], as_json: bool = False) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    dataset = report.get("dataset", "MNIST")
    translation = report.get("kind") == "translation"
    space = f", {report['features']}'s features" if report.get("features") not in (MNIST_CLASSIFIER, None) else ""
    if translation:
        title = (f"{report['run']}  step {report['step']}  ({report['n']} {'pairs' if report['paired'] else 'inputs'}"
                 f" a direction, {report['reference']}{space})")
    else:
        title = (f"{report['run']}  step {report['step']}  ({report['n']} images vs {report['test_images']} "
                 f"held-out {dataset} images{space})")
    table = Table(title=title)
    columns = [("metric", "left"), ("generated", "right"), ("real vs real", "right")]
    if translation:
        columns.append(("baseline", "right"))
    for column, justify in [*columns, ("better", "left")]:
        table.add_column(column, justify=justify)
    arrows = {"lower": "lower ↓", "higher": "higher ↑", None: ""}

    def shown(value):
        return "-" if value is None else format_value(value)

    for key, entry in report["metrics"].items():
        cells = [shown(entry["generated"]), shown(entry["real_vs_real"])]
        if translation:
            cells.append(shown(entry["baseline"]))
        table.add_row(key, *cells, arrows[entry["better"]])
    console = Console()
    console.print(table)
    for name, why in (report.get("skipped") or {}).items():
        console.print(f"not computed: {name} ({why})", highlight=False)
    if translation:
        console.print("generated: the translator's outputs; real vs real: the right answers scored alike (FID: a "
                      "training sample of the target domain); baseline: the input scaled to the output's size "
                      f"(bicubic; the identity at equal sizes). Written to {Path(report['run']) / report['file']}",
                      highlight=False)
        return
    console.print(f"real vs real: {report['n']} {dataset} training images against the held-out set. "
                  f"Written to {Path(report['run']) / report['file']}", highlight=False)
