"""The per-epoch heap trim only runs above its resident-memory budget."""

from __future__ import annotations

import sys

import pytest

from workbench.nlu.diet.memory import release_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_release_free_memory_respects_the_budget() -> None:
    assert release_free_memory(budget_bytes=1 << 50) is False  # far below the budget
    assert release_free_memory(budget_bytes=0) is True  # above: trimmed
