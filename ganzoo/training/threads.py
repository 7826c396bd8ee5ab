"""How many CPU threads torch's kernels use: ``train.threads``, or when it is null the cores that
other jobs leave free as the run starts.

torch's own default, one thread per core, thrashes on a machine whose cores are busy: its threads
spin waiting for one another while another job holds a core, and a vanilla_mnist step ran 2 to 10
times slower with two threads than with one on a shared 2-core box (docs/performance.md,
``python benchmarks/threads.py``). On an idle machine every core is free and the default takes them
all. The number chosen is written into the run's recipe.yaml, so a rerun or a resume uses it again.

"Busy" is the cores other processes kept busy while this one started (/proc/stat, from the moment the
``ganzoo`` executable started, :func:`watch_from_now`, to the choice: its imports and data loading, a
second or more, at no cost), or over a tenth of a second when nothing watched the start. Not the
1-minute load average, where /proc/stat can be read: it lags both ways. Two runs started together each
saw the other's weight in it as nearly 0, took every core, and spun against each other; and a run or an
evaluation started just after another had ended still saw the finished one's weight (about 1 on 2
cores) and took one core of an idle machine: `ganzoo eval` right after `ganzoo run` took 1.4-1.5x as
long as with both cores.
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


#: (busy ticks, own CPU time, monotonic time) when the executable started: :func:`watch_from_now`
_WATCH: Optional[tuple] = None
#: a watch older than this no longer says what the machine does now: a fresh window is taken instead
WATCH_LIMIT_S = 30.0


def _now() -> Optional[tuple]:
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return None
    ticks = _busy_ticks(cpus)
    return None if ticks is None else (ticks, time.process_time(), time.monotonic())


def watch_from_now() -> None:
    """Start counting the cores other processes keep busy (``ganzoo.cli.console`` calls it first thing):
    the thread choice then reads the whole start-up instead of waiting a tenth of a second."""
    global _WATCH
    _WATCH = _now()


def recent_busy_cores(window: float = 0.1) -> Optional[float]:
    """How many of this process's cores other processes kept busy since :func:`watch_from_now` (when it was
    called between ``window`` and ``WATCH_LIMIT_S`` seconds ago), else over the next ``window`` seconds:
    their busy ticks, less this process's own CPU time. None where /proc/stat cannot be read."""
    start = _WATCH
    if start is None or not window <= time.monotonic() - start[2] <= WATCH_LIMIT_S:
        start = _now()
        if start is None:
            return None
        time.sleep(window)
    end = _now()
    if end is None:
        return None
    others = (end[0] - start[0]) / os.sysconf("SC_CLK_TCK") - (end[1] - start[1])
    return max(0.0, others / (end[2] - start[2]))


def busy_cores() -> Optional[float]:
    """The cores other jobs keep busy: :func:`recent_busy_cores`, or the 1-minute load average where
    /proc/stat cannot be read (not on Linux); None where neither can."""
    busy = recent_busy_cores()
    if busy is not None:
        return busy
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Unix
        return None


def choose_threads(requested: Optional[int], environ: Mapping[str, str] = os.environ) -> int:
    """``train.threads`` when set; else the free cores, at most OMP_NUM_THREADS when that is set
    (``--nproc`` sets it to each process's share of the cores: the free cores are counted over all of
    them, so that its sibling processes, busy starting up, do not shrink each one's share)."""
    if requested is not None:
        return requested
    free = free_cores(available_cores(), busy_cores())
    try:
        return min(free, max(1, int(environ.get("OMP_NUM_THREADS", ""))))
    except ValueError:  # not set, or not a number
        return free
