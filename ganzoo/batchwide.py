"""Statistics over the whole batch under ``ganzoo run --nproc N``, where each process holds 1/N of it.

The trainer averages the processes' gradients and nothing else, which is the whole batch's gradient
for a loss that is a mean over images. A loss that compares an image with the rest of the batch (a
mean of D's logits, a softmax over the batch, mean features) must see the whole batch instead of its
process's share, and its gradient must reach every process's images: ``whole_batch`` gives both.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def whole_batch(share: torch.Tensor) -> torch.Tensor:
    """The whole batch's ``share``: every process's share of it, concatenated along dim 0 in rank order.

    In one process that is ``share`` itself, so a loss computes exactly what it did. Under ``--nproc N``
    gradients flow back to each process's own share: every process must call it at the same point of
    its step, with a share of the same shape (``ganzoo run`` gives each process as many pictures), and
    take its loss's gradient through it. Take statistics of the result: ``whole_batch(logits).mean()``,
    ``whole_batch(logits).logsumexp(0)``, ``whole_batch(features).mean(0)``; a loss's own mean over
    images stays over ``share`` (the trainer's average over the processes completes it).
    """
    if share.dim() == 0:
        raise ValueError("whole_batch takes a batch (a tensor of one row per picture), got a scalar")
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return share
    if share.requires_grad and torch.is_grad_enabled():
        return _Gathered.apply(share)
    return _gathered(share)


def _gathered(share: torch.Tensor) -> torch.Tensor:
    shares = [torch.empty_like(share) for _ in range(dist.get_world_size())]
    dist.all_gather(shares, share.contiguous())
    return torch.cat(shares)


class _Gathered(torch.autograd.Function):
    """An all-gather whose gradient is summed over the processes and split back into their shares: each
    process's share then gets its part of every process's loss, and the trainer's average of the
    processes' gradients is one process's gradient."""

    @staticmethod
    def forward(ctx, share: torch.Tensor) -> torch.Tensor:
        ctx.rank, ctx.rows = dist.get_rank(), share.shape[0]
        return _gathered(share.detach())

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad.narrow(0, ctx.rank * ctx.rows, ctx.rows)
