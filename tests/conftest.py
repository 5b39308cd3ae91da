"""Shared fixtures for every test package (spaCy convention: all fixtures live here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASETS_DIR = (REPO_ROOT / ".." / "shared" / "datasets").resolve()
TEST_DATA_DIR = REPO_ROOT / "tests" / "data"
SAMPLE_PROJECTS_DIR = REPO_ROOT / "sample_projects"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The shared Rasa datasets folder (``../shared/datasets``); skips when absent."""
    if not DATASETS_DIR.is_dir():
        pytest.skip(f"shared datasets not found at {DATASETS_DIR}")
    return DATASETS_DIR


@pytest.fixture
def golden_project(tmp_path: Path) -> Path:
    """A fresh copy of ``tests/data/golden_project`` that a test may edit and save."""
    target = tmp_path / "golden_project"
    shutil.copytree(TEST_DATA_DIR / "golden_project", target)
    return target


@pytest.fixture
def make_project(tmp_path: Path):
    """Write files into a temporary project folder; returns its root.

    Usage: ``make_project({"data/nlu.yml": "...", "domain.yml": "..."})``.
    """

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "project"
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return make
