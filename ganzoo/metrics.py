"""What metric plugins implement and receive (part of ganzoo's public API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

BETTER = ("lower", "higher")


@dataclass
class Features:
    """A set of images as ganzoo's MNIST classifier sees them.

    ``features``: (N, 128) float32 activations of the classifier's last hidden layer;
    ``probs``: (N, 10) float32 class probabilities. Both on the CPU.
    """

    features: "torch.Tensor"
    probs: "torch.Tensor"

    def __len__(self) -> int:
        return self.features.shape[0]


class Metric:
    """Base class for metrics: ``compute`` returns named floats, ``better`` says which way is good."""

    #: name of each value ``compute`` returns -> "lower" or "higher"
    better: dict[str, str] = {}

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        raise NotImplementedError
