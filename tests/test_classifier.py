"""ganzoo's MNIST classifier: shipped small, pinned by SHA-256, loaded with weights_only=True."""

import hashlib
import shutil

import pytest
import torch

from conftest import SHARED_DATA, needs_real_mnist
from ganzoo import GanzooError
from ganzoo.eval import classifier
from ganzoo.cli import main


def test_the_shipped_weights_are_small_and_match_their_pinned_hash():
    data = classifier.SHIPPED_WEIGHTS.read_bytes()
    assert len(data) < 1_000_000
    assert hashlib.sha256(data).hexdigest() == classifier.SHIPPED_SHA256
    model, digest = classifier.load_classifier()
    assert digest == classifier.SHIPPED_SHA256 and not model.training


def test_the_weights_are_read_with_weights_only(monkeypatch):
    seen = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: seen.append(k.get("weights_only")) or real_load(*a, **k))
    classifier.load_classifier()
    assert seen == [True]


@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_altered_shipped_weights_are_refused(tmp_path, monkeypatch, dataset):
    shipped, digest, floor = classifier.SHIPPED[dataset]
    altered = tmp_path / shipped.name
    shutil.copy(shipped, altered)
    with open(altered, "r+b") as handle:
        handle.seek(-100, 2)
        handle.write(b"\x00" * 10)
    monkeypatch.setitem(classifier.SHIPPED, dataset, (altered, digest, floor))
    with pytest.raises(GanzooError, match="do not match their pinned SHA-256"):
        classifier.load_classifier(dataset=dataset)


FASHION_PACKAGE = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not __import__("os").path.isdir(FASHION_PACKAGE),
                    reason=f"Fashion-MNIST is not in {FASHION_PACKAGE} (apt-get install dataset-fashion-mnist)")
def test_the_shipped_fashion_classifier_is_right_on_at_least_90_percent_of_the_test_set(tmp_path):
    from ganzoo_zoo.fashion_mnist import FashionMNISTParams, load_fashion_mnist

    model, digest = classifier.load_classifier(dataset="fashion-mnist")
    assert digest == classifier.SHIPPED["fashion-mnist"][1]
    test = load_fashion_mnist(FashionMNISTParams(root=str(tmp_path))).held_out
    assert classifier.accuracy(model, test.images, test.labels) >= 0.90


def test_a_file_that_is_not_a_classifier_is_refused(tmp_path):
    other = tmp_path / "other.pt"
    torch.save({"format": "something-else"}, other)
    with pytest.raises(GanzooError, match="not a ganzoo MNIST classifier"):
        classifier.load_classifier(other)


def test_train_classifier_writes_float16_weights_that_load_back(mnist_root, tmp_path, capsys):
    out = tmp_path / "clf.pt"
    assert main(["train-classifier", "--data", str(mnist_root), "--epochs", "1", "--device", "cpu",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    model, digest = classifier.load_classifier(out)
    assert digest in printed and "test accuracy" in printed
    payload = torch.load(out, weights_only=True)
    assert all(v.dtype == torch.float16 for v in payload["state_dict"].values() if v.is_floating_point())


def test_train_classifier_without_data_is_a_one_line_error(tmp_path, capsys):
    assert main(["train-classifier", "--data", str(tmp_path), "--out", str(tmp_path / "c.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "MNIST train set not found" in err


@needs_real_mnist
def test_the_shipped_classifier_is_at_least_99_percent_accurate_on_the_mnist_test_set():
    from ganzoo.eval.mnist_data import read_mnist

    model, _ = classifier.load_classifier()
    assert classifier.accuracy(model, *read_mnist(SHARED_DATA, "test")) >= 0.99
