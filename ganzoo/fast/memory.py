"""Large CPU buffers reused instead of mapped afresh: glibc's malloc told to keep what a process frees.

glibc hands every allocation over 32 MB (and, until it has freed one, every one over 128 KB) to the
kernel as a fresh ``mmap``, and returns it with ``munmap`` when torch frees the tensor; the next
tensor of that size is mapped again and its pages are faulted in one by one, zeroed by the kernel.
``ganzoo eval`` of 10,000 MNIST images allocates such buffers by the hundred (the classifier's
activations, each 1,000 x 10,000 block of k-NN distances): 1.4 million page faults, 3 s of system
time in a 9 s evaluation. With mmap off and the heap's top trimmed only past 1 GiB, freed buffers go
back to malloc's free lists and the next tensor reuses their pages: 0.2 million faults, 0.65 s.

The cost is memory held: what a process freed stays in it (up to 1 GiB above what it uses), as
torch's CUDA caching allocator holds GPU memory. The ``ganzoo`` executable turns it on for its own
process (``ganzoo.cli.console``); Python code that imports ganzoo keeps the allocator it has.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_MAX = -4
#: free memory at the heap's top past which malloc gives it back to the system
TRIM_THRESHOLD = 1 << 30


def reuse_freed_memory(environ=os.environ) -> bool:
    """Tell glibc's malloc to serve large blocks from its heap and keep freed ones (see the module's doc).
    Whether it was done: not where the C library is not glibc, nor where the user tunes malloc already
    (``GLIBC_TUNABLES`` naming ``glibc.malloc``, a ``MALLOC_*_`` variable, or a preloaded allocator)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if "glibc.malloc" in environ.get("GLIBC_TUNABLES", "") or environ.get("LD_PRELOAD") \
            or any(key.startswith("MALLOC_") and key.endswith("_") for key in environ):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # the trim threshold first: setting either fixes both (glibc stops adjusting them by itself)
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(mallopt(M_MMAP_MAX, 0))
