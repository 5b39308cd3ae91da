"""The project's active model: the user's choice survives, else the newest good run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from workbench.training.active_model import (
    active_model,
    chosen_model,
    newest_model,
    set_active_model,
)
from workbench.training.run_history import FINISHED, RunHistory


def _model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text("{}", encoding="utf-8")
    return folder


def _run(history: RunHistory, model: Path | None, status: str = FINISHED) -> None:
    run_id = history.start(data_fingerprint="d", config_fingerprint="c", device="cpu",
                           seed=1, epochs=1)
    history.finish(run_id, status, wall_seconds=1.0,
                   model_path=str(model) if model else None)
    time.sleep(0.01)  # distinct start times


def test_no_history_no_model(tmp_path: Path) -> None:
    assert active_model(tmp_path) is None


def test_newest_finished_run_is_active_until_a_choice_is_made(tmp_path: Path) -> None:
    history = RunHistory.for_project(tmp_path)
    old = _model(tmp_path / "models" / "old")
    new = _model(tmp_path / "models" / "new")
    _run(history, old)
    _run(history, new)
    _run(history, None, status="cancelled")
    assert newest_model(tmp_path) == new
    assert active_model(tmp_path) == new
    set_active_model(tmp_path, old)
    assert chosen_model(tmp_path) == old.resolve()
    _run(history, _model(tmp_path / "models" / "newer"))
    assert active_model(tmp_path) == old.resolve()  # training never overrides a choice
    set_active_model(tmp_path, None)
    assert active_model(tmp_path).name == "newer"


def test_a_removed_choice_falls_back_and_bad_paths_are_refused(tmp_path: Path) -> None:
    chosen = _model(tmp_path / "models" / "a")
    set_active_model(tmp_path, chosen)
    (chosen / "metadata.json").unlink()
    assert active_model(tmp_path) is None
    with pytest.raises(ValueError, match="not a trained model"):
        set_active_model(tmp_path, tmp_path / "nothing")
    (tmp_path / ".workbench" / "active_model.json").write_text("[[[", encoding="utf-8")
    assert chosen_model(tmp_path) is None
