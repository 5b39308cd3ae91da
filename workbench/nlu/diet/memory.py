"""Keep the training process's resident memory flat on Linux (glibc malloc).

DIET's batches change shape every step (batch size and padded length vary), so freed
tensor buffers rarely fit the next request; glibc keeps them in its heaps (one arena per
OpenMP thread) and its dynamic mmap threshold grows. RSS then climbs although nothing
leaks (financial_demo, 2 threads: 1.37 GB peak after 100 epochs). A fixed 8 MiB mmap
threshold sends the largest buffers straight back to the OS, and ``malloc_trim`` after
an epoch, while the process is above 512 MB, returns the rest (12 epochs: peak
535 -> 486 MB; a 1 MiB threshold saved a little more memory but cost 30 % CPU in page
faults).
Under tcmalloc (``workbench/training/allocator.py`` preloads it for training processes
where it is installed) the mmap threshold does not apply, and trimming asks tcmalloc
to release its free pages instead. Elsewhere this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
from collections.abc import Callable

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 8 << 20  # blocks >= 8 MiB are mmapped and unmapped on free
# Trim only above this resident size: the process's floor (torch, data, model) is
# ~250-450 MB, and each trim costs the next epoch its page faults.
TRIM_ABOVE_BYTES = 512 << 20
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_libc: ctypes.CDLL | None = None
_configured = False


def _glibc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim"):
                _libc = lib
        except OSError:  # pragma: no cover - musl or unusual systems
            _libc = None
    return _libc


@functools.cache
def _tcmalloc() -> Callable[[], None] | None:
    """tcmalloc's ``ReleaseFreeMemory`` when this process runs with it, else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        release = ctypes.CDLL(None).MallocExtension_ReleaseFreeMemory
    except (OSError, AttributeError):
        return None
    release.restype = None
    return release


def _trim_function() -> Callable[[], None] | None:
    """What returns free heap memory to the OS here (None: nothing does)."""
    release = _tcmalloc()
    if release is not None:
        return release
    lib = _glibc()
    return (lambda: lib.malloc_trim(0)) if lib is not None else None


def limit_heap_retention() -> None:
    """Fix glibc's mmap threshold so large freed buffers are returned (idempotent)."""
    global _configured
    lib = _glibc()
    if lib is None or _configured or _tcmalloc() is not None:
        return
    lib.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
    lib.mallopt(_M_TRIM_THRESHOLD, 4 * _MMAP_THRESHOLD_BYTES)
    _configured = True


def release_free_memory(budget_bytes: int = TRIM_ABOVE_BYTES) -> bool:
    """Return free heap memory to the OS when the resident set exceeds the budget.

    Called once per epoch. Trimming costs time, because the next epoch faults the pages
    in again (financial_demo, 30 epochs: ~10-15 % slower when trimming every epoch), so
    it is only done while RSS is above ``budget_bytes``.

    Returns:
        Whether the heap was trimmed.
    """
    trim = _trim_function()
    if trim is None or _resident_bytes() <= budget_bytes:
        return False
    trim()
    return True


class HeapGuard:
    """Trim during an epoch when the heap has grown far beyond its last trimmed size.

    Large data sets run hundreds of steps per epoch, and freed buffers of ever new
    shapes pile up between the per-epoch trims (SNIPS at batch ~200: RSS 0.8 GB after
    a trim, 2.3 GB by the end of the epoch). Checking RSS after each step is cheap (one
    read of ``/proc/self/statm``); trimming only when it grew ``growth_bytes`` past the
    last trim keeps small data sets (financial_demo grows ~250 MB per epoch) untouched.

    Args:
        growth_bytes: Allowed growth over the resident size after the last trim.
        budget_bytes: Never trim below this resident size.
    """

    def __init__(self, growth_bytes: int = 512 << 20,
                 budget_bytes: int = TRIM_ABOVE_BYTES,
                 resident: Callable[[], int] | None = None,
                 trim: Callable[[], None] | None = None) -> None:
        self.growth_bytes, self.budget_bytes = growth_bytes, budget_bytes
        self._resident = resident or _resident_bytes
        self._trim = trim or _trim_function()
        self.enabled = self._trim is not None
        self.floor = self._resident()
        self.trims = 0

    def after_step(self) -> bool:
        """Trim if RSS grew too far since the last trim; return whether it did."""
        if not self.enabled:
            return False
        rss = self._resident()
        if rss <= max(self.budget_bytes, self.floor + self.growth_bytes):
            return False
        self._trim()
        self.trims += 1
        self.floor = self._resident()
        return True

    def trimmed(self) -> None:
        """Record that the heap was just trimmed elsewhere (e.g. after an epoch)."""
        self.floor = self._resident()


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 1 << 62  # unknown: behave as if over budget
