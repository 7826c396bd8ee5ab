"""Fashion-MNIST (offline), the Gaussian mixture and image folders."""

import gzip
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganzoo import GanzooError
from ganzoo_zoo.fashion_mnist import SYSTEM_SOURCE, FashionMNISTParams, load_fashion_mnist
from ganzoo_zoo.gaussians import GaussianMixtureParams, load_gaussian_mixture, mixture_figures
from ganzoo_zoo.image_folder import ImageFolderParams, load_image_folder
from idx import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, idx_bytes, synthetic_digits


# ------------------------------------------------------------------ Fashion-MNIST
@pytest.fixture(scope="module")
def fashion_source(tmp_path_factory) -> Path:
    """The four .gz files, as the Debian package ships them."""
    source = tmp_path_factory.mktemp("fashion-mnist")
    train, test = synthetic_digits(96, seed=3), synthetic_digits(32, seed=4)
    for name, array in ((TRAIN_IMAGES, train[0]), (TRAIN_LABELS, train[1]),
                        (TEST_IMAGES, test[0]), (TEST_LABELS, test[1])):
        (source / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
    return source


def test_fashion_mnist_is_decompressed_from_the_package_folder(fashion_source, tmp_path):
    data = load_fashion_mnist(FashionMNISTParams(root=str(tmp_path), source=str(fashion_source)))
    assert data.images.shape == (96, 1, 28, 28) and data.num_classes == 10
    assert data.images.dtype == torch.uint8  # 4x smaller than floats; the trainer scales batches
    assert torch.equal(data.labels, torch.from_numpy(synthetic_digits(96, seed=3)[1]).long())
    raw = tmp_path / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted([TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS])
    # a second load reads the decompressed files, even with the source gone
    again = load_fashion_mnist(FashionMNISTParams(root=str(tmp_path), source=str(tmp_path / "gone"),
                                                  split="test", limit=10))
    assert again.images.shape == (10, 1, 28, 28)
    from torchvision.datasets import FashionMNIST  # the reader ganzoo's gives the same tensors as

    for split, ours in (("train", data), ("test", data.held_out)):
        theirs = FashionMNIST(str(tmp_path), train=split == "train", download=False)
        assert torch.equal(ours.images[:, 0], theirs.data) and torch.equal(ours.labels, theirs.targets)


def test_a_truncated_fashion_mnist_file_is_a_one_line_error(fashion_source, tmp_path):
    load_fashion_mnist(FashionMNISTParams(root=str(tmp_path), source=str(fashion_source)))
    images = tmp_path / "FashionMNIST" / "raw" / TEST_IMAGES
    images.write_bytes(images.read_bytes()[:1000])
    with pytest.raises(GanzooError, match=r"cannot read Fashion-MNIST .*\(truncated.*delete them") as error:
        load_fashion_mnist(FashionMNISTParams(root=str(tmp_path), source=str(tmp_path / "gone")))
    assert "\n" not in str(error.value)


def test_fashion_mnist_clusters_replace_the_class_labels_on_both_sides(fashion_source, tmp_path):
    data = load_fashion_mnist(FashionMNISTParams(root=str(tmp_path), source=str(fashion_source), clusters=4))
    assert data.num_classes == 4 and sorted(data.labels.unique().tolist()) == [0, 1, 2, 3]
    # the held-out images carry cluster ids of the same centroids, so per-class FID compares a cluster with itself
    assert data.held_out.num_classes == 4
    assert data.held_out.labels.max() < 4 and not torch.equal(data.held_out.labels, data.labels[:32])
    with pytest.raises(ValueError, match="clusters must be 0"):
        FashionMNISTParams(clusters=1)


def test_missing_fashion_mnist_is_a_one_line_error_naming_the_package(tmp_path):
    with pytest.raises(GanzooError, match="apt-get install dataset-fashion-mnist") as error:
        load_fashion_mnist(FashionMNISTParams(root=str(tmp_path), source=str(tmp_path / "nowhere")))
    assert "\n" not in str(error.value)


@pytest.mark.skipif(not Path(SYSTEM_SOURCE, "t10k-images-idx3-ubyte.gz").is_file(),
                    reason="the dataset-fashion-mnist package is not installed")
def test_the_installed_package_is_read_by_default(tmp_path):
    data = load_fashion_mnist(FashionMNISTParams(root=str(tmp_path), split="test"))
    assert data.images.shape == (10000, 1, 28, 28)
    assert torch.bincount(data.labels).tolist() == [1000] * 10


# ------------------------------------------------------------------ Gaussian mixture
@pytest.mark.parametrize("layout, modes", [("ring", 8), ("grid", 25)])
def test_the_mixture_itself_covers_every_mode_with_high_quality(layout, modes):
    data = load_gaussian_mixture(GaussianMixtureParams(layout=layout, samples=5000))
    assert data.images.shape == (5000, 2) and data.num_classes == modes
    assert data.images.abs().max() < 1.0
    figures = data.presentation.figures(data.images)
    assert figures["modes"] == modes and figures["modes_total"] == modes
    # within 3 std of its centre in 2-D: 1 - exp(-9/2) = 98.9%
    assert figures["high_quality"] == pytest.approx(0.989, abs=0.01)


def test_a_collapsed_generator_covers_one_mode_and_noise_covers_none():
    data = load_gaussian_mixture(GaussianMixtureParams(layout="ring", samples=4000))
    one_mode = data.images[data.labels == 3]
    assert data.presentation.figures(one_mode) == {"modes": 1, "modes_total": 8, "high_quality": pytest.approx(0.989, abs=0.02)}
    uniform = torch.rand(4000, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert data.presentation.figures(uniform)["high_quality"] < 0.01
    assert data.presentation.figures(uniform)["modes"] == 0


def test_a_mode_with_a_few_stray_samples_is_not_covered():
    centers = torch.tensor([[0.5, 0.0], [-0.5, 0.0]])
    samples = torch.cat([centers[:1].repeat(99, 1), centers[1:]])  # 99 at one mode, 1 at the other
    assert mixture_figures(samples, centers, std=0.01)["modes"] == 1  # 1 < 20% of 50


def test_the_mixture_is_drawn_as_a_scatter_plot():
    data = load_gaussian_mixture(GaussianMixtureParams(layout="grid", samples=500))
    picture = Image.open(io.BytesIO(data.presentation.plot(data.images)))
    assert picture.format == "PNG" and picture.size[0] >= 400
    pixels = np.asarray(picture.convert("RGB")).reshape(-1, 3)
    assert ((pixels == [30, 80, 200]).all(axis=1)).sum() > 500  # the sample dots


def test_the_mixture_is_the_same_for_the_same_seed():
    a = load_gaussian_mixture(GaussianMixtureParams(samples=100, seed=1))
    b = load_gaussian_mixture(GaussianMixtureParams(samples=100, seed=1))
    assert torch.equal(a.images, b.images)


# ------------------------------------------------------------------ image folders
def _save(path: Path, size, color, mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)


def test_an_image_folder_with_class_subfolders_is_resized_and_labelled(tmp_path):
    _save(tmp_path / "cats" / "a.png", (40, 20), (255, 0, 0))
    _save(tmp_path / "cats" / "b.JPG", (20, 20), (255, 0, 0))
    _save(tmp_path / "dogs" / "c.jpeg", (64, 80), (0, 0, 255))
    _save(tmp_path / "dogs" / "d.png", (10, 10), 128, mode="L")
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    data = load_image_folder(ImageFolderParams(path=str(tmp_path), size=16))
    assert data.images.shape == (4, 3, 16, 16)
    assert data.labels.tolist() == [0, 0, 1, 1] and data.num_classes == 2
    assert data.images.dtype == torch.uint8
    assert data.images[0, 0].float().mean() == pytest.approx(255, abs=3)  # red stays red after resizing
    assert data.images[2, 2].float().mean() == pytest.approx(255, abs=3)
    grey = load_image_folder(ImageFolderParams(path=str(tmp_path), size=8, channels=1, limit=3))
    assert grey.images.shape == (3, 1, 8, 8)


def test_a_flat_image_folder_is_unlabelled(tmp_path):
    _save(tmp_path / "a.png", (32, 32), (0, 0, 0))
    _save(tmp_path / "more" / "b.png", (32, 32), (0, 0, 0))
    data = load_image_folder(ImageFolderParams(path=str(tmp_path), size=28))
    assert data.images.shape == (2, 3, 28, 28) and data.labels is None


@pytest.mark.parametrize("setup, words", [
    (lambda root: None, "not found"),
    (lambda root: root.mkdir(), "no PNG or JPEG images"),
    (lambda root: (root.mkdir(), (root / "x.png").write_bytes(b"not a png")), "cannot read image"),
])
def test_image_folder_problems_are_one_line_errors(tmp_path, setup, words):
    root = tmp_path / "images"
    setup(root)
    with pytest.raises(GanzooError, match=words) as error:
        load_image_folder(ImageFolderParams(path=str(root)))
    assert "\n" not in str(error.value)


def _claiming(path: Path, width: int, height: int) -> None:
    """A small PNG whose header claims width x height pixels (a decompression bomb's header)."""
    import struct
    import zlib

    _save(path, (1, 1), (0, 0, 0))
    data = bytearray(path.read_bytes())
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    path.write_bytes(bytes(data))


def test_an_image_that_claims_20000_by_20000_pixels_is_a_one_line_error(tmp_path, capsys):
    from ganzoo import cli

    import yaml

    _claiming(tmp_path / "images" / "bomb.png", 20000, 20000)
    recipe = yaml.safe_load((Path(__file__).parents[1] / "recipes" / "dcgan_mnist.yaml").read_text())
    recipe["dataset"] = {"name": "image-folder", "params": {"path": str(tmp_path / "images"), "size": 28, "channels": 1}}
    (tmp_path / "bomb.yaml").write_text(yaml.safe_dump(recipe))
    code = cli.main(["run", str(tmp_path / "bomb.yaml"), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err, err
    assert "bomb.png' is too large to read safely (400,000,000 pixels)" in err


def test_image_folder_can_skip_images_that_cannot_be_decoded_and_count_them(tmp_path):
    for i in range(3):
        _save(tmp_path / f"{i}.png", (12, 12), (0, 0, 200))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(GanzooError, match=r"broken.png.*dataset.params.bad_images=skip"):
        load_image_folder(ImageFolderParams(path=str(tmp_path), size=8))
    with pytest.warns(UserWarning, match="left out 1 of 4 images"):
        data = load_image_folder(ImageFolderParams(path=str(tmp_path), size=8, bad_images="skip"))
    assert data.images.shape == (3, 3, 8, 8)


def test_an_image_folder_holds_out_a_seeded_split_that_training_never_sees(tmp_path):
    for i in range(10):
        _save(tmp_path / ("cats" if i < 5 else "dogs") / f"{i}.png", (8, 8), (25 * i, 0, 0))
    whole = load_image_folder(ImageFolderParams(path=str(tmp_path), size=8))
    data = load_image_folder(ImageFolderParams(path=str(tmp_path), size=8, held_out=3, held_out_seed=1))
    again = load_image_folder(ImageFolderParams(path=str(tmp_path), size=8, held_out=3, held_out_seed=1))
    assert len(data) == 7 and len(data.held_out) == 3 and torch.equal(data.held_out.images, again.held_out.images)
    reds = lambda d: sorted(d.images[:, 0, 0, 0].tolist())  # noqa: E731 - each image's red is its own
    assert sorted(reds(data) + reds(data.held_out)) == reds(whole) and not set(reds(data)) & set(reds(data.held_out))
    for part in (data, data.held_out):  # labels follow their images
        assert [int(label) for label in part.labels] == [int(red >= 125) for red in part.images[:, 0, 0, 0]]
    with pytest.raises(ValueError, match="must leave images to train on"):
        load_image_folder(ImageFolderParams(path=str(tmp_path), size=8, held_out=10))
