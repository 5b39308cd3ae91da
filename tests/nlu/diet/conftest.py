"""Fixtures for the DIET tests (helpers live in diet_synthetic.py)."""

from __future__ import annotations

import pytest
from diet_synthetic import make_data

from workbench.nlu.features import FeaturizedData


@pytest.fixture
def synthetic_data() -> FeaturizedData:
    """Four intents, one entity type, 32 messages."""
    return make_data()
