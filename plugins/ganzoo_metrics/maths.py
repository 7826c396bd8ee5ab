"""The metric maths, on feature and probability tensors; float64 where precision matters.

FID is torchmetrics' (its FrechetInceptionDistance, fed the features ganzoo has already computed); KID
draws the same subsets and does the same float64 sums as torchmetrics' KernelInceptionDistance, written
out here so that the reference set's share is computed once (tests compare the two); the Inception-style
score, mode coverage, precision/recall and density/coverage are ganzoo's own (torchmetrics' InceptionScore
shuffles its splits unseeded and takes logits).

What depends on the reference set alone (its k-NN radii, KID's reference-reference kernel sums) is kept
for as long as the reference features live unchanged (:func:`remembered`): ``ganzoo eval`` scores the
generated images and a training sample against the same reference features, and pays for it once; and in
the cache folder (``ganzoo.cached_tensors``), so the next evaluation of the same reference set does not pay.
Precision/recall (k = 3) and density/coverage (k = 5) read one pass over each set's own distances and one
over the generated-reference distances (:data:`SHARED_K`), where each used to take its own: half the
distance computations of an evaluation.
"""

from __future__ import annotations

import math
import weakref
from typing import Callable

import torch

from ganzoo import cached_tensors

#: id(tensor) -> (weak reference to it, its version counter then, {key: value computed from it})
_REMEMBERED: dict[int, tuple] = {}


def remembered(tensor: torch.Tensor, key: tuple, compute: Callable, partner: torch.Tensor | None = None):
    """``compute()``, once per ``key`` for as long as ``tensor`` lives and is not changed in place (and, given,
    for as long as ``partner`` is the same tensor, unchanged: a value computed from both)."""
    entry = _REMEMBERED.get(id(tensor))
    if entry is None or entry[0]() is not tensor or entry[1] != tensor._version:
        entry = (weakref.ref(tensor, lambda _, ident=id(tensor): _REMEMBERED.pop(ident, None)), tensor._version, {})
        _REMEMBERED[id(tensor)] = entry
    values = entry[2]
    if partner is not None:
        key = (*key, id(partner), partner._version)
    held = values.get(key)
    if held is None or (partner is not None and held[0]() is not partner):  # the partner's id now names another
        values[key] = held = (weakref.ref(partner) if partner is not None else None, compute())
    return held[1]


def frechet_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    """The Fréchet distance between Gaussians fitted to the rows of ``x`` and ``y``, computed as torchmetrics'
    FrechetInceptionDistance computes it (float64 sums of the features and of their outer products, the
    square roots of the eigenvalues of S_y S_x), written out: importing torchmetrics.image imports
    torchvision and torch._dynamo, about 2 s of every `ganzoo eval`."""
    if min(x.shape[0], y.shape[0]) < 2:
        raise ValueError("the Fréchet distance needs at least 2 images per set")
    mean_real, cov_real = _moments(y)
    mean_fake, cov_fake = _moments(x)
    a = (mean_real - mean_fake).square().sum(dim=-1)
    b = cov_real.trace() + cov_fake.trace()
    c = torch.linalg.eigvals(cov_real @ cov_fake).sqrt().real.sum(dim=-1)
    return max(float(a + b - 2 * c), 0.0)


def _moments(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean and the unbiased covariance of the rows, in float64, from their sums as torchmetrics forms them."""
    features = features.double()
    n = features.shape[0]
    mean = (features.sum(dim=0) / n).unsqueeze(0)
    covariance = (features.t().mm(features) - n * mean.t().mm(mean)) / (n - 1)
    return mean.squeeze(0), covariance


def kernel_inception_distance(x, y, subsets: int = 100, subset_size: int = 1000, degree: int = 3,
                              gamma: float | None = None, coef0: float = 1.0, seed: int = 0) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018) of ``x`` (generated) against ``y`` (reference): mean and std of the unbiased
    MMD² with the kernel ``(gamma <a, b> + coef0) ** degree`` over random subsets of
    ``min(subset_size, len(x), len(y))`` rows, drawn from torch's generator seeded with ``seed`` (and restored)
    as torchmetrics' KernelInceptionDistance draws them, in float64. The reference subsets' own kernel sums
    depend on ``y`` alone and are computed once per ``y`` (:func:`remembered`)."""
    size = min(subset_size, x.shape[0], y.shape[0])
    if size < 2:
        raise ValueError("KID needs at least 2 images per set")
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    x64, y64 = x.double(), y.double()
    real_index, fake_index = [], []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(subsets):  # torchmetrics' order: the reference subset, then the generated one
            real_index.append(torch.randperm(y.shape[0])[:size])
            fake_index.append(torch.randperm(x.shape[0])[:size])

    def kernel_sum(a: torch.Tensor, b: torch.Tensor, off_diagonal: bool) -> torch.Tensor:
        # gamma applied to a's rows before the product: one pass over the m x m kernel less (exact for 1/128)
        k = torch.mm(a * gamma, b.T).add_(coef0).pow_(degree)
        return k.sum() - k.diagonal().sum() if off_diagonal else k.sum()

    params = (seed, subsets, size, x.shape[0], degree, gamma, coef0)

    def reference_sums() -> dict:
        return {"sums": torch.stack([kernel_sum(y64[i], y64[i], True) for i in real_index])}

    real_sums = remembered(y, ("kid_reference", *params),
                           lambda: cached_tensors("kid-reference-sums", [y], reference_sums, params)["sums"])
    scores = torch.empty(subsets, dtype=torch.float64)
    for s, (real, fake) in enumerate(zip(real_index, fake_index)):
        fake_sum = kernel_sum(x64[fake], x64[fake], True)
        cross = kernel_sum(y64[real], x64[fake], False)
        scores[s] = (real_sums[s] + fake_sum) / (size * (size - 1)) - 2 * cross / size ** 2
    return float(scores.mean()), float(scores.std(unbiased=False))


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


#: the k of precision/recall (3) and of density/coverage (5): each pass over a set's distances keeps the
#: neighbours of both, so one pass serves both metrics
SHARED_K = (3, 5)


def knn_radii(x: torch.Tensor, k: int, chunk: int = 1000, reference: bool = False) -> torch.Tensor:
    """Distance from each row of ``x`` to its k-th nearest other row (one pass over ``x``'s distances serves
    every k up to ``max(k, *SHARED_K)``, and is kept for as long as ``x`` is: :func:`remembered`; for a
    ``reference`` set, the same at every evaluation, in the cache folder too: ``ganzoo.cached_tensors``)."""
    if x.shape[0] <= k:
        raise ValueError(f"k-nearest-neighbour manifolds with k={k} need more than {k} images per set")
    most = min(max(k, *SHARED_K), x.shape[0] - 1)

    def nearest() -> torch.Tensor:  # each row's most + 1 smallest distances, itself at distance 0 among them
        return torch.cat([torch.cdist(x[i:i + chunk], x).topk(most + 1, dim=1, largest=False).values
                          for i in range(0, x.shape[0], chunk)])

    def kept() -> torch.Tensor:
        return cached_tensors("knn-nearest", [x], lambda: {"nearest": nearest()}, (most, chunk))["nearest"] \
            if reference else nearest()

    return remembered(x, ("nearest", most, chunk), kept)[:, k]


def _pairs_inside(distances: torch.Tensor, radii: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The (row, column) pairs of ``distances`` within ``radii`` (broadcast against it) and their distances. The
    pairs inside a k-NN ball are a few per thousand: one comparison over the block finds them, and every
    smaller ball and every count is read from them alone (half the time of comparing the block once per k)."""
    rows, columns = (distances <= radii).nonzero(as_tuple=True)
    return rows, columns, distances[rows, columns]


def _balls(real: torch.Tensor, fake: torch.Tensor, k: int, chunk: int) -> dict:
    """For each k in ``{k, *SHARED_K}``, from one pass over the fake-real distances: ``fake_in_real[k]``, whether
    each fake lies in some real sample's k-NN ball; ``fakes_per_real[k]``, how many fakes lie in each real
    sample's ball; ``real_in_fake[k]``, whether each real sample lies in some fake's ball. Kept for as long as
    both sets are (precision/recall and density/coverage read the same pass)."""
    ks = tuple(sorted({k, *SHARED_K}))
    real_ks = [j for j in ks if j < real.shape[0]]  # a set of n rows has k-NN balls for k < n only
    fake_ks = [j for j in ks if j < fake.shape[0]]

    def compute() -> dict:
        real_radii = {j: knn_radii(real, j, chunk, reference=True) for j in real_ks}
        fake_radii = {j: knn_radii(fake, j, chunk) for j in fake_ks}
        fake_in_real = {j: torch.zeros(fake.shape[0], dtype=torch.bool) for j in real_ks}
        fakes_per_real = {j: torch.zeros(real.shape[0], dtype=torch.float64) for j in real_ks}
        real_in_fake = {j: torch.zeros(real.shape[0], dtype=torch.bool) for j in fake_ks}
        for i in range(0, fake.shape[0], chunk):
            distances = torch.cdist(fake[i:i + chunk], real)
            # (fake, real) pairs in the widest ball of the real one, then each smaller k among them alone
            if real_ks:
                fakes, reals, within = _pairs_inside(distances, real_radii[real_ks[-1]][None, :])
                for j in real_ks:
                    inside = within <= real_radii[j][reals]
                    fake_in_real[j][i + fakes[inside]] = True
                    fakes_per_real[j] += torch.bincount(reals[inside], minlength=real.shape[0]).double()
            if fake_ks:
                fakes, reals, within = _pairs_inside(distances, fake_radii[fake_ks[-1]][i:i + chunk, None])
                for j in fake_ks:
                    real_in_fake[j][reals[within <= fake_radii[j][i + fakes]]] = True
        return {"fake_in_real": fake_in_real, "fakes_per_real": fakes_per_real, "real_in_fake": real_in_fake}

    return remembered(fake, ("balls", ks, chunk), compute, partner=real)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3, chunk: int = 1000) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN manifolds.

    Precision: the share of fake samples inside the real manifold; recall: the
    share of real samples inside the fake manifold.
    """
    if min(real.shape[0], fake.shape[0]) <= k:
        raise ValueError(f"k-nearest-neighbour manifolds with k={k} need more than {k} images per set")
    balls = _balls(real.float(), fake.float(), k, chunk)
    return float(balls["fake_in_real"][k].double().mean()), float(balls["real_in_fake"][k].double().mean())


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5, chunk: int = 1000) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models").

    With r_i the distance from real sample i to its k-th nearest other real sample, density is
    (1 / kM) sum_j sum_i 1[fake_j within r_i of real_i] (about 1 when the fakes are distributed like the
    reals; above 1 where they crowd dense regions), and coverage the share of real samples with at least
    one fake within r_i. Only the real manifold is built, so outliers among the fakes do not inflate them.
    """
    if real.shape[0] <= k:
        raise ValueError(f"k-nearest-neighbour manifolds with k={k} need more than {k} images per set")
    hits = _balls(real.float(), fake.float(), k, chunk)["fakes_per_real"][k]
    return float(hits.sum() / (k * fake.shape[0])), float((hits > 0).double().mean())
