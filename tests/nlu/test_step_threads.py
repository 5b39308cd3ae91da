"""Threads per training step (workbench/nlu/intra_op.py ``StepThreads``)."""

from __future__ import annotations

from workbench.core.cpu_load import CpuSample
from workbench.nlu.intra_op import MIN_STEP_ROWS, STEP_RECHECK_SECONDS, StepThreads

BIG = 4 * MIN_STEP_ROWS


def _sample(wall: float, busy_ticks: int, idle_ticks: int, own: float = 0.0
            ) -> CpuSample:
    return CpuSample((busy_ticks, 0, 0, idle_ticks, 0, 0, 0, 0), own, wall)


def test_step_threads_small_steps_run_on_one_thread() -> None:
    steps = StepThreads(cores=2, since=_sample(0.0, 0, 0))
    later = _sample(STEP_RECHECK_SECONDS, 0, 200)  # the other core idle throughout
    assert steps.threads_for(MIN_STEP_ROWS - 1, later) == 1
    assert steps.threads_for(BIG, later) == 2


def test_step_threads_follow_the_load_as_it_changes() -> None:
    start = _sample(0.0, 0, 0)
    steps = StepThreads(cores=2, since=start)
    quiet = _sample(1.0 * STEP_RECHECK_SECONDS, 100, 100, own=1.0)  # only ourselves
    assert steps.threads_for(BIG, quiet) == 2
    # 2 cores over 1 s: 190 of 200 ticks busy, 0.6 s ours -> 1.3 cores of other work
    busy = _sample(2.0 * STEP_RECHECK_SECONDS, 290, 110, own=1.6)
    assert steps.threads_for(BIG, busy) == 1
    calm = _sample(3.0 * STEP_RECHECK_SECONDS, 390, 210, own=2.6)
    assert steps.threads_for(BIG, calm) == 2


def test_step_threads_keep_a_measurement_until_it_is_long_enough() -> None:
    steps = StepThreads(cores=2, since=_sample(0.0, 0, 0))
    assert steps.threads_for(BIG, _sample(1.0, 100, 100, own=1.0)) == 2
    # a tenth of a second later nothing is re-measured, however busy it looks
    assert steps.threads_for(BIG, _sample(1.1, 120, 100, own=1.0)) == 2


def test_step_threads_pinned_count_is_kept() -> None:
    steps = StepThreads(cores=8, pinned=3, since=_sample(0.0, 0, 0))
    assert steps.threads_for(1) == 3
    assert steps.threads_for(BIG, _sample(5.0, 800, 0)) == 3
