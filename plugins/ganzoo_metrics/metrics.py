"""The built-in metrics, as ``ganzoo.Metric`` objects over classifier features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ganzoo import Features, Metric

from ganzoo_metrics import maths


@dataclass
class NoParams:
    pass


class FID(Metric):
    better = {"fid": "lower"}

    def __init__(self, params: NoParams):
        pass

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        return {"fid": maths.frechet_distance(generated.features, real.features)}


@dataclass
class KIDParams:
    subsets: int = 100
    subset_size: int = 1000
    degree: int = 3
    gamma: Optional[float] = None  # None: 1 / feature dimension
    coef0: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if self.subsets < 1 or self.subset_size < 2 or self.degree < 1:
            raise ValueError("subsets must be at least 1, subset_size at least 2 and degree at least 1")


class KID(Metric):
    better = {"kid": "lower"}

    def __init__(self, params: KIDParams):
        self.params = params

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        p = self.params
        mean, _ = maths.kernel_inception_distance(generated.features, real.features, p.subsets, p.subset_size,
                                                  p.degree, p.gamma, p.coef0, p.seed)
        return {"kid": mean}


@dataclass
class ScoreParams:
    splits: int = 10

    def __post_init__(self):
        if self.splits < 1:
            raise ValueError(f"splits must be at least 1, got {self.splits}")


class MNISTScore(Metric):
    better = {"mnist_score": "higher"}

    def __init__(self, params: ScoreParams):
        self.splits = params.splits

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        if generated.probs is None:  # an extractor without classes
            return {}
        return {"mnist_score": maths.inception_score(generated.probs, self.splits)[0]}


@dataclass
class ModeParams:
    threshold: float = 0.02  # a class counts as produced when it holds this share of the samples

    def __post_init__(self):
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")


class Modes(Metric):
    better = {"modes": "higher", "mode_kl": "lower"}

    def __init__(self, params: ModeParams):
        self.threshold = params.threshold

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        if generated.probs is None:  # an extractor without classes
            return {}
        modes, kl = maths.mode_coverage(generated.probs, self.threshold)
        return {"modes": modes, "mode_kl": kl}


@dataclass
class PRParams:
    k: int = 3

    def __post_init__(self):
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")


class PrecisionRecall(Metric):
    better = {"precision": "higher", "recall": "higher"}

    def __init__(self, params: PRParams):
        self.k = params.k

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        precision, recall = maths.precision_recall(real.features, generated.features, self.k)
        return {"precision": precision, "recall": recall}


@dataclass
class DCParams:
    k: int = 5  # Naeem et al.'s choice

    def __post_init__(self):
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")


class DensityCoverage(Metric):
    better = {"density": "higher", "coverage": "higher"}

    def __init__(self, params: DCParams):
        self.k = params.k

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        density, coverage = maths.density_coverage(real.features, generated.features, self.k)
        return {"density": density, "coverage": coverage}
