"""The tester's history store (``.workbench/tester.db``): kept, ordered, repaired."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from workbench.training import tester_history
from workbench.training.tester_history import (
    TesterHistory,
    history_path,
    read_history,
)


def test_reading_a_project_without_history_writes_nothing(tmp_path: Path) -> None:
    assert read_history(tmp_path) == ([], None)
    assert not (tmp_path / ".workbench").exists()


def test_history_survives_reopening_newest_first_and_deduplicated(
        tmp_path: Path) -> None:
    history = TesterHistory.for_project(tmp_path)
    history.record("hello there", "greet", 0.91, "/models/a")
    history.record("bye", "goodbye", 0.4)
    history.record("hello there", "greet", 0.95, "/models/b")  # tested again: on top
    history.record("   ", "greet")  # blank: ignored
    history.close()
    entries, problem = read_history(tmp_path)
    assert problem is None
    assert [e.text for e in entries] == ["hello there", "bye"]
    assert entries[0].confidence == pytest.approx(0.95)
    assert entries[0].model == "/models/b"
    again = TesterHistory.for_project(tmp_path)
    assert [e.text for e in again.entries()] == ["hello there", "bye"]
    again.forget("bye")
    assert [e.text for e in again.entries()] == ["hello there"]
    again.clear()
    assert again.entries() == []


def test_history_keeps_at_most_keep_entries(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tester_history, "KEEP", 5)
    history = TesterHistory.for_project(tmp_path)
    for number in range(8):
        history.record(f"message {number}")
    assert [e.text for e in history.entries()] == [f"message {n}" for n in
                                                    (7, 6, 5, 4, 3)]


@pytest.mark.parametrize("damage", ["random", "truncated", "wrong_table", "folder"])
def test_damaged_history_is_moved_aside_and_replaced(tmp_path: Path,
                                                     damage: str) -> None:
    path = history_path(tmp_path)
    path.parent.mkdir(parents=True)
    if damage == "random":
        path.write_bytes(os.urandom(4000))
    elif damage == "truncated":
        history = TesterHistory(path)
        for number in range(300):
            history.record(f"message {number} " + "x" * 200)
        history.close()
        path.write_bytes(path.read_bytes()[:5000])
    elif damage == "wrong_table":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE tested (colour TEXT)")
    else:
        path.mkdir()
    entries, problem = read_history(tmp_path)  # reading never changes the file
    assert entries == [] and (problem is not None or damage == "truncated")
    assert path.exists()
    history = TesterHistory(path)
    assert history.notice is not None and "moved to" in history.notice
    history.record("hello", "greet", 0.9)
    assert [e.text for e in history.entries()] == ["hello"]
    aside = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert len(aside) == 1  # nothing deleted


def test_unwritable_folder_gives_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions")
    folder = tmp_path / ".workbench"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(tester_history.HistoryUnavailable, match="tester.db"):
            TesterHistory.for_project(tmp_path)
    finally:
        folder.chmod(0o700)
