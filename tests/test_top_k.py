"""Top-k training (Sinha et al. 2020), an option of the gan algorithm: k's schedule is a function
of the step, the generator's loss reads the k fakes D scores highest, off changes nothing, and a
stopped run resumes exactly."""

from __future__ import annotations

import pytest
import torch

from ganzoo import GAN, GANParams, LossContext
from ganzoo.training.trainer import TrainingInterrupted
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import assert_same_run, final_weights, train

# 64 images a batch, 8 steps an epoch, 32 steps: k is 64 for steps 0-3, 32 for 4-7, then 16
TOP_K = ["algorithm.params.top_k=true", "algorithm.params.top_k_decay=0.5", "algorithm.params.top_k_every=4",
         "algorithm.params.top_k_min=0.25"]


def test_k_starts_at_the_batch_and_decays_every_so_many_steps_to_the_floor():
    gan = GAN(GANParams(top_k=True, top_k_decay=0.5, top_k_every=4, top_k_min=0.25))
    assert [gan.top_k(step, 64) for step in (0, 3, 4, 7, 8, 100)] == [64, 64, 32, 32, 16, 16]
    assert GAN(GANParams(top_k=True, top_k_decay=0.99, top_k_every=1, top_k_min=0.5)).top_k(1, 10) == 9
    assert GAN(GANParams(top_k=True, top_k_min=0.01)).top_k(10**6, 3) == 1  # never fewer than one
    assert [GAN().top_k(step, 64) for step in (0, 10**6)] == [64, 64]  # off: the whole batch


def test_the_generator_loss_reads_the_fakes_d_scores_highest_and_their_rows():
    gan = GAN(GANParams(top_k=True, top_k_decay=0.5, top_k_every=1, top_k_min=0.5))
    logits = torch.tensor([0.25, -2.0, 1.5, 0.125])
    rows = torch.arange(4.0).view(4, 1, 1, 1)
    ctx = LossContext(None, rows + 10, rows + 20, torch.tensor([0, 1, 2, 3]), 0, rows.view(4, 1) + 30,
                      fake_extras={"classes": rows.view(4, 1) + 40})
    chosen, sub = gan.top_k_fakes(logits, ctx, index=1)  # k = 2: rows 2 and 0
    assert sorted(chosen.tolist()) == [0.25, 1.5]
    order = sub.labels.tolist()
    assert sorted(order) == [0, 2]
    for tensor, offset in ((sub.real, 10), (sub.fake, 20), (sub.latent, 30), (sub.fake_extras["classes"], 40)):
        assert tensor.flatten().tolist() == [offset + row for row in order]  # the same rows everywhere
    assert torch.equal(chosen, logits[sub.labels])


@pytest.mark.parametrize("params", [GANParams(), GANParams(top_k=True, top_k_min=1.0),
                                    GANParams(top_k=True, top_k_every=10)])
def test_a_whole_batch_passes_through_untouched(params):
    """Off (or while k is the batch), the loss gets the very tensors it got before top-k existed."""
    logits, ctx = torch.randn(8), LossContext(None, torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2))
    chosen, same = GAN(params).top_k_fakes(logits, ctx, index=3)
    assert chosen is logits and same is ctx


def test_top_k_changes_training_and_a_stopped_run_resumes_exactly(data_env, tmp_path):
    reference = tmp_path / "reference"
    train(reference, TOP_K)
    plain = tmp_path / "plain"
    train(plain)
    assert not all(torch.equal(a, b) for a, b in zip(final_weights(plain).values(), final_weights(reference).values()))
    run_dir = tmp_path / "stopped"
    assert isinstance(train(run_dir, TOP_K, stop_at=6), TrainingInterrupted)  # k = 32 at the stop
    train(run_dir, resume=True)
    assert_same_run(run_dir, reference)
