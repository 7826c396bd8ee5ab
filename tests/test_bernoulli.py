"""The fused step's dropout masks (ganzoo.fast.bernoulli): the numbers ``Tensor.bernoulli_`` draws, and
torch's generator left where it leaves it, whichever way this CPU's kernel lets them be drawn."""

from __future__ import annotations

import pytest
import torch

from ganzoo.fast import bernoulli


def _masks(draw, shapes, ps, seed=7):
    torch.manual_seed(seed)
    outs = [torch.full(shape, 5.0) for shape in shapes]
    draw(outs, ps)
    return outs, torch.rand(4)  # the generator's next numbers show where it was left


def _one_by_one(outs, ps):
    for out, p in zip(outs, ps):
        out.bernoulli_(p)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8, 1 / 3, 0.0, 1.0])
def test_masks_are_bernoulli_s_own(p):
    shapes = [(128, 64), (128, 128), (1, 1), (3, 7)]
    expected, expected_next = _masks(_one_by_one, shapes, [p] * 4)
    got, got_next = _masks(bernoulli.bernoulli_each, shapes, [p] * 4)
    assert all(torch.equal(a, b) for a, b in zip(expected, got))
    assert torch.equal(expected_next, got_next)
    torch.manual_seed(3)
    alone = bernoulli.bernoulli_(torch.empty(40, 9, dtype=torch.float64), p)
    torch.manual_seed(3)
    assert torch.equal(alone, torch.empty(40, 9, dtype=torch.float64).bernoulli_(p))


def test_pieces_with_different_probabilities_and_views():
    buffer = torch.empty(256, 64)
    pieces = [buffer[:128], torch.empty(128, 128), buffer[128:], torch.empty(5)]
    ps = [0.2, 0.7, 0.2, 0.5]
    torch.manual_seed(11)
    _one_by_one([piece.clone() for piece in pieces], ps)
    expected = torch.rand(2)
    torch.manual_seed(11)
    reference = [piece.clone() for piece in pieces]
    _one_by_one(reference, ps)
    torch.manual_seed(11)
    bernoulli.bernoulli_each(pieces, ps)
    assert all(torch.equal(a, b) for a, b in zip(reference, pieces)) and torch.equal(torch.rand(2), expected)
    assert 0.1 < buffer[:128].mean() < 0.3  # about p ones


def test_a_cpu_whose_kernel_draws_otherwise_gets_bernoulli_itself(monkeypatch):
    monkeypatch.setattr(bernoulli, "_draws_alike", lambda p: False)
    monkeypatch.setattr(bernoulli, "_bits", lambda n: pytest.fail("drew bits where bernoulli_ draws otherwise"))
    expected, expected_next = _masks(_one_by_one, [(9, 4)], [0.3])
    got, got_next = _masks(bernoulli.bernoulli_each, [(9, 4)], [0.3])
    assert torch.equal(expected[0], got[0]) and torch.equal(expected_next, got_next)


def test_non_contiguous_and_integer_tensors_go_to_bernoulli():
    torch.manual_seed(5)
    strided = torch.empty(8, 6).t()
    ints = torch.empty(10, dtype=torch.int64)
    bernoulli.bernoulli_each([strided, ints], [0.4, 0.4])
    torch.manual_seed(5)
    assert torch.equal(strided, torch.empty(8, 6).t().bernoulli_(0.4))
    assert torch.equal(ints, torch.empty(10, dtype=torch.int64).bernoulli_(0.4))


def test_the_probe_refuses_probabilities_outside_0_1():
    assert not bernoulli._draws_alike(1.5) and not bernoulli._draws_alike(-0.1)
