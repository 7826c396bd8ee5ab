"""What makes evaluation and start-up cheap changes no number: the reference features ``ganzoo eval`` keeps on
disk (never a stale or damaged entry), channels-last embedding, sample grids and MNIST read without torchvision."""

import json

import pytest
import torch

from conftest import QUICK, RECIPE
from ganzoo import FeatureExtractor, Features
from ganzoo.cli import main
from ganzoo.eval import feature_cache
from ganzoo.eval.classifier import MNISTClassifier, embed_images


class CountingExtractor(FeatureExtractor):
    """Features that are a fixed function of the pixels, counting how often it is asked for them."""

    def __init__(self):
        self.calls = 0

    def embed(self, images):
        self.calls += 1
        flat = images.float().reshape(images.shape[0], -1)
        return Features(flat[:, :8] / 255, torch.softmax(flat[:, 8:18], dim=1))


def images(seed=0, n=40):
    return torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "features"


def same(a: Features, b: Features) -> bool:
    return torch.equal(a.features, b.features) and torch.equal(a.probs, b.probs)


def test_a_cache_hit_gives_the_features_of_a_fresh_computation_without_embedding_again(cache):
    extractor, pictures = CountingExtractor(), images()
    fresh = extractor.embed(pictures)
    first = feature_cache.embed_cached(extractor, "counting", "a" * 64, pictures)
    second = feature_cache.embed_cached(extractor, "counting", "a" * 64, pictures)
    assert extractor.calls == 2 and same(first, fresh) and same(second, fresh)
    assert len(list(cache.glob("*.pt"))) == 1 and not list(cache.glob("*.tmp*"))
    feature_cache.embed_cached(extractor, "counting", "a" * 64, images(seed=1))  # other images: another entry
    assert extractor.calls == 3 and len(list(cache.glob("*.pt"))) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "values changed", "another key"])
def test_a_damaged_cache_entry_is_computed_again_and_replaced(cache, damage):
    extractor, pictures = CountingExtractor(), images()
    expected = feature_cache.embed_cached(extractor, "counting", "a" * 64, pictures)
    (entry,) = cache.glob("*.pt")
    if damage == "garbage":
        entry.write_bytes(b"not a tensor file")
    elif damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:200])
    else:
        payload = torch.load(entry, weights_only=True)
        if damage == "values changed":
            payload["features"][0, 0] += 1.0
        else:
            payload["key"] = "0" * 64
        torch.save(payload, entry)
    again = feature_cache.embed_cached(extractor, "counting", "a" * 64, pictures)
    assert extractor.calls == 2 and same(again, expected)
    assert same(feature_cache.read_entry(entry, feature_cache.cache_key("counting", "a" * 64, pictures), 40),
                expected)  # replaced by a good entry


def test_the_cache_key_changes_with_the_weights_the_extractor_and_the_images():
    pictures = images()
    key = feature_cache.cache_key("mnist-classifier", "a" * 64, pictures)
    assert key == feature_cache.cache_key("mnist-classifier", "a" * 64, pictures.clone())
    assert key != feature_cache.cache_key("mnist-classifier", "b" * 64, pictures)
    assert key != feature_cache.cache_key("fashion-classifier", "a" * 64, pictures)
    changed = pictures.clone()
    changed[5, 0, 3, 3] ^= 1
    assert key != feature_cache.cache_key("mnist-classifier", "a" * 64, changed)


def test_other_weights_are_embedded_again_and_no_cache_or_an_unwritable_one_still_scores(cache, monkeypatch,
                                                                                          tmp_path):
    extractor, pictures = CountingExtractor(), images()
    feature_cache.embed_cached(extractor, "counting", "a" * 64, pictures)
    feature_cache.embed_cached(extractor, "counting", "b" * 64, pictures)
    assert extractor.calls == 2
    feature_cache.embed_cached(extractor, "counting", "", pictures)  # no weights hash (points): never cached
    assert extractor.calls == 3 and len(list(cache.glob("*.pt"))) == 2
    monkeypatch.setenv("GANZOO_CACHE", "off")
    assert feature_cache.cache_folder() is None
    feature_cache.embed_cached(extractor, "counting", "a" * 64, pictures)
    assert extractor.calls == 4
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("GANZOO_CACHE", str(blocker))  # its features/ folder cannot be made
    assert same(feature_cache.embed_cached(extractor, "counting", "a" * 64, pictures), extractor.embed(pictures))


def test_channels_last_embedding_gives_the_plain_features_and_leaves_the_model_as_it_was():
    torch.manual_seed(0)
    model = MNISTClassifier().eval()
    pictures = images(n=12)
    with torch.no_grad():
        from ganzoo.eval.classifier import to_input

        plain, logits = model.embed(to_input(pictures))
    got = embed_images(model, pictures, batch_size=5)
    assert torch.allclose(got.features, plain, atol=1e-5) and torch.allclose(got.probs, logits.softmax(1), atol=1e-6)
    assert model.body[0].weight.is_contiguous()  # the caller's model keeps its memory format


def test_eval_twice_gives_the_same_report_and_reads_the_reference_features_from_the_cache(
        tmp_path, mnist_root, cache, monkeypatch, capsys):
    monkeypatch.setenv("GANZOO_DATA", str(mnist_root))
    run_dir = tmp_path / "run"
    assert main(["run", str(RECIPE), *QUICK, "train.epochs=1", "--out", str(run_dir), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run_dir), "-n", "64", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(list(cache.glob("*.pt"))) == 2  # the held-out set and the real-vs-real training sample
    calls = []
    real_embed = embed_images
    monkeypatch.setattr("ganzoo.eval.classifier.embed_images", lambda *a, **k: calls.append(1) or real_embed(*a, **k))
    assert main(["eval", str(run_dir), "-n", "64", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert len(calls) == 1  # only the generated images
    assert second["metrics"] == first["metrics"]
    assert len(list(cache.glob("*.json"))) == 1  # the real-vs-real scores, read back the second time


@pytest.mark.parametrize("count, channels, nrow", [(1, 1, 1), (5, 1, 2), (64, 1, 8), (7, 3, 3)])
def test_sample_grids_are_torchvisions_make_grid_pixel_for_pixel(count, channels, nrow):
    from torchvision.utils import make_grid

    from ganzoo.output.images import grid_picture, to_uint8

    pictures = torch.rand(count, channels, 9, 11, generator=torch.Generator().manual_seed(count)) * 2 - 1
    expected = make_grid(to_uint8(pictures), nrow=nrow, padding=2, pad_value=0)
    assert torch.equal(grid_picture(pictures, nrow=nrow), expected)


def test_mnist_is_read_as_torchvision_reads_it_and_a_run_imports_no_torchvision_nor_dynamo(mnist_root, tmp_path):
    """Each costs about a second of every run's start-up (torchvision imports torch._dynamo too, as
    torch's optimisers would: ganzoo.fast.lazy_dynamo)."""
    import subprocess
    import sys

    from torchvision.datasets import MNIST

    from ganzoo_vanilla.mnist import MNISTParams, load_mnist

    data = load_mnist(MNISTParams(root=str(mnist_root), download=False))
    reference = MNIST(str(mnist_root), train=True, download=False)
    assert torch.equal(data.images[:, 0], reference.data) and torch.equal(data.labels, reference.targets)
    test = MNIST(str(mnist_root), train=False, download=False)
    assert torch.equal(data.held_out.images[:, 0], test.data) and torch.equal(data.held_out.labels, test.targets)
    from ganzoo_translation.mnist_tasks import read_split  # the translation tasks' reader, in [-1, 1]

    digits, labels = read_split(mnist_root, "test", 500)
    assert torch.equal(digits, test.data[:500, None].float() / 127.5 - 1) and torch.equal(labels, test.targets[:500])
    script = ("import sys; from ganzoo.cli import main; "
              f"code = main(['run', {str(RECIPE)!r}, *{QUICK!r}, 'train.epochs=1', '--out', {str(tmp_path / 'r')!r}, "
              "'--quiet']); print(code, 'torchvision' in sys.modules, 'torch._dynamo' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**__import__("os").environ, "GANZOO_DATA": str(mnist_root)})
    assert done.stdout.split()[-3:] == ["0", "False", "False"], done.stderr[-500:]


def test_real_vs_real_scores_are_kept_for_the_same_features_and_metrics_and_recomputed_otherwise(cache):
    from ganzoo_metrics.metrics import PRParams, PrecisionRecall

    extractor = CountingExtractor()
    reference, sample = extractor.embed(images(seed=1)), extractor.embed(images(seed=2))
    metrics = [("precision_recall", PrecisionRecall(PRParams(k=3)))]
    calls = []

    def compute(which=metrics):
        calls.append(1)
        return {key: {"value": value} for key, value in which[0][1].compute(sample, reference).items()}

    first = feature_cache.scores_cached("counting", "a" * 64, reference, sample, metrics, compute)
    assert feature_cache.scores_cached("counting", "a" * 64, reference, sample, metrics, compute) == first
    assert len(calls) == 1
    other_k = [("precision_recall", PrecisionRecall(PRParams(k=4)))]
    feature_cache.scores_cached("counting", "a" * 64, reference, sample, other_k, lambda: compute(other_k))
    other_sample = extractor.embed(images(seed=3))
    feature_cache.scores_cached("counting", "a" * 64, reference, other_sample, metrics, compute)
    feature_cache.scores_cached("counting", "b" * 64, reference, sample, metrics, compute)
    assert len(calls) == 4
    for entry in cache.glob("*.json"):
        entry.write_text("{not json")
    assert feature_cache.scores_cached("counting", "a" * 64, reference, sample, metrics, compute) == first
    assert len(calls) == 5


def test_k_means_centroids_are_fitted_once_per_images_and_parameters(monkeypatch, tmp_path):
    """A dataset with clusters fits k-means at every load (each run, each evaluation): the centroids come from
    the cache folder the second time, the same to the bit; other images or parameters are another entry; a
    garbled file is fitted again; GANZOO_CACHE=off stores nothing."""
    from ganzoo import KMeans

    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    fits = []
    fit = KMeans.fit_centroids
    monkeypatch.setattr(KMeans, "fit_centroids", staticmethod(lambda *a: fits.append(a[1:]) or fit(*a)))
    images = torch.randint(0, 256, (300, 1, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    first = KMeans.fit(images, 5).centroids
    again = KMeans.fit(images, 5).centroids
    assert len(fits) == 1 and torch.equal(first, again)
    KMeans.fit(images, 6)
    KMeans.fit(images, 5, seed=1)
    KMeans.fit(images.flip(0), 5)
    assert len(fits) == 4
    stored = list((tmp_path / "cache" / "clusters").glob("*.pt"))
    assert len(stored) == 4
    for path in stored:
        path.write_bytes(path.read_bytes()[:-7])
    assert torch.equal(KMeans.fit(images, 5).centroids, first) and len(fits) == 5
    monkeypatch.setenv("GANZOO_CACHE", "off")
    KMeans.fit(images, 7)
    assert len(fits) == 6 and len(list((tmp_path / "cache" / "clusters").glob("*.pt"))) == 4


def test_tensors_derived_from_a_reference_set_are_computed_once_per_inputs_params_and_code(monkeypatch, tmp_path):
    """ganzoo.cached_tensors (public: what a metric derives from the reference set): the stored values the second
    time, the same to the bit; other inputs, params or code are another entry; a garbled file is computed again;
    GANZOO_CACHE=off stores nothing."""
    from ganzoo import cached_tensors

    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    calls = []

    def compute(x):
        calls.append(1)
        return {"gram": x.t().mm(x), "norms": x.norm(dim=1)}

    x = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    first = cached_tensors("gram", [x], lambda: compute(x), (1,))
    again = cached_tensors("gram", [x], lambda: compute(x), (1,))
    assert len(calls) == 1 and all(torch.equal(first[k], again[k]) for k in ("gram", "norms"))
    cached_tensors("gram", [x], lambda: compute(x), (2,))
    cached_tensors("gram", [x * 2], lambda: compute(x * 2), (1,))
    cached_tensors("other", [x], lambda: compute(x), (1,))
    cached_tensors("gram", [x], lambda: compute(x), (1,), code=FeatureExtractor)  # another package's code
    assert len(calls) == 5
    stored = list((tmp_path / "cache" / "derived").glob("*.pt"))
    assert len(stored) == 5
    for path in stored:
        path.write_bytes(path.read_bytes()[:-9])
    assert torch.equal(cached_tensors("gram", [x], lambda: compute(x), (1,))["gram"], first["gram"]) and len(calls) == 6
    monkeypatch.setenv("GANZOO_CACHE", "off")
    cached_tensors("gram", [x], lambda: compute(x), (9,))
    assert len(calls) == 7 and len(list((tmp_path / "cache" / "derived").glob("*.pt"))) == 5


def test_kid_and_knn_manifolds_score_the_same_from_the_stored_reference_statistics(monkeypatch, tmp_path):
    from ganzoo_metrics import maths

    real = torch.randn(300, 16, generator=torch.Generator().manual_seed(1))
    fake = torch.randn(200, 16, generator=torch.Generator().manual_seed(2)) * 1.1 + 0.1
    monkeypatch.setenv("GANZOO_CACHE", "off")
    expected = (maths.kernel_inception_distance(fake, real, subsets=5, subset_size=50),
                maths.precision_recall(real.clone(), fake.clone()), maths.density_coverage(real.clone(), fake.clone()))
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    for _ in range(2):  # filling the cache, then reading it (fresh tensors: nothing kept in memory between)
        got = (maths.kernel_inception_distance(fake.clone(), real.clone(), subsets=5, subset_size=50),
               maths.precision_recall(real.clone(), fake.clone()), maths.density_coverage(real.clone(), fake.clone()))
        assert got[0] == pytest.approx(expected[0], rel=1e-12, abs=1e-15) and got[1:] == expected[1:]
    assert len(list((tmp_path / "cache" / "derived").glob("*.pt"))) == 2  # the reference's KID sums and k-NN
