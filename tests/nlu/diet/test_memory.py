"""Heap trimming: per epoch above a resident budget, per step after large growth."""

from __future__ import annotations

import sys

import pytest

from workbench.nlu.diet.memory import HeapGuard, release_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_release_free_memory_respects_the_budget() -> None:
    assert release_free_memory(budget_bytes=1 << 50) is False  # far below the budget
    assert release_free_memory(budget_bytes=0) is True  # above: trimmed


def test_heap_guard_trims_only_after_large_growth_since_the_last_trim() -> None:
    mb = 1 << 20
    rss = [800 * mb]
    trims = []

    def trim() -> None:
        trims.append(rss[0])
        rss[0] = 820 * mb  # what a trim gives back

    guard = HeapGuard(growth_bytes=500 * mb, budget_bytes=512 * mb,
                      resident=lambda: rss[0], trim=trim)
    for grown in (900, 1200, 1299):  # below floor + growth: nothing
        rss[0] = grown * mb
        assert not guard.after_step()
    rss[0] = 1301 * mb
    assert guard.after_step() and trims == [1301 * mb] and guard.floor == 820 * mb
    rss[0] = 1300 * mb
    assert not guard.after_step()  # measured from the new floor (820 + 500)
    small = HeapGuard(growth_bytes=10 * mb, budget_bytes=512 * mb,
                      resident=lambda: 400 * mb, trim=trim)
    assert not small.after_step()  # below the budget: never
