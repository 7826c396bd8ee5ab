"""What metric plugins implement and receive (part of ganzoo's public API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    import torch

BETTER = ("lower", "higher")


@dataclass
class Features:
    """A set of images as a feature extractor sees them (ganzoo's MNIST classifier by default).

    ``features``: (N, D) float32 activations (D = 128 for the MNIST classifier, 2048 for Inception);
    ``probs``: (N, K) float32 class probabilities (K = 10 for the MNIST classifier), or ``None`` from an
    extractor without classes. ``labels``: (N,) long, the class each image should show where that is
    known (the label of the input a translator was given), else ``None``. All on the CPU.
    """

    features: "torch.Tensor"
    probs: Optional["torch.Tensor"] = None
    labels: Optional["torch.Tensor"] = None

    def __len__(self) -> int:
        return self.features.shape[0]


class Metric:
    """Base class for metrics: ``compute`` returns named floats, ``better`` says which way is good.

    Every run is scored through the same metrics: ``compute`` compares two sets of images in a feature
    extractor's space (generated or translated images against the reference set); ``compute_pairs``
    compares images with their right answers, row by row, where a run has them (a paired translation).
    A metric implements one or both; each returns ``{}`` for what it cannot score (no class
    probabilities, no labels, pictures too small), and the report leaves that value out.
    """

    #: name of each value ``compute`` or ``compute_pairs`` returns -> "lower" or "higher"
    better: dict[str, str] = {}

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        """Values of the ``generated`` set against the ``real`` reference set, in the extractor's space."""
        return {}

    def compute_pairs(self, outputs: "torch.Tensor", targets: "torch.Tensor") -> dict[str, float]:
        """Values of ``outputs`` against their right answers ``targets``: float pictures (N, C, H, W) in
        [0, 1], rounded to the 256 levels a saved picture has, row ``i`` of each belonging together."""
        return {}


class FeatureExtractor:
    """Base class of feature extractors (``register_feature_extractors``): the space metrics compare images in.

    An extractor says which data it accepts, loads its weights and embeds uint8 images. ``ganzoo eval``
    picks the first registered one that accepts the run's data, those naming the run's dataset first
    (or the one ``--features NAME`` names).
    """

    #: the (C, H, W) of the images it takes; ``None``: any height and width with one of ``channels``
    image_shape: Optional[tuple] = None
    #: the channel counts it takes when ``image_shape`` is ``None``
    channels: tuple = (1, 3)
    #: the datasets (registered names) whose runs it scores; empty: any dataset with accepted images
    datasets: tuple = ()
    #: metric values renamed in its space (through Inception, ``mnist_score`` is the Inception Score)
    renamed: dict = {}
    #: metric values that mean nothing in its space (its classes are not the data's classes, say)
    dropped: tuple = ()

    def accepts(self, image_shape: tuple, dataset: Optional[str] = None) -> str:
        """Why it cannot score images of ``image_shape`` from ``dataset``; ``""`` when it can."""
        shape = tuple(image_shape)
        if self.datasets and dataset is not None and dataset not in self.datasets:
            return f"it scores only {', '.join(self.datasets)}"
        if self.image_shape is not None:
            if shape != tuple(self.image_shape):
                return f"it takes {'x'.join(map(str, self.image_shape))} images"
        elif len(shape) != 3 or shape[0] not in self.channels:
            return f"it takes images of {' or '.join(map(str, self.channels))} channels"
        return ""

    def missing(self) -> str:
        """What stops :meth:`load` (weights not on disk, a package not installed), cheaply; ``""`` when nothing."""
        return ""

    def fetch(self) -> None:
        """Get what :meth:`load` needs (download weights) when the user names this extractor (``--features``);
        an extractor picked for the data is never fetched for, so nothing large is downloaded unasked."""

    def load(self, device) -> tuple[str, str]:
        """Load the weights onto ``device``; return their name (a file name, say) and their SHA-256."""
        raise NotImplementedError

    def embed(self, images: "torch.Tensor") -> Features:
        """Features (and class probabilities, where it has classes) of uint8 images (N, C, H, W)."""
        raise NotImplementedError
