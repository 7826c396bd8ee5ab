"""How many CPU threads torch's kernels use: ``train.threads``, or when it is null the cores that
other jobs leave free as the run starts.

torch's own default, one thread per core, thrashes on a machine whose cores are busy: its threads
spin waiting for one another while another job holds a core, and a vanilla_mnist step ran 2 to 10
times slower with two threads than with one on a shared 2-core box (docs/performance.md,
``python benchmarks/threads.py``). On an idle machine every core is free and the default takes them
all. The number chosen is written into the run's recipe.yaml, so a rerun or a resume uses it again.
"""

from __future__ import annotations

import os
from typing import Mapping, Optional


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under taskset or a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def free_cores(cores: int, load: Optional[float]) -> int:
    """Of ``cores``, those the other jobs leave free: ``cores`` less the 1-minute load average (rounded),
    at least 1; all of them when the load cannot be read."""
    if load is None:
        return cores
    return max(1, min(cores, round(cores - load)))


def choose_threads(requested: Optional[int], environ: Mapping[str, str] = os.environ) -> int:
    """``train.threads`` when set; else the free cores, at most OMP_NUM_THREADS when that is set
    (``--nproc`` sets it to each process's share of the cores)."""
    if requested is not None:
        return requested
    cores = available_cores()
    try:
        cores = min(cores, max(1, int(environ.get("OMP_NUM_THREADS", ""))))
    except ValueError:  # not set, or not a number
        pass
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Unix
        load = None
    return free_cores(cores, load)
