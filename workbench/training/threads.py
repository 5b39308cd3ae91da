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
from dataclasses import dataclass
from pathlib import Path

_SAMPLE_SECONDS = 0.25
_STAT = Path("/proc/stat")


@dataclass(frozen=True)
class CpuSample:
    """Machine-wide CPU ticks and this process's own CPU time at one moment."""

    ticks: tuple[int, ...] | None  # /proc/stat "cpu" line; None where unavailable
    own_seconds: float
    wall: float


def sample_cpu() -> CpuSample:
    """Take a sample now; pass it to :func:`auto_thread_count` later.

    Sampling when a command starts lets the choice measure the seconds spent loading
    the project and importing torch instead of sleeping a quarter of a second; this
    process's own CPU time is subtracted, so only *other* work counts as busy.
    """
    try:
        ticks: tuple[int, ...] | None = tuple(_cpu_times(_STAT))
    except (OSError, ValueError, IndexError):
        ticks = None
    own = os.times()
    return CpuSample(ticks, own.user + own.system, time.monotonic())


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
        after = sample_cpu()
        if after.ticks is not None:
            total = sum(after.ticks) - sum(before.ticks)
            idle = (after.ticks[3] + after.ticks[4]) - (before.ticks[3] + before.ticks[4])
            if total <= 0:
                return 0.0
            busy = cores * (1.0 - idle / total)  # idle + iowait ticks
            own = (after.own_seconds - before.own_seconds) / (after.wall - before.wall)
            return max(0.0, busy - own)
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has neither
        return 0.0


def _cpu_times(stat: Path) -> list[int]:
    first = stat.read_text().splitlines()[0].split()  # "cpu user nice system idle ..."
    return [int(value) for value in first[1:]]


def apply_thread_count(requested: int | None, since: CpuSample | None = None) -> int:
    """Set torch's intra-op threads to ``requested`` or the automatic choice.

    With ``requested`` None and ``OMP_NUM_THREADS`` set, torch's own setting is kept.
    ``since``: see :func:`auto_thread_count`.

    Returns:
        The number of threads torch uses.
    """
    import torch

    if requested is None and os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    threads = requested if requested is not None else auto_thread_count(since=since)
    torch.set_num_threads(threads)
    return threads
