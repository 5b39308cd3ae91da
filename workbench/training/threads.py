"""How many CPU threads torch should use for a training run.

Measured here (docs/benchmarks.md): on a quiet 2-core machine two intra-op threads
train financial_demo ~1.4x faster than one, but when other work already keeps the
cores busy, two threads are several times *slower* than one, because every small op
waits for the other worker to be scheduled. So "auto" gives torch the cores that the
recent load average leaves free, and at least one.
"""

from __future__ import annotations

import os


def auto_thread_count(cpu_count: int | None = None,
                      load_average: float | None = None) -> int:
    """Return the number of idle cores (at least 1).

    Args:
        cpu_count: Cores available (default: ``os.cpu_count()``).
        load_average: 1-minute load average (default: ``os.getloadavg()``; treated as
            0 where the platform has none).
    """
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    if load_average is None:
        try:
            load_average = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows has no load average
            load_average = 0.0
    return max(1, min(cores, cores - int(load_average + 0.5)))


def apply_thread_count(requested: int | None) -> int:
    """Set torch's intra-op threads to ``requested`` (or the automatic choice).

    Returns:
        The number of threads set.
    """
    import torch

    threads = requested if requested is not None else auto_thread_count()
    torch.set_num_threads(threads)
    return threads
