"""How many CPU threads torch should use for a training run.

Measured here (docs/benchmarks.md): on a quiet 2-core machine two intra-op threads
train financial_demo ~1.4x faster than one, but when other work already keeps the
cores busy, two threads are several times *slower* than one, because every small op
waits for the other worker to be scheduled. So the automatic choice gives torch the
cores that are idle right now, and at least one. ``OMP_NUM_THREADS`` or an explicit
``--threads`` wins over it. During training the count is chosen again per step
(:class:`workbench.nlu.intra_op.StepThreads`: one thread for small steps, the idle
cores re-measured once a second otherwise) unless it was given explicitly.

The measurement itself lives in :mod:`workbench.core.cpu_load` (prediction uses it
too); ``CpuSample`` and ``sample_cpu`` are re-exported here.
"""

from __future__ import annotations

import os
import time

from workbench.core.cpu_load import CpuSample, busy_between, sample_cpu

_SAMPLE_SECONDS = 0.25


def auto_thread_count(cpu_count: int | None = None,
                      busy_cores: float | None = None,
                      since: CpuSample | None = None) -> int:
    """Return the number of idle cores (at least 1).

    Args:
        cpu_count: Cores available (default: ``os.cpu_count()``).
        busy_cores: How many cores other work keeps busy (default: measured from
            ``/proc/stat`` since ``since``, or over a quarter of a second, else the
            1-minute load average, else 0).
        since: An earlier :func:`sample_cpu`; measured from then on if at least a
            quarter of a second ago.
    """
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    if busy_cores is None:
        busy_cores = _busy_cores(cores, since)
    return max(1, min(cores, cores - int(busy_cores + 0.5)))


def _busy_cores(cores: int, since: CpuSample | None = None) -> float:
    before = since if since is not None and since.ticks is not None else sample_cpu()
    if before.ticks is not None:
        wait = _SAMPLE_SECONDS - (time.monotonic() - before.wall)
        if wait > 0:
            time.sleep(wait)
        busy = busy_between(before, sample_cpu(), cores)
        if busy is not None:
            return busy
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has neither
        return 0.0


def apply_thread_count(requested: int | None, since: CpuSample | None = None) -> int:
    """Set torch's intra-op threads to ``requested`` or the automatic choice.

    With ``requested`` None and ``OMP_NUM_THREADS`` set, torch's own setting is kept.
    ``since``: see :func:`auto_thread_count`.

    Returns:
        The number of threads torch uses.
    """
    import torch

    from workbench.nlu.intra_op import pin_threads

    if requested is None and os.environ.get("OMP_NUM_THREADS"):
        pin_threads(torch.get_num_threads())
        return torch.get_num_threads()
    pin_threads(requested)  # None: training steps choose again as the load changes
    threads = requested if requested is not None else auto_thread_count(since=since)
    torch.set_num_threads(threads)
    return threads


__all__ = ["CpuSample", "apply_thread_count", "auto_thread_count", "sample_cpu"]
