"""The built-in feature extractors: ganzoo's MNIST classifier and torch-fidelity's Inception-v3.

Registered through the ``register_feature_extractors`` hook by the built-in plugin ``features``,
like a third party's; ``ganzoo eval`` picks among them with ``pick_extractor``.
"""

from __future__ import annotations

from typing import Optional

import torch

from ganzoo.errors import GanzooError
from ganzoo.hookspecs import hookimpl
from ganzoo.metrics import FeatureExtractor, Features
from ganzoo.plugins.registry import NoParams, Registry

KIND = "feature_extractor"
MNIST_CLASSIFIER, FASHION_CLASSIFIER = "mnist-classifier", "fashion-classifier"
INCEPTION, POINTS = "inception", "points"
#: the extractors that are ganzoo's classifier (``--classifier FILE`` gives them other weights of it)
CLASSIFIERS = (MNIST_CLASSIFIER, FASHION_CLASSIFIER)
#: names ``--features`` took before extractors were a kind
ALIASES = {"classifier": MNIST_CLASSIFIER}


class MNISTClassifierFeatures(FeatureExtractor):
    """ganzoo's shipped MNIST classifier (or weights of ``ganzoo train-classifier`` given as ``weights``)."""

    image_shape = (1, 28, 28)
    datasets = ("mnist",)

    def __init__(self, params=None, weights: Optional[str] = None):
        self.weights = weights
        self.model = None

    def load(self, device) -> tuple[str, str]:
        from ganzoo.eval.classifier import SHIPPED, load_classifier

        dataset = self.datasets[0]
        self.model, digest = load_classifier(self.weights, device, dataset)
        return str(self.weights or SHIPPED[dataset][0].name), digest

    def embed(self, images: torch.Tensor) -> Features:
        from ganzoo.eval.classifier import embed_images

        return embed_images(self.model, images)


class FashionClassifierFeatures(MNISTClassifierFeatures):
    """The same classifier trained on Fashion-MNIST (`ganzoo train-classifier --dataset fashion-mnist`)."""

    datasets = ("fashion-mnist",)
    renamed = {"mnist_score": "fashion_score"}  # the Inception-style score, in this classifier's classes


class InceptionFeatures(FeatureExtractor):
    """torch-fidelity's Inception-v3: FID, KID and the Inception Score comparable with papers."""

    channels = (1, 3)
    # Through Inception, the classifier's score is the Inception Score, and ImageNet's 1,008 classes are not digits.
    renamed = {"mnist_score": "inception_score"}
    dropped = ("modes", "mode_kl", "accuracy")

    def __init__(self, params=None):
        self.model = None

    def fetch(self) -> None:
        """Named by --features: download the weights when they are not on disk."""
        from ganzoo.eval.inception import download_weights, weights_path

        if not weights_path().is_file():
            download_weights()

    def missing(self) -> str:
        try:
            from ganzoo.eval.inception import check_available

            check_available()
        except GanzooError as error:
            return str(error)
        return ""

    def load(self, device) -> tuple[str, str]:
        from ganzoo.eval.inception import WEIGHTS_FILE, load_inception

        self.model, digest = load_inception(device)
        return WEIGHTS_FILE, digest

    def embed(self, images: torch.Tensor) -> Features:
        from ganzoo.eval.inception import embed_inception

        return embed_inception(self.model, images)


class PointFeatures(FeatureExtractor):
    """Data that are not pictures (2-D points, say) are their own features: no weights, no classes."""

    def __init__(self, params=None):
        pass

    def accepts(self, image_shape: tuple, dataset: Optional[str] = None) -> str:
        return "" if len(tuple(image_shape)) == 1 else "it takes points (N, D), not pictures"

    def load(self, device) -> tuple[str, str]:
        return "none (the coordinates)", ""

    def embed(self, images: torch.Tensor) -> Features:
        return Features(images.detach().float().cpu().reshape(images.shape[0], -1), None)


@hookimpl
def register_feature_extractors(register):
    register(MNIST_CLASSIFIER, MNISTClassifierFeatures, NoParams,
             "ganzoo's MNIST classifier (128-d features, 10 digit classes), shipped with ganzoo; scores mnist runs.")
    register(FASHION_CLASSIFIER, FashionClassifierFeatures, NoParams,
             "The same classifier trained on Fashion-MNIST (10 clothing classes), shipped; scores fashion-mnist runs.")
    register(INCEPTION, InceptionFeatures, NoParams,
             "torch-fidelity's Inception-v3 (2048-d features, the FID papers'); --features inception downloads "
             "its weights.")
    register(POINTS, PointFeatures, NoParams,
             "Points (2-D mixtures) as their own features: the metrics compare the coordinates; no weights.")


def describe(extractor: FeatureExtractor) -> str:
    """What an extractor takes, in words (for the refusal that lists them)."""
    if isinstance(extractor, PointFeatures):
        return "points"
    shape = ("x".join(map(str, extractor.image_shape)) if extractor.image_shape is not None
             else f"{' or '.join(map(str, extractor.channels))}-channel")
    return f"{shape} images" + (f" of {', '.join(extractor.datasets)}" if extractor.datasets else "")


def build_extractor(registry: Registry, name: str, classifier: Optional[str] = None) -> FeatureExtractor:
    """The extractor registered as ``name`` (``classifier``: weights of `ganzoo train-classifier` for the MNIST one)."""
    component = registry.get(KIND, name)
    if classifier and not (isinstance(component.factory, type)
                           and issubclass(component.factory, MNISTClassifierFeatures)):
        raise GanzooError(f"--classifier does not go with --features {name} ({name} replaces the classifier)")
    try:
        extractor = (component.factory(None, classifier) if classifier
                     else component.factory(component.params()))
    except (TypeError, ValueError) as error:
        raise GanzooError(f"feature extractor '{name}' ({component.plugin}) cannot be built: {error}") from error
    if not isinstance(extractor, FeatureExtractor):
        raise GanzooError(f"feature extractor '{name}' ({component.plugin}) gave a {type(extractor).__name__}, not a "
                          "ganzoo.FeatureExtractor (subclass it: accepts, load, embed); fix the plugin")
    return extractor


def pick_extractor(registry: Registry, image_shape: Optional[tuple], dataset: str, name: Optional[str] = None,
                   classifier: Optional[str] = None) -> tuple[str, FeatureExtractor]:
    """The extractor ``name`` names (refused when it cannot score this data), else the first registered one
    that accepts it and can load, those naming ``dataset`` first. ``image_shape`` None: the shape is not known
    yet (before the data is loaded), so only the dataset is checked. A one-line error when none accepts it."""
    shape_text = "x".join(map(str, image_shape)) + " " if image_shape is not None else ""
    if name is not None:
        name = ALIASES.get(name, name)
        extractor = build_extractor(registry, name, classifier)
        only = extractor.datasets
        why = extractor.accepts(image_shape, dataset) if image_shape is not None else (
            only and dataset not in only and f"it scores only {', '.join(only)}")
        if why:
            raise GanzooError(f"--features {name} cannot score this run's {shape_text}images of '{dataset}': {why}")
        return name, extractor
    components = registry.of_kind(KIND)
    built = [(c.name, build_extractor(registry, c.name, classifier if c.name in CLASSIFIERS else None))
             for c in components]
    built.sort(key=lambda pair: dataset not in pair[1].datasets)  # stable: registry order within each group
    fitting = [(extractor_name, extractor) for extractor_name, extractor in built
               if ((not extractor.datasets or dataset in extractor.datasets) if image_shape is None
                   else not extractor.accepts(image_shape, dataset))]
    if fitting:  # the first that can load (Inception's weights may be absent), else the first, to say why not
        return next((pair for pair in fitting if not pair[1].missing()), fitting[0])
    known = "; ".join(f"{n} takes {describe(e)}" for n, e in built) or "none is registered"
    raise GanzooError(f"no feature extractor accepts this run's {shape_text}images of '{dataset}' ({known}); "
                      "install a plugin that registers one (register_feature_extractors)")
