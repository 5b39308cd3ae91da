"""Fixtures for the DIET tests (helpers live in diet_synthetic.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from diet_synthetic import make_data

from workbench.nlu.features import FeaturizedData


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Run the tiny DIET models single-threaded.

    Their ops are far too small to split; on a busy 2-core machine two OpenMP threads
    made a 60-step run 6x slower (spinning at barriers), and the suite shares the
    machine with other test runs.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def synthetic_data() -> FeaturizedData:
    """Four intents, one entity type, 32 messages."""
    return make_data()
