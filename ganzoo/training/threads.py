"""How many CPU threads torch's kernels use: ``train.threads``, or when it is null the cores that
other jobs leave free as the run starts.

torch's own default, one thread per core, thrashes on a machine whose cores are busy: its threads
spin waiting for one another while another job holds a core, and a vanilla_mnist step ran 2 to 10
times slower with two threads than with one on a shared 2-core box (docs/performance.md,
``python benchmarks/threads.py``). On an idle machine every core is free and the default takes them
all. The number chosen is written into the run's recipe.yaml, so a rerun or a resume uses it again.

"Busy" is the larger of the 1-minute load average and the cores other processes kept busy over the
last tenth of a second (/proc/stat): the load average lags, and two runs started together each saw
the other's weight in it as nearly 0, took every core, and spun against each other.
"""

from __future__ import annotations

import os
import time
from typing import Iterable, Mapping, Optional


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under taskset or a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def free_cores(cores: int, load: Optional[float]) -> int:
    """Of ``cores``, those the other jobs leave free: ``cores`` less the busy ones (``load``: rounded),
    at least 1; all of them when the load cannot be read."""
    if load is None:
        return cores
    return max(1, min(cores, round(cores - load)))


def _busy_ticks(cpus: Iterable[int]) -> Optional[int]:
    """Clock ticks the ``cpus`` have spent busy since boot (/proc/stat's per-CPU lines), None where
    that cannot be read."""
    wanted = {f"cpu{n}" for n in cpus}
    try:
        with open("/proc/stat") as stat:
            lines = [line.split() for line in stat if line.startswith("cpu")]
    except OSError:  # not on Linux
        return None
    busy = 0
    for fields in lines:
        if fields[0] in wanted and len(fields) >= 8:
            user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[1:8])
            steal = int(fields[8]) if len(fields) > 8 else 0
            busy += user + nice + system + irq + softirq + steal
    return busy


def recent_busy_cores(window: float = 0.1) -> Optional[float]:
    """How many of this process's cores other processes kept busy over the last ``window`` seconds:
    their busy ticks, less this process's own CPU time. None where /proc/stat cannot be read."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return None
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    start_ticks, start_own, start_wall = _busy_ticks(cpus), time.process_time(), time.monotonic()
    if start_ticks is None:
        return None
    time.sleep(window)
    end_ticks, end_own, end_wall = _busy_ticks(cpus), time.process_time(), time.monotonic()
    others = (end_ticks - start_ticks) / ticks_per_second - (end_own - start_own)
    return max(0.0, others / (end_wall - start_wall))


def choose_threads(requested: Optional[int], environ: Mapping[str, str] = os.environ) -> int:
    """``train.threads`` when set; else the free cores, at most OMP_NUM_THREADS when that is set
    (``--nproc`` sets it to each process's share of the cores: the free cores are counted over all of
    them, so that its sibling processes, busy starting up, do not shrink each one's share)."""
    if requested is not None:
        return requested
    try:
        load: Optional[float] = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Unix
        load = None
    busy_now = recent_busy_cores()
    if busy_now is not None:
        load = busy_now if load is None else max(load, busy_now)
    free = free_cores(available_cores(), load)
    try:
        return min(free, max(1, int(environ.get("OMP_NUM_THREADS", ""))))
    except ValueError:  # not set, or not a number
        return free
