"""The automatic choice of torch threads for training."""

from __future__ import annotations

import pytest

from workbench.nlu.intra_op import pin_threads
from workbench.training.threads import apply_thread_count, auto_thread_count


def test_auto_thread_count_uses_idle_cores() -> None:
    assert auto_thread_count(cpu_count=2, busy_cores=0.1) == 2
    assert auto_thread_count(cpu_count=8, busy_cores=3.2) == 5


def test_auto_thread_count_keeps_one_thread_on_a_busy_machine() -> None:
    assert auto_thread_count(cpu_count=2, busy_cores=1.6) == 1
    assert auto_thread_count(cpu_count=2, busy_cores=7.0) == 1


def test_auto_thread_count_measures_this_machine() -> None:
    assert 1 <= auto_thread_count() <= 64


def test_apply_thread_count_explicit_and_environment(monkeypatch: pytest.MonkeyPatch
                                                     ) -> None:
    import torch

    previous = torch.get_num_threads()
    try:
        assert apply_thread_count(1) == 1
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        torch.set_num_threads(2)
        assert apply_thread_count(None) == 2  # the environment's choice is kept
    finally:
        torch.set_num_threads(previous)
        pin_threads(None)  # the pin is process-wide: leave training steps free


def test_busy_cores_since_an_earlier_sample_excludes_this_process(monkeypatch) -> None:
    from workbench.training import threads

    # 2 cores over 1 s: 200 ticks, 50 of them idle -> 1.5 cores busy, of which this
    # process used 1.2 s of CPU -> 0.3 cores busy with other work; no sleeping.
    before = threads.CpuSample((100, 0, 0, 1000, 0, 0, 0, 0), 5.0, 10.0)
    after = threads.CpuSample((250, 0, 0, 1050, 0, 0, 0, 0), 6.2, 11.0)
    monkeypatch.setattr(threads, "sample_cpu", lambda: after)
    monkeypatch.setattr(threads.time, "monotonic", lambda: 11.0)
    slept = []
    monkeypatch.setattr(threads.time, "sleep", slept.append)
    assert abs(threads._busy_cores(2, since=before) - 0.3) < 1e-9
    assert threads.auto_thread_count(cpu_count=2, since=before) == 2
    assert slept == []
