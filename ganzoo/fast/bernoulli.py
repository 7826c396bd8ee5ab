"""``Tensor.bernoulli_(p)`` on the CPU, the same numbers from the same generator state, about 2x faster.

Where ATen's ``bernoulli_(p)`` takes its portable kernel (no MKL stream: the AMD CPUs here, for one),
it draws each element alone: 64 random bits from the generator, their low 53 as a double ``u`` in
[0, 1), and ``u < p``. ``random_()`` on an int64 tensor draws the same 64 bits per element (its top bit
dropped) without the per-element double, so keeping 53 bits and comparing them with ``ceil(p * 2**53)``
as integers (exact: ``u < p`` is ``k * 2**-53 < p``) gives the same mask and leaves the generator where
``bernoulli_`` would. Dropout masks on the fused MLP step spent ~15% of the founding recipe's step in
``bernoulli_``.

Whether this torch on this CPU draws that way is checked once per ``p`` on a probe, against
``bernoulli_`` itself and the generator's state after it (under ``fork_rng``); where it does not (MKL's
kernel, a torch that changed its kernels), ``bernoulli_`` runs as before. Either way the masks are the
ones autograd's ``nn.Dropout`` draws, so the fused step and autograd's still train alike.
"""

from __future__ import annotations

import functools
import math
from typing import List, Sequence

import torch

_BITS = 53
_LOW_BITS = (1 << _BITS) - 1
_PROBE = 4099  # elements: more than one of ATen's parallel grains, and an odd tail


def bernoulli_(out: torch.Tensor, p: float) -> torch.Tensor:
    """``out.bernoulli_(p)``: 1 with probability ``p``, else 0, in ``out`` (a float tensor)."""
    bernoulli_each([out], [p])
    return out


def bernoulli_each(outs: Sequence[torch.Tensor], ps: Sequence[float]) -> None:
    """``out.bernoulli_(p)`` for each pair in turn, from one draw of random bits where it can."""
    if not all(_fits(out, p) for out, p in zip(outs, ps)):
        for out, p in zip(outs, ps):
            out.bernoulli_(p)
        return
    bits = _bits(sum(out.numel() for out in outs))
    start = 0
    for out, p in zip(outs, ps):
        n = out.numel()
        torch.lt(bits[start:start + n].view(out.shape), _threshold(p), out=out)
        start += n


class ScaledMasks:
    """Dropout masks of fixed shapes drawn at every step: ``draw()`` fills one (rows, features) mask per
    layer, scaled by 1/keep as ``nn.Dropout`` scales them, with the numbers ``bernoulli_each`` would draw
    for their pieces in the order of separate calls (batch by batch, each batch layer by layer). The masks
    and the random bits live in buffers kept from draw to draw, and where the batches are of one size each
    layer's mask is one comparison of a strided view of the bits: a handful of kernel calls a draw instead
    of several per piece. A mask is overwritten by the next draw."""

    def __init__(self, layers: Sequence[tuple], batches: Sequence[int], like: torch.Tensor):
        rows = sum(batches)
        self.keeps = [keep for _, keep in layers]
        self.masks = [like.new_empty(rows, features) for features, _ in layers]
        self.bits, self.pieces = None, []
        if len(set(batches)) == 1 and all(_fits(mask, keep) for mask, keep in zip(self.masks, self.keeps)):
            count, size = len(batches), batches[0]
            width = sum(features for features, _ in layers)
            self.bits = torch.empty(count * size * width, dtype=torch.int64, device=like.device)
            per_batch, offset, self.comparisons = self.bits.view(count, size * width), 0, []
            for (features, keep), mask in zip(layers, self.masks):
                source = per_batch[:, offset * size:(offset + features) * size]  # this layer's bits of each batch
                self.comparisons.append((source, _threshold(keep), mask.view(count, size * features), keep))
                offset += features
            return
        start = 0  # else each piece by bernoulli_: (mask rows, keep) in the order separate calls draw them
        for size in batches:
            self.pieces += [(mask[start:start + size], keep) for mask, keep in zip(self.masks, self.keeps)]
            start += size

    def draw(self) -> List[torch.Tensor]:
        if self.bits is None:
            for piece, keep in self.pieces:
                piece.bernoulli_(keep)
            for mask, keep in zip(self.masks, self.keeps):
                mask.div_(keep)
            return self.masks
        self.bits.random_().bitwise_and_(_LOW_BITS)
        for source, threshold, out, keep in self.comparisons:
            torch.lt(source, threshold, out=out).div_(keep)
        return self.masks


def _fits(out: torch.Tensor, p: float) -> bool:
    return out.device.type == "cpu" and out.is_contiguous() and out.is_floating_point() and _draws_alike(p)


def _bits(n: int) -> torch.Tensor:
    """n elements' low 53 random bits, as ``bernoulli_`` draws them."""
    return torch.empty(n, dtype=torch.int64).random_().bitwise_and_(_LOW_BITS)


def _threshold(p: float) -> int:
    return math.ceil(p * 2.0 ** _BITS)


@functools.lru_cache(maxsize=None)
def _draws_alike(p: float) -> bool:
    """Whether the bits of one draw, compared with the threshold, give two ``bernoulli_(p)`` calls'
    masks in turn and leave torch's CPU generator as they do."""
    if not 0.0 <= p <= 1.0:
        return False
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(20261207)
        expected = torch.cat([torch.empty(_PROBE).bernoulli_(p), torch.empty(_PROBE // 3).bernoulli_(p)])
        expected_next = torch.rand(3)
        torch.manual_seed(20261207)
        got = torch.lt(_bits(expected.numel()), _threshold(p)).to(expected.dtype)
        got_next = torch.rand(3)
    return torch.equal(expected, got) and torch.equal(expected_next, got_next)
