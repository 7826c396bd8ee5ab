"""The metric maths on synthetic data with known answers."""

import math

import pytest
import torch

from ganzoo import Features
from ganzoo_metrics import maths
from ganzoo_metrics.metrics import FID, KID, KIDParams, MNISTScore, ModeParams, Modes, NoParams, PRParams, PrecisionRecall, ScoreParams
from ganzoo_metrics.metrics import DCParams, DensityCoverage


def gaussian(n, dim=8, shift=0.0, seed=0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) + shift


def one_hot(labels, classes=10):
    return torch.nn.functional.one_hot(torch.as_tensor(labels), classes).double()


def closed_form_fid(x, y):
    """||mu1 - mu2||² + tr(S1 + S2 - 2 (S1 S2)^½), with the symmetric form of the root, written out here."""
    mu1, mu2, s1, s2 = x.mean(0), y.mean(0), torch.cov(x.T), torch.cov(y.T)
    w, v = torch.linalg.eigh(s1)
    root1 = (v * w.clamp(min=0).sqrt()) @ v.T
    middle = root1 @ s2 @ root1
    return float((mu1 - mu2) @ (mu1 - mu2) + s1.trace() + s2.trace()
                 - 2 * torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum())


def test_frechet_distance_agrees_with_the_closed_form_on_correlated_features():
    mixing = gaussian(8, dim=8, seed=5)
    x, y = gaussian(500, seed=6) @ mixing, gaussian(400, shift=0.3, seed=7) @ mixing.T
    assert maths.frechet_distance(x, y) == pytest.approx(closed_form_fid(x, y), rel=1e-9)


def test_fid_of_identical_sets_is_zero_and_grows_with_a_mean_shift():
    x = gaussian(2000)
    fid = FID(NoParams())
    assert fid.compute(Features(x, None), Features(x, None))["fid"] == pytest.approx(0.0, abs=1e-6)
    shifted = fid.compute(Features(x + 1.0, None), Features(x, None))["fid"]
    assert shifted == pytest.approx(8.0, rel=1e-6)  # ||(1,...,1)||² in 8 dimensions, same covariance


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    x, y = gaussian(600, seed=1), gaussian(600, seed=2)
    kid = KID(KIDParams(subsets=20, subset_size=300))
    same = kid.compute(Features(x, None), Features(y, None))["kid"]
    apart = kid.compute(Features(x + 0.5, None), Features(y, None))["kid"]
    assert abs(same) < 0.01
    assert apart > 0.1
    # Identical sets (one subset, the whole set): the unbiased estimate is -2 (mean k(x,x) - mean k(x,x')) / n,
    # which vanishes as n grows.
    identical = KID(KIDParams(subsets=1, subset_size=600)).compute(Features(x, None), Features(x, None))["kid"]
    k = (x @ x.T / x.shape[1] + 1) ** 3
    off_diagonal = (k.sum() - k.diagonal().sum()) / (600 * 599)
    assert identical == pytest.approx(float(-2 * (k.diagonal().mean() - off_diagonal) / 600), rel=1e-9)
    assert abs(identical) < 0.1 * apart


def test_kid_of_whole_sets_is_the_unbiased_mmd_of_a_direct_double_loop():
    x, y = gaussian(7, dim=3, seed=3), gaussian(7, dim=3, shift=0.3, seed=4)
    k = lambda a, b: (a @ b / 3 + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    yy = sum(k(y[i], y[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    xy = sum(k(x[i], y[j]) for i in range(7) for j in range(7)) / (7 * 7)
    got, _ = maths.kernel_inception_distance(x, y, subsets=1, subset_size=7)
    assert got == pytest.approx(float(xx + yy - 2 * xy), rel=1e-9)


def test_kid_subsets_are_drawn_from_its_seed_and_leave_torchs_generator_alone():
    x, y = gaussian(300, seed=8), gaussian(300, shift=0.2, seed=9)
    torch.manual_seed(123)
    first = maths.kernel_inception_distance(x, y, subsets=5, subset_size=50, seed=1)
    after = torch.rand(1)
    torch.manual_seed(123)
    assert maths.kernel_inception_distance(x, y, subsets=5, subset_size=50, seed=1) == first
    assert torch.rand(1) == after
    assert maths.kernel_inception_distance(x, y, subsets=5, subset_size=50, seed=2) != first


def test_mnist_score_is_ten_for_confident_balanced_predictions_and_one_for_a_single_class():
    score = MNISTScore(ScoreParams(splits=1))
    balanced = one_hot(torch.arange(1000) % 10)
    assert score.compute(Features(None, balanced), None)["mnist_score"] == pytest.approx(10.0)
    assert score.compute(Features(None, one_hot([3] * 1000)), None)["mnist_score"] == pytest.approx(1.0)
    unsure = torch.full((1000, 10), 0.1, dtype=torch.float64)
    assert score.compute(Features(None, unsure), None)["mnist_score"] == pytest.approx(1.0)


def test_mode_coverage_counts_classes_above_two_percent_and_measures_kl_to_uniform():
    modes = Modes(ModeParams())
    single = modes.compute(Features(None, one_hot([7] * 500)), None)
    assert single["modes"] == 1 and single["mode_kl"] == pytest.approx(math.log(10))
    balanced = modes.compute(Features(None, one_hot(torch.arange(1000) % 10)), None)
    assert balanced["modes"] == 10 and balanced["mode_kl"] == pytest.approx(0.0, abs=1e-12)
    # 1.5% of the samples in class 9 does not count as producing it.
    labels = [9] * 15 + [i % 9 for i in range(985)]
    assert modes.compute(Features(None, one_hot(labels)), None)["modes"] == 9


def test_precision_and_recall_with_knn_manifolds():
    pr = PrecisionRecall(PRParams(k=3))
    real = gaussian(400, dim=4, seed=5)
    assert pr.compute(Features(real, None), Features(real, None)) == {"precision": 1.0, "recall": 1.0}
    far = pr.compute(Features(real + 100.0, None), Features(real, None))
    assert far == {"precision": 0.0, "recall": 0.0}
    # Real data in two far-apart clusters; fakes cover only one of them: precise, half the recall.
    two_clusters = torch.cat([real[:200], real[200:] + 100.0])
    half = pr.compute(Features(real[:200], None), Features(two_clusters, None))
    assert half["precision"] == 1.0 and half["recall"] == pytest.approx(0.5)


def test_density_and_coverage_with_the_real_knn_manifold():
    dc = DensityCoverage(DCParams(k=5))
    real = gaussian(400, dim=4, seed=5)
    same = dc.compute(Features(real, None), Features(real, None))
    assert same["coverage"] == 1.0 and same["density"] >= 1.0  # each real is in its own ball and k others'
    assert dc.compute(Features(real + 100.0, None), Features(real, None)) == {"density": 0.0, "coverage": 0.0}
    # Fakes all on one real sample: they fall in the balls around it (dense), and cover only its neighbourhood.
    collapsed = dc.compute(Features(real[:1].repeat(400, 1), None), Features(real, None))
    assert collapsed["coverage"] < 0.1
    # Fakes covering one of two far-apart real clusters: half the coverage, and an outlier among the fakes
    # changes neither (precision/recall's fake manifold would grow around it).
    two_clusters = torch.cat([real[:200], real[200:] + 100.0])
    half = dc.compute(Features(real[:200], None), Features(two_clusters, None))
    assert half["coverage"] == pytest.approx(0.5)
    with_outlier = dc.compute(Features(torch.cat([real[:200], torch.full((1, 4), 50.0, dtype=real.dtype)]), None),
                              Features(two_clusters, None))
    assert with_outlier["coverage"] == half["coverage"]


def test_density_matches_a_direct_double_loop():
    real, fake = gaussian(60, dim=3, seed=1), gaussian(50, dim=3, shift=0.3, seed=2)
    k = 4
    dist = torch.cdist(real.float(), real.float())
    radii = dist.sort(dim=1).values[:, k]  # column 0 is the point itself
    inside = [[float(torch.dist(f.float(), r.float())) <= float(radii[i]) for i, r in enumerate(real)] for f in fake]
    density = sum(map(sum, inside)) / (k * len(fake))
    coverage = sum(any(row[i] for row in inside) for i in range(len(real))) / len(real)
    got = maths.density_coverage(real, fake, k, chunk=7)
    assert got == (pytest.approx(density), pytest.approx(coverage))


class GivenFeatures(torch.nn.Module):
    """torchmetrics' feature-extractor slot, for features computed already."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def test_frechet_distance_is_torchmetrics_fid_to_the_last_bit():
    """ganzoo writes torchmetrics' computation out (importing torchmetrics.image costs about 2 s)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    mixing = gaussian(16, dim=16, seed=8)
    x, y = gaussian(700, dim=16, seed=9) @ mixing, gaussian(500, dim=16, shift=0.2, seed=10) @ mixing.T
    fid = FrechetInceptionDistance(feature=GivenFeatures(16))
    fid.update(y, real=True)
    fid.update(x, real=False)
    assert maths.frechet_distance(x, y) == float(fid.compute())


def torchmetrics_kid(x, y, subsets, subset_size, seed):
    """KID as torchmetrics' KernelInceptionDistance computes it, which ganzoo's must equal."""
    import warnings

    from torchmetrics.image.kid import KernelInceptionDistance

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kid = KernelInceptionDistance(feature=GivenFeatures(x.shape[1]), subsets=subsets,
                                      subset_size=subset_size)
    kid.update(y.double(), real=True)
    kid.update(x.double(), real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = kid.compute()
    return float(mean), float(std)


@pytest.mark.parametrize("n_fake, n_real, size", [(300, 200, 150), (120, 300, 120)])
def test_kid_equals_torchmetrics_kid_and_is_the_same_when_the_reference_share_is_reused(n_fake, n_real, size):
    x, y = gaussian(n_fake, dim=16, seed=10).float(), gaussian(n_real, dim=16, shift=0.1, seed=11).float()
    expected = torchmetrics_kid(x, y, subsets=6, subset_size=size, seed=3)
    first = maths.kernel_inception_distance(x, y, subsets=6, subset_size=size, seed=3)
    again = maths.kernel_inception_distance(x, y, subsets=6, subset_size=size, seed=3)  # reference sums kept
    assert first == pytest.approx(expected, rel=1e-9, abs=1e-12) and again == first
    other = gaussian(n_fake, dim=16, shift=0.5, seed=12).float()  # another generated set, the same reference
    assert maths.kernel_inception_distance(other, y, subsets=6, subset_size=size, seed=3) == pytest.approx(
        torchmetrics_kid(other, y, subsets=6, subset_size=size, seed=3), rel=1e-9, abs=1e-12)


def test_knn_radii_are_the_kth_neighbour_distances_and_are_recomputed_when_the_features_change():
    x = gaussian(90, dim=5, seed=13).float()
    expected = torch.cdist(x, x).sort(dim=1).values[:, 3]
    assert torch.equal(maths.knn_radii(x, 3, chunk=16), expected)
    assert torch.equal(maths.knn_radii(x, 3, chunk=16), expected)  # kept for the same features
    x.mul_(2.0)  # changed in place: the kept radii no longer hold
    assert torch.allclose(maths.knn_radii(x, 3, chunk=16), 2 * expected)


def test_precision_recall_and_density_coverage_share_one_pass_over_the_distances(monkeypatch):
    real, fake = gaussian(300, dim=6, seed=14).float(), gaussian(250, dim=6, shift=0.4, seed=15).float()
    # the definitions, computed apart: each set's k-NN radii, then every fake-real distance
    distances = torch.cdist(fake, real)
    radii = {(name, k): torch.cdist(x, x).sort(dim=1).values[:, k] for name, x in (("real", real), ("fake", fake))
             for k in (3, 5)}
    precision = float((distances <= radii["real", 3]).any(dim=1).double().mean())
    recall = float((distances <= radii["fake", 3][:, None]).any(dim=0).double().mean())
    hits = (distances <= radii["real", 5]).sum(dim=0).double()
    density, coverage = float(hits.sum() / (5 * 250)), float((hits > 0).double().mean())
    calls = []
    cdist = torch.cdist
    monkeypatch.setattr(torch, "cdist", lambda *args, **kwargs: calls.append(1) or cdist(*args, **kwargs))
    assert maths.precision_recall(real, fake, 3, chunk=100) == (pytest.approx(precision), pytest.approx(recall))
    assert maths.density_coverage(real, fake, 5, chunk=100) == (pytest.approx(density), pytest.approx(coverage))
    assert len(calls) == 9  # 3 chunks each: the real set's radii, the fake set's, the fake-real distances


@pytest.mark.parametrize("n_real, n_fake", [(300, 250), (40, 4), (6, 120)])
def test_the_ball_counts_equal_comparing_every_distance_with_every_radius(n_real, n_fake):
    """The fake-real pass keeps only the pairs inside the widest ball and reads every smaller ball from them:
    each count equal to the last bit to comparing the whole block once per k (sets too small for some k too)."""
    real = gaussian(n_real, dim=6, seed=16).float()
    fake = gaussian(n_fake, dim=6, shift=0.3, seed=17).float()
    fake[:3] = real[:3]  # on real samples: inside many balls, at distance 0 from one
    ks = maths.SHARED_K
    balls = maths._balls(real, fake, 3, chunk=50)
    for k in ks:
        for name, a, b in (("fake_in_real", real, fake), ("real_in_fake", fake, real)):
            if k >= a.shape[0]:
                assert k not in balls[name]
                continue
            radii = maths.knn_radii(a, k, chunk=50)
            # rows of b, columns of a: each distance against the radius of its ball's centre
            inside = (torch.cdist(b, a) <= radii[None, :]) if name == "fake_in_real" else \
                (torch.cdist(a, b).T <= radii[None, :])
            if name == "fake_in_real":
                assert torch.equal(balls[name][k], inside.any(dim=1))
                assert torch.equal(balls["fakes_per_real"][k], inside.sum(dim=0).double())
            else:
                assert torch.equal(balls[name][k], inside.any(dim=1))


@pytest.mark.parametrize("shape, chunk", [((300, 1, 28, 28), 64), ((40, 3, 16, 20), 1000)])
def test_ssim_is_torchmetrics_ssim(shape, chunk):
    """ganzoo_metrics computes SSIM as torchmetrics' structural_similarity_index_measure does (reflection padding,
    the map averaged over every pixel) without importing it; each Gaussian pass is a product with a banded
    matrix instead of a 2-D convolution, so the sums run in another order."""
    from torchmetrics.functional.image import structural_similarity_index_measure

    from ganzoo_metrics.pairs import structural_similarity

    generator = torch.Generator().manual_seed(21)
    digits = (torch.rand(shape, generator=generator) > 0.7).float()  # mostly flat, as MNIST's pictures are
    outputs = ((digits + 0.15 * torch.randn(shape, generator=generator)).clamp(0, 1) * 255).round() / 255
    expected = float(structural_similarity_index_measure(outputs, digits, data_range=1.0))
    assert structural_similarity(outputs, digits, chunk=chunk) == pytest.approx(expected, abs=1e-6)
    assert structural_similarity(digits, digits, chunk=chunk) == pytest.approx(1.0, abs=1e-6)
    other = digits.roll(1, dims=0)
    assert structural_similarity(other, digits, chunk=chunk) == pytest.approx(
        float(structural_similarity_index_measure(other, digits, data_range=1.0)), abs=1e-6)
