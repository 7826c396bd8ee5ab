"""Data-parallel training on torch.distributed: who this process is, and launching N of them.

A process learns its place from the variables torch's launcher (torchrun) sets:
RANK, WORLD_SIZE, LOCAL_RANK. ``ganzoo run --nproc N`` starts N processes on this
machine through the same launcher; across machines, users call torchrun themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.distributed as dist

from ganzoo.errors import GanzooError


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def world_from_env() -> World:
    try:
        return World(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                     int(os.environ.get("LOCAL_RANK", 0)))
    except ValueError:
        raise GanzooError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (they are set by torchrun)") from None


def device_for(world: World, device: torch.device) -> torch.device:
    """Each process on a machine takes its own GPU."""
    if world.distributed and device.type == "cuda" and device.index is None:
        return torch.device("cuda", world.local_rank)
    return device


def init_process_group(world: World, device: torch.device) -> None:
    if not world.distributed or dist.is_initialized():
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo",
                            rank=world.rank, world_size=world.size)


def broadcast_object(value: Any, world: World) -> Any:
    """Rank 0's ``value`` on every rank."""
    if not world.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def sum_over_ranks(tensor: torch.Tensor, world: World) -> torch.Tensor:
    if world.distributed:
        dist.all_reduce(tensor)
    return tensor


def average_gradients(params, world: World) -> None:
    """Replace each parameter's gradient by its mean over all processes, in one all-reduce:
    with each process's loss a mean over its share of the batch, that is the gradient of the
    whole batch. (What DistributedDataParallel does in buckets during the backward pass; done
    after it here, so any algorithm's graph, penalties and frozen models included, is averaged
    alike.)"""
    grads = [p.grad for p in params if p.grad is not None]
    if not world.distributed or not grads:
        return
    from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

    flat = _flatten_dense_tensors(grads)
    dist.all_reduce(flat)
    flat /= world.size
    for grad, mean in zip(grads, _unflatten_dense_tensors(flat, grads)):
        grad.copy_(mean)


def any_rank(flag: bool, world: World, device: torch.device) -> bool:
    """True on every rank when ``flag`` is true on any rank."""
    if not world.distributed:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value)
    return value.item() > 0


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def shutdown() -> None:
    """Leave the process group together: a rank that tears down its connections while a
    peer still uses them can make gloo abort the peer."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def launch(nproc: int, run_args: Sequence[str]) -> int:
    """Run ``ganzoo run RUN_ARGS`` in ``nproc`` processes on this machine, through torchrun."""
    if nproc < 1:
        raise GanzooError(f"--nproc must be at least 1, got {nproc}")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "ganzoo", "run", *run_args]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    env.setdefault("LOGLEVEL", "ERROR")
    return subprocess.call(command, env=env)
