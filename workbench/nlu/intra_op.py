"""How many intra-op threads torch uses per call: a prediction or a training step.

Single messages and small batches always run on **one** thread, whatever their
length: a forward pass of one message is a chain of small ops, and with two threads
every op waits for the other worker; on a busy machine that worker is descheduled and
a 25 ms parse takes 270-400 ms (benchmarks/bench_parse_latency.py). Large batches
(``predict_many`` over many messages, e.g. ``workbench test``) use the cores that were
idle while they were being featurized (:mod:`workbench.core.cpu_load`, two file reads).

``torch.set_num_threads`` is process-wide for MKL and for threads started later, so
concurrent predictions from several Python threads (an HTTP server, the app's tester
and evaluation) must not flip it back and forth under each other. :data:`GATE` lets
any number of predictions run together as long as they want the same count; one
that wants another count waits until those finish (and new arrivals queue behind it,
so it is not starved). The setting the process had before is restored when the last
prediction leaves.

Training steps (:class:`StepThreads`) follow the same rule per step: one thread for
small steps, and otherwise the cores other work leaves idle, re-measured about once a
second, so a machine that becomes busy halfway through a training run drops it to one
thread within a second instead of slowing every step several times over
(benchmarks/bench_train_threads.py: 108 ms per financial_demo step of 64 messages with
one thread, 725 ms with two, while other work kept 1.3 of 2 cores busy). An explicit
count (``--threads N``, ``OMP_NUM_THREADS``: :func:`pin_threads`) is left alone.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

import torch

from workbench.core.cpu_load import CpuSample, busy_between, sample_cpu

BATCH_POSITIONS = 2048  # token positions in one forward batch before threads can pay
MIN_MEASURE_SECONDS = 0.1  # shorter measurements are too noisy: stay on one thread
# Training steps with fewer token rows stay on one thread: the smallest steps measured
# to gain from two threads on a quiet machine had ~370 (financial_demo, 64 messages).
MIN_STEP_ROWS = 256
STEP_RECHECK_SECONDS = 1.0  # how often a training run re-measures the idle cores


class ThreadGate:
    """Runs predictions with a thread count without changing it under another one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._threads: int | None = None  # the count active predictions run with
        self._active = 0
        self._waiting = 0  # predictions waiting for a different count
        self._outside = 0  # the setting before the first active prediction

    @contextlib.contextmanager
    def use(self, threads: int) -> Iterator[None]:
        """Run the body with ``threads`` intra-op threads (in this OS thread)."""
        with self._cond:
            waited = False
            while self._active and (self._threads != threads
                                    or (self._waiting and not waited)):
                if not waited:
                    self._waiting += 1
                    waited = True
                self._cond.wait()
            if waited:
                self._waiting -= 1
            if not self._active:
                self._outside = torch.get_num_threads()
                self._threads = threads
            self._active += 1
            if torch.get_num_threads() != threads:  # OpenMP keeps one per OS thread
                torch.set_num_threads(threads)
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                if not self._active:
                    if torch.get_num_threads() != self._outside:
                        torch.set_num_threads(self._outside)
                    self._threads = None
                    self._cond.notify_all()


GATE = ThreadGate()


def batch_threads(n_positions: int, since: CpuSample | None) -> int:
    """Threads for one forward batch: 1 unless it is large and cores were idle.

    Args:
        n_positions: Token positions in the batch (messages x padded length).
        since: A :func:`~workbench.core.cpu_load.sample_cpu` taken when the prediction
            call started (None for single messages: one thread).
    """
    if since is None or n_positions < BATCH_POSITIONS:
        return 1
    now = sample_cpu()
    if now.wall - since.wall < MIN_MEASURE_SECONDS:
        return 1
    cores = _allowed_cores()
    busy = busy_between(since, now, cores)
    if busy is None:
        return 1
    return max(1, min(cores, cores - int(busy + 0.5)))


_pinned: int | None = None  # a thread count the user asked for


def pin_threads(threads: int | None) -> None:
    """Record an explicit thread count (None: choose per call again)."""
    global _pinned
    _pinned = threads if threads is None else max(1, int(threads))


class StepThreads:
    """Threads for each training step: 1 for small steps, else the idle cores.

    Args:
        cores: Cores this process may use (default: affinity and OMP_NUM_THREADS).
        pinned: A fixed count (default: :func:`pin_threads`'s, else none).
        since: Where the first measurement starts (default: now).
    """

    def __init__(self, cores: int | None = None, pinned: int | None = None,
                 since: CpuSample | None = None) -> None:
        self.cores = cores if cores is not None else _allowed_cores()
        self.pinned = pinned if pinned is not None else _pinned
        self._since = since if since is not None else sample_cpu()
        # until the first measurement: what the run started with
        self._idle = max(1, min(self.cores, torch.get_num_threads()))

    def threads_for(self, rows: int, now: CpuSample | None = None) -> int:
        """The count for a step of ``rows`` token rows (tokens + sentence slots).

        Args:
            rows: The step's token rows.
            now: A sample taken now (default: taken when a re-measure is due).
        """
        if self.pinned is not None:
            return self.pinned
        due = time.monotonic() - self._since.wall >= STEP_RECHECK_SECONDS
        if now is not None or due:
            now = now if now is not None else sample_cpu()
            if now.wall - self._since.wall >= STEP_RECHECK_SECONDS:
                busy = busy_between(self._since, now, self.cores)
                if busy is not None:
                    self._idle = max(1, min(self.cores,
                                            self.cores - int(busy + 0.5)))
                self._since = now
        return 1 if rows < MIN_STEP_ROWS else self._idle

    def apply(self, rows: int) -> int:
        """Set torch's count for this step (in the training thread); return it."""
        threads = self.threads_for(rows)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        return threads


def _allowed_cores() -> int:
    try:
        limit = int(os.environ.get("OMP_NUM_THREADS", "0"))
    except ValueError:
        limit = 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    return max(1, min(cores, limit) if limit > 0 else cores)
