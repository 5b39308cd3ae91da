"""How many CPU threads torch should use for a training run.

Measured here (docs/benchmarks.md): on a quiet 2-core machine two intra-op threads
train financial_demo ~1.4x faster than one, but when other work already keeps the
cores busy, two threads are several times *slower* than one, because every small op
waits for the other worker to be scheduled. So the automatic choice gives torch the
cores that are idle right now, and at least one. ``OMP_NUM_THREADS`` or an explicit
``--threads`` wins over it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_SAMPLE_SECONDS = 0.25


def auto_thread_count(cpu_count: int | None = None,
                      busy_cores: float | None = None) -> int:
    """Return the number of idle cores (at least 1).

    Args:
        cpu_count: Cores available (default: ``os.cpu_count()``).
        busy_cores: How many cores other work keeps busy (default: measured from
            ``/proc/stat`` over a quarter of a second, else the 1-minute load average,
            else 0).
    """
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    if busy_cores is None:
        busy_cores = _busy_cores(cores)
    return max(1, min(cores, cores - int(busy_cores + 0.5)))


def _busy_cores(cores: int) -> float:
    stat = Path("/proc/stat")
    try:
        before = _cpu_times(stat)
        time.sleep(_SAMPLE_SECONDS)
        after = _cpu_times(stat)
        total = sum(after) - sum(before)
        idle = (after[3] + after[4]) - (before[3] + before[4])  # idle + iowait
        return cores * (1.0 - idle / total) if total > 0 else 0.0
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has neither
        return 0.0


def _cpu_times(stat: Path) -> list[int]:
    first = stat.read_text().splitlines()[0].split()  # "cpu user nice system idle ..."
    return [int(value) for value in first[1:]]


def apply_thread_count(requested: int | None) -> int:
    """Set torch's intra-op threads to ``requested`` or the automatic choice.

    With ``requested`` None and ``OMP_NUM_THREADS`` set, torch's own setting is kept.

    Returns:
        The number of threads torch uses.
    """
    import torch

    if requested is None and os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    threads = requested if requested is not None else auto_thread_count()
    torch.set_num_threads(threads)
    return threads
