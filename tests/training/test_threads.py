"""The automatic choice of torch threads for training."""

from __future__ import annotations

from workbench.training.threads import auto_thread_count


def test_auto_thread_count_uses_idle_cores() -> None:
    assert auto_thread_count(cpu_count=2, load_average=0.1) == 2
    assert auto_thread_count(cpu_count=8, load_average=3.2) == 5


def test_auto_thread_count_keeps_one_thread_on_a_busy_machine() -> None:
    assert auto_thread_count(cpu_count=2, load_average=1.6) == 1
    assert auto_thread_count(cpu_count=2, load_average=7.0) == 1


def test_auto_thread_count_reads_this_machine() -> None:
    assert auto_thread_count() >= 1
