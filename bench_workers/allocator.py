"""Keep the memory that numpy frees for the next array, in a process that samples.

A simulated run of a wide workload makes and drops hundreds of megabytes of shot-sized
arrays (100 000 shots × 8 bytes is 800 kB each, tens of them per circuit). By default glibc
gives free memory at the top of its heap back to the system as soon as it passes a few
megabytes, so the next array of the same size is faulted in again page by page, and on a
virtual machine that costs more than the arithmetic done on it (GHZ-100: ~2 500 page faults
and ~40 % of the time of counting one circuit's shots). Raising glibc's trim and mmap
thresholds keeps those pages in the process for reuse; its resident size then stays at the
peak that a run reaches anyway. Elsewhere than glibc this does nothing.

The cyclic garbage collector is kept off what lives as long as the process: once a device
model has loaded, the imports, the model and its transpiler objects are some 260 000
objects that every full collection would walk again (~160 ms, every few runs of a wide
workload), where a run itself leaves a few thousand.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""``mallopt`` parameters, from glibc's ``malloc.h``."""
TRIM_THRESHOLD = 1 << 30
"""Free memory at the top of the heap kept before any is given back."""
MMAP_THRESHOLD = 1 << 25
"""Allocations from this size up get pages of their own, returned when freed (glibc's
largest automatic threshold)."""


@cache
def keep_freed_memory() -> bool:
    """Set the thresholds once per process; whether the C library took them."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    )


def exempt_survivors() -> None:
    """Collect once, then leave everything still alive out of later collections
    (``gc.freeze``): objects freed later are still freed by reference counting."""
    gc.collect()
    gc.freeze()
