"""Training test fixtures: a writable copy of ``sample_projects/tiny``, a tiny DIET."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.nlu.pipeline import DEFAULT_PIPELINE

TINY = Path(__file__).resolve().parents[2] / "sample_projects" / "tiny"

# DIET small enough to train two epochs of the tiny project in well under a second.
TINY_DIET = {
    "name": "DIETClassifier",
    "epochs": 2,
    "transformer_size": 16,
    "number_of_transformer_layers": 1,
    "number_of_attention_heads": 2,
    "embedding_dimension": 8,
    "hidden_layers_sizes": {"text": [], "label": []},
    "dense_dimension": {"text": 16, "label": 8},
    "concat_dimension": {"text": 16, "label": 8},
    "batch_size": [16, 32],
    "constrain_similarities": True,
}


def tiny_config(**diet: object) -> dict:
    """The default (= tiny project's) pipeline with a tiny DIET; ``diet`` overrides."""
    return {
        "language": "en",
        "pipeline": [
            {**TINY_DIET, **diet} if step["name"] == "DIETClassifier" else dict(step)
            for step in DEFAULT_PIPELINE
        ],
    }


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """A fresh, writable copy of the tiny sample project."""
    if not TINY.is_dir():
        pytest.skip(f"sample project missing: {TINY}")
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


@pytest.fixture(autouse=True)
def _isolated_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the developer's ~/.cache from tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv("WORKBENCH_CACHE_MB", raising=False)
    monkeypatch.delenv("WORKBENCH_CACHE_DIR", raising=False)
