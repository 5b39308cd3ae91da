"""How busy the machine's cores are with other work (``/proc/stat``; no torch, no Qt).

Used to pick torch's thread count for training (:mod:`workbench.training.threads`)
and for large prediction batches (:mod:`workbench.nlu.intra_op`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_STAT = Path("/proc/stat")


@dataclass(frozen=True)
class CpuSample:
    """Machine-wide CPU ticks and this process's own CPU time at one moment."""

    ticks: tuple[int, ...] | None  # /proc/stat "cpu" line; None where unavailable
    own_seconds: float
    wall: float


def sample_cpu() -> CpuSample:
    """Take a sample now (a file read: microseconds); compare it with a later one.

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


def busy_between(before: CpuSample, after: CpuSample, cores: int) -> float | None:
    """Cores kept busy by other processes between two samples (None: unknown)."""
    if before.ticks is None or after.ticks is None or after.wall <= before.wall:
        return None
    total = sum(after.ticks) - sum(before.ticks)
    idle = (after.ticks[3] + after.ticks[4]) - (before.ticks[3] + before.ticks[4])
    if total <= 0:
        return 0.0
    busy = cores * (1.0 - idle / total)  # idle + iowait ticks
    own = (after.own_seconds - before.own_seconds) / (after.wall - before.wall)
    return max(0.0, busy - own)


def _cpu_times(stat: Path) -> list[int]:
    first = stat.read_text().splitlines()[0].split()  # "cpu user nice system idle ..."
    return [int(value) for value in first[1:]]
