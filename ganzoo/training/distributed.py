"""Data-parallel training on torch.distributed: who this process is, and launching N of them.

A process learns its place from the variables torch's launcher (torchrun) sets:
RANK, WORLD_SIZE, LOCAL_RANK (and MASTER_ADDR/MASTER_PORT to meet). ``ganzoo run --nproc N``
starts N processes on this machine with the same variables, and supervises them itself so
that signals reach every one; across machines, users call torchrun themselves.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
import torch.distributed as dist

from ganzoo.errors import GanzooError
from ganzoo.relaunch import ganzoo_command


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


def launch(nproc: int, run_args: Sequence[str], run_dir: str | Path) -> int:
    """Run ``ganzoo run RUN_ARGS`` in ``nproc`` processes on this machine and wait for all of them.

    The launcher is the processes' supervisor, as torchrun would be, with signals handled the
    way a single process handles them: the first SIGINT or SIGTERM reaches every rank once
    (they agree on a step, write a checkpoint and exit 130), a second one kills them at once.
    When a rank fails, the others are stopped (they would wait for it forever). Should the
    launcher itself be killed, the kernel sends each rank SIGTERM (Linux), so none is orphaned.
    The launcher holds the run folder's lock for its ranks.
    """
    if nproc < 1:
        raise GanzooError(f"--nproc must be at least 1, got {nproc}")
    from ganzoo.training import runlock

    runlock.acquire(run_dir)
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE=str(nproc),
               LOCAL_WORLD_SIZE=str(nproc), **{runlock.HELD_ENV: str(Path(run_dir).resolve())})
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    command = ganzoo_command("run", *run_args)  # not `python -m ganzoo`: see ganzoo.relaunch
    ranks: list[subprocess.Popen] = []
    try:
        for rank in range(nproc):
            ranks.append(subprocess.Popen(command, env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
                                          start_new_session=True, preexec_fn=_stop_with_the_launcher))
        return _supervise(ranks, run_dir)
    finally:
        for process in ranks:  # only if the launcher itself failed: none may outlive it
            if process.poll() is None:
                process.kill()
                process.wait()
        runlock.release(run_dir)


def _supervise(ranks: list[subprocess.Popen], run_dir: str | Path) -> int:
    """Wait for every rank, forwarding SIGINT/SIGTERM; the exit code is 130 after a signal, else the first failure's."""
    received: list[int] = []

    def forward(signum, frame):
        received.append(signum)
        for process in ranks:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if len(received) == 1 else signal.SIGKILL)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    failure = 0
    try:
        while any(process.poll() is None for process in ranks):
            code = next((p.returncode for p in ranks if p.returncode not in (None, 0)), 0)
            if code and not failure and not received:
                failure = code
                for process in ranks:  # the others would wait for the failed rank forever
                    if process.poll() is None:
                        process.kill()
            time.sleep(0.05)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        if len(received) > 1:
            print(f"ganzoo: stopped at once; resume from the last checkpoint with:\n  ganzoo run --resume {run_dir}",
                  file=sys.stderr)
        return 130
    failure = failure or next((p.returncode for p in ranks if p.returncode), 0)
    return failure if failure >= 0 else 128 - failure  # a rank killed by signal N: 128 + N, as a shell says


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop_with_the_launcher() -> None:
    """In a rank, before it starts: SIGTERM when the launcher dies (Linux prctl PR_SET_PDEATHSIG)."""
    set_parent_death_signal(signal.SIGTERM)


def under_torchrun() -> bool:
    """Whether this process is a worker torchrun's agent started (it sets TORCHELASTIC_RUN_ID)."""
    return bool(os.environ.get("TORCHELASTIC_RUN_ID"))


def stop_with_the_torchrun_agent() -> None:
    """Under torchrun, at worker start: SIGTERM when the agent dies, so the worker stops (writing its
    checkpoint, as on any SIGTERM) instead of training on alone. torchrun starts workers in their own
    sessions, so a SIGKILL to the agent reaches no worker otherwise. Linux only; a no-op elsewhere."""
    if not under_torchrun():
        return
    agent = os.getppid()
    if set_parent_death_signal(signal.SIGTERM) and os.getppid() != agent:
        os.kill(os.getpid(), signal.SIGTERM)  # the agent died before the signal was set: it will not come


def set_parent_death_signal(signum: int) -> bool:
    """Have the kernel send ``signum`` to this process when its parent dies (Linux prctl
    PR_SET_PDEATHSIG); False where that cannot be set (other systems, a libc without prctl)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    return prctl(1, int(signum), 0, 0, 0) == 0  # PR_SET_PDEATHSIG = 1
