"""The reference plugin set: MLP shapes, the BCE objective's values, the MNIST reader."""

import math

import pytest
import torch
from torch import nn

from ganzoo import DataSpec, GanzooError, LossContext
from ganzoo_vanilla.bce import BCEParams, make_bce
from ganzoo_vanilla.mlp import (MLPDiscriminatorParams, MLPGeneratorParams, make_mlp_discriminator,
                                make_mlp_generator)
from ganzoo_vanilla.mnist import MNISTParams, load_mnist

MNIST = DataSpec((1, 28, 28), 10)


def linear_widths(module):
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def test_the_founding_documents_networks():
    G = make_mlp_generator(MLPGeneratorParams(latent_dim=100), MNIST)
    D = make_mlp_discriminator(MLPDiscriminatorParams(), MNIST)
    assert linear_widths(G) == [(100, 128), (128, 64), (64, 784)]
    assert linear_widths(D) == [(784, 64), (64, 128), (128, 1)]
    assert isinstance(G.net[-1], nn.Tanh) and sum(isinstance(m, nn.ReLU) for m in G.modules()) == 2
    x = G(torch.randn(5, 100))
    assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (5,)


def test_the_same_plugin_expresses_pytorch_gans_mlp():
    params = MLPGeneratorParams(latent_dim=100, hidden=[128, 256, 512, 1024], activation="leaky_relu",
                                batch_norm=True, batch_norm_eps=0.8)
    G = make_mlp_generator(params, MNIST)
    assert linear_widths(G) == [(100, 128), (128, 256), (256, 512), (512, 1024), (1024, 784)]
    norms = [m for m in G.modules() if isinstance(m, nn.BatchNorm1d)]
    assert [n.num_features for n in norms] == [256, 512, 1024]  # none after the first layer, as there
    assert all(n.eps == 0.8 for n in norms)
    assert all(m.negative_slope == 0.2 for m in G.modules() if isinstance(m, nn.LeakyReLU))
    D = make_mlp_discriminator(MLPDiscriminatorParams(hidden=[512, 256], activation="leaky_relu"), MNIST)
    assert linear_widths(D) == [(784, 512), (512, 256), (256, 1)]


def test_dropout_is_applied_after_each_hidden_layer():
    D = make_mlp_discriminator(MLPDiscriminatorParams(dropout=0.3), MNIST)
    assert [m.p for m in D.modules() if isinstance(m, nn.Dropout)] == [0.3, 0.3]


def ctx():
    return LossContext(discriminator=None, real=None, fake=None)


def test_bce_at_an_undecided_discriminator_is_2_log_2():
    loss = make_bce(BCEParams())
    zeros = torch.zeros(8)
    assert loss.discriminator_loss(zeros, zeros, ctx()).item() == pytest.approx(2 * math.log(2))
    assert loss.generator_loss(zeros, ctx()).item() == pytest.approx(math.log(2))


def test_bce_matches_the_minimax_formula_and_stays_finite():
    real, fake = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 0.2, 1.0])
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -(torch.log(d_real) + torch.log(1 - d_fake)).mean()
    non_saturating, minimax = make_bce(BCEParams()), make_bce(BCEParams(non_saturating=False))
    assert non_saturating.discriminator_loss(real, fake, ctx()).item() == pytest.approx(expected_d.item(), rel=1e-6)
    assert non_saturating.generator_loss(fake, ctx()).item() == pytest.approx(-torch.log(d_fake).mean().item(), rel=1e-6)
    assert minimax.generator_loss(fake, ctx()).item() == pytest.approx(torch.log(1 - d_fake).mean().item(), rel=1e-6)
    huge = torch.tensor([200.0, -200.0])
    assert torch.isfinite(non_saturating.discriminator_loss(huge, -huge, ctx()))
    assert torch.isfinite(minimax.generator_loss(huge, ctx()))


def test_one_sided_label_smoothing_moves_the_real_target():
    logits = torch.full((4,), 10.0)
    smooth = make_bce(BCEParams(real_label=0.9)).discriminator_loss(logits, -logits, ctx())
    plain = make_bce(BCEParams()).discriminator_loss(logits, -logits, ctx())
    assert smooth.item() > plain.item() + 0.5


def test_mnist_is_read_from_idx_files_and_scaled_to_tanh_range(mnist_root):
    data = load_mnist(MNISTParams(root=str(mnist_root), download=False))
    assert data.images.shape == (512, 1, 28, 28) and data.images.dtype == torch.uint8  # scaled by the trainer
    assert data.images.min() == 0 and data.images.max() == 255
    assert data.labels.shape == (512,) and data.num_classes == 10
    test = load_mnist(MNISTParams(root=str(mnist_root), split="test", limit=100, download=False))
    assert len(test) == 100


def test_mnist_root_defaults_to_ganzoo_data(data_env):
    assert len(load_mnist(MNISTParams(download=False, limit=10))) == 10


def test_missing_mnist_names_the_folder_and_the_files(tmp_path):
    with pytest.raises(GanzooError) as error:
        load_mnist(MNISTParams(root=str(tmp_path), download=False))
    message = str(error.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "t10k-labels-idx1-ubyte" in message
    assert "\n" not in message


def test_mnist_clusters_label_images_by_look_not_by_digit(mnist_root):
    # The fixture's digits are bars at one height per label: k-means finds the labels without reading them.
    digits = load_mnist(MNISTParams(root=str(mnist_root), download=False))
    clustered = load_mnist(MNISTParams(root=str(mnist_root), download=False, clusters=10))
    assert clustered.num_classes == 10 and clustered.labels.shape == digits.labels.shape
    assert torch.equal(clustered.images, digits.images)
    purity = sum(torch.bincount(digits.labels[clustered.labels == k]).max().item()
                 for k in clustered.labels.unique()) / len(digits.labels)
    assert purity > 0.95
    again = load_mnist(MNISTParams(root=str(mnist_root), download=False, clusters=10))
    assert torch.equal(again.labels, clustered.labels)  # seeded: a resumed run sees the same clusters
    # the test set is labelled by the same centroids: a test digit goes to the cluster of its training twins
    # (per-class FID compares the images drawn for cluster k with the test images of cluster k, not digit k)
    to_digit = {k: torch.bincount(digits.labels[clustered.labels == k]).argmax().item() for k in range(10)}
    read = torch.tensor([to_digit[k] for k in clustered.held_out.labels.tolist()])
    assert clustered.held_out.num_classes == 10
    assert (read == digits.held_out.labels).float().mean() > 0.95


@pytest.mark.parametrize("clusters", [1, -3])
def test_mnist_clusters_must_be_zero_or_several(clusters):
    with pytest.raises(ValueError, match="clusters must be 0"):
        MNISTParams(clusters=clusters)


def test_more_clusters_than_images_is_refused_with_the_mend(mnist_root):
    with pytest.raises(ValueError, match="clusters=10 needs at least 10 images, got 5; lower clusters"):
        load_mnist(MNISTParams(root=str(mnist_root), download=False, limit=5, clusters=10))
