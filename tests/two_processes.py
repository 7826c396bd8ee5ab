"""A computation on a batch in one process, and on its halves in two gloo processes, as under
``ganzoo run --nproc 2``: what a loss that takes statistics across the batch is tested with."""

import socket

import torch


def one_and_two_processes(compute, batch, folder):
    """``compute(*batch)`` here, and ``compute(*halves)`` in two forked gloo processes, rank r given the
    r-th half (dim 0) of each tensor of ``batch``: (what one process returns, [what each rank returns])."""
    import torch.multiprocessing as mp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.start_processes(_rank, args=(port, compute, batch, str(folder)), nprocs=2, start_method="fork")
    return compute(*batch), [torch.load(f"{folder}/{rank}.pt", weights_only=True) for rank in (0, 1)]


def _rank(rank, port, compute, batch, folder):
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", rank=rank, world_size=2)
    try:
        halves = [values.chunk(2)[rank] for values in batch]
        torch.save(compute(*halves), f"{folder}/{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


def averaged(gradients):
    """The trainer's average of two ranks' gradients, each rank's (rows, ...) put back in batch order:
    ``gradients`` are the ranks' tuples of gradients of their halves."""
    return tuple(torch.cat(halves) / 2 for halves in zip(*gradients))
