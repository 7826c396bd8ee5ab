"""The ganzoo executable reuses the large buffers torch frees (ganzoo.fast.memory) instead of faulting fresh
pages in for each: `ganzoo eval` took 1.4 million page faults and 3 s of system time before."""

import platform
import subprocess
import sys

import pytest

from ganzoo.fast.memory import reuse_freed_memory

glibc = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                           reason="glibc's malloc only")

CHURN = """
import resource, sys, torch
from ganzoo.fast.memory import reuse_freed_memory
done = reuse_freed_memory() if sys.argv[1] == "reuse" else False
start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):  # 20 tensors of 48 MB, each freed before the next: as k-NN distance blocks are
    torch.ones(12_000_000).sum()
print(done, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)
"""


def churn(mode: str, env=None) -> tuple[bool, int]:
    result = subprocess.run([sys.executable, "-c", CHURN, mode], capture_output=True, text=True, env=env, check=True)
    done, faults = result.stdout.split()
    return done == "True", int(faults)


@glibc
def test_freed_buffers_are_reused_instead_of_faulted_in_again():
    done, reused = churn("reuse")
    _, fresh = churn("system")
    assert done
    # 20 x 48 MB in fresh pages is ~235,000 faults; reused, 23,000 to 59,000 here (the first buffer's
    # 12,000, and a few more where a small allocation took the start of a freed block)
    assert fresh > 100_000 and reused < fresh / 2, (reused, fresh)


@glibc
def test_a_user_s_own_malloc_settings_are_left_alone(monkeypatch):
    assert not reuse_freed_memory({"GLIBC_TUNABLES": "glibc.malloc.mmap_max=4"})
    assert not reuse_freed_memory({"MALLOC_ARENA_MAX_": "2"})
    assert not reuse_freed_memory({"LD_PRELOAD": "/usr/lib/libjemalloc.so.2"})


def test_elsewhere_it_does_nothing(monkeypatch):
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    assert not reuse_freed_memory({})
