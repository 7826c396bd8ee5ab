"""The metric maths, on feature and probability tensors; float64 where precision matters."""

from __future__ import annotations

import math

import torch


def gaussian_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (unbiased) covariance of the rows of ``x``, in float64."""
    x = x.double()
    if x.shape[0] < 2:
        raise ValueError("the Fréchet distance needs at least 2 images per set")
    return x.mean(0), torch.atleast_2d(torch.cov(x.T))


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||² + tr(S1 + S2 - 2 (S1 S2)^½), with tr((S1 S2)^½) from the symmetric S1^½ S2 S1^½."""
    mu1, mu2, sigma1, sigma2 = (t.double() for t in (mu1, mu2, sigma1, sigma2))
    w, v = torch.linalg.eigh(sigma1)
    root1 = (v * w.clamp(min=0).sqrt()) @ v.T
    middle = root1 @ sigma2 @ root1
    eig = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0)
    diff = mu1 - mu2
    value = diff @ diff + sigma1.trace() + sigma2.trace() - 2 * eig.sqrt().sum()
    return max(float(value), 0.0)


def polynomial_kernel(x, y, degree: int = 3, gamma: float | None = None, coef0: float = 1.0):
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (gamma * (x @ y.T) + coef0) ** degree


def mmd2_unbiased(kxx, kyy, kxy) -> float:
    """The unbiased MMD² estimate from the three kernel matrices (diagonals of kxx, kyy left out)."""
    m, n = kxx.shape[0], kyy.shape[0]
    xx = (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
    yy = (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
    return float(xx + yy - 2 * kxy.mean())


def kernel_inception_distance(x, y, subsets: int = 100, subset_size: int = 1000, degree: int = 3,
                              gamma: float | None = None, coef0: float = 1.0, seed: int = 0) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): mean and std of the unbiased MMD² over random subsets."""
    x, y = x.double(), y.double()
    size = min(subset_size, x.shape[0], y.shape[0])
    if size < 2:
        raise ValueError("KID needs at least 2 images per set")
    rng = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(subsets):
        a = x[torch.randperm(x.shape[0], generator=rng)[:size]]
        b = y[torch.randperm(y.shape[0], generator=rng)[:size]]
        values.append(mmd2_unbiased(polynomial_kernel(a, a, degree, gamma, coef0),
                                    polynomial_kernel(b, b, degree, gamma, coef0),
                                    polynomial_kernel(a, b, degree, gamma, coef0)))
    values = torch.tensor(values, dtype=torch.float64)
    return float(values.mean()), float(values.std()) if len(values) > 1 else 0.0


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
