"""The metric maths, on feature and probability tensors; float64 where precision matters.

FID and KID are torchmetrics' (its FrechetInceptionDistance and KernelInceptionDistance, fed the
features ganzoo has already computed); the Inception-style score, mode coverage, precision/recall
and density/coverage are ganzoo's own (torchmetrics' InceptionScore shuffles its splits unseeded and takes logits).
"""

from __future__ import annotations

import math
import warnings

import torch


class GivenFeatures(torch.nn.Module):
    """torchmetrics' feature-extractor slot, for features computed already (by ganzoo's classifier or Inception)."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def frechet_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    """The Fréchet distance between Gaussians fitted to the rows of ``x`` and ``y`` (torchmetrics' FID, float64)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    if min(x.shape[0], y.shape[0]) < 2:
        raise ValueError("the Fréchet distance needs at least 2 images per set")
    fid = FrechetInceptionDistance(feature=GivenFeatures(x.shape[1]))
    fid.update(y.double(), real=True)
    fid.update(x.double(), real=False)
    return max(float(fid.compute()), 0.0)


def kernel_inception_distance(x, y, subsets: int = 100, subset_size: int = 1000, degree: int = 3,
                              gamma: float | None = None, coef0: float = 1.0, seed: int = 0) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018), torchmetrics': mean and std of the unbiased MMD² over random subsets of
    ``min(subset_size, len(x), len(y))`` rows, drawn from torch's generator seeded with ``seed`` (and restored)."""
    from torchmetrics.image.kid import KernelInceptionDistance

    size = min(subset_size, x.shape[0], y.shape[0])
    if size < 2:
        raise ValueError("KID needs at least 2 images per set")
    with warnings.catch_warnings():  # that it keeps the features in memory: so did ganzoo's own
        warnings.filterwarnings("ignore", message=".*will save all extracted features")
        kid = KernelInceptionDistance(feature=GivenFeatures(x.shape[1]), subsets=subsets, subset_size=size,
                                      degree=degree, gamma=gamma, coef=coef0)
    kid.update(y.double(), real=True)
    kid.update(x.double(), real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = kid.compute()
    return float(mean), float(std)


def inception_score(probs: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) || p(y))), the mean and std over ``splits`` parts (Salimans et al. 2016)."""
    probs = probs.double()
    splits = max(1, min(splits, probs.shape[0]))
    scores = []
    for part in torch.tensor_split(probs, splits):
        marginal = part.mean(0, keepdim=True)
        kl = (torch.xlogy(part, part) - torch.xlogy(part, marginal)).sum(1).mean()
        scores.append(math.exp(float(kl)))
    scores = torch.tensor(scores, dtype=torch.float64)
    return float(scores.mean()), float(scores.std()) if len(scores) > 1 else 0.0


def mode_coverage(probs: torch.Tensor, threshold: float = 0.02) -> tuple[int, float]:
    """Classes holding at least ``threshold`` of the predicted labels, and KL(class histogram || uniform)."""
    classes = probs.shape[1]
    histogram = torch.bincount(probs.argmax(1), minlength=classes).double() / probs.shape[0]
    modes = int((histogram >= threshold).sum())
    kl = float(torch.xlogy(histogram, histogram * classes).sum())
    return modes, max(kl, 0.0)


def knn_radii(x: torch.Tensor, k: int, chunk: int = 1000) -> torch.Tensor:
    """Distance from each row of ``x`` to its k-th nearest other row."""
    if x.shape[0] <= k:
        raise ValueError(f"k-nearest-neighbour manifolds with k={k} need more than {k} images per set")
    radii = [torch.cdist(x[i:i + chunk], x).kthvalue(k + 1, dim=1).values for i in range(0, x.shape[0], chunk)]
    return torch.cat(radii)


def manifold_coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int = 1000) -> float:
    """Fraction of ``points`` inside at least one ball (centre, radius)."""
    inside = [(torch.cdist(points[i:i + chunk], centres) <= radii).any(dim=1) for i in range(0, points.shape[0], chunk)]
    return float(torch.cat(inside).double().mean())


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN manifolds.

    Precision: the share of fake samples inside the real manifold; recall: the
    share of real samples inside the fake manifold.
    """
    real, fake = real.float(), fake.float()
    precision = manifold_coverage(fake, real, knn_radii(real, k))
    recall = manifold_coverage(real, fake, knn_radii(fake, k))
    return precision, recall


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5, chunk: int = 1000) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models").

    With r_i the distance from real sample i to its k-th nearest other real sample, density is
    (1 / kM) sum_j sum_i 1[fake_j within r_i of real_i] (about 1 when the fakes are distributed like the
    reals; above 1 where they crowd dense regions), and coverage the share of real samples with at least
    one fake within r_i. Only the real manifold is built, so outliers among the fakes do not inflate them.
    """
    real, fake = real.float(), fake.float()
    radii = knn_radii(real, k, chunk)
    hits = torch.zeros(real.shape[0], dtype=torch.float64)  # per real sample: the fakes inside its ball
    for i in range(0, fake.shape[0], chunk):
        hits += (torch.cdist(fake[i:i + chunk], real) <= radii).sum(dim=0).double()
    return float(hits.sum() / (k * fake.shape[0])), float((hits > 0).double().mean())
