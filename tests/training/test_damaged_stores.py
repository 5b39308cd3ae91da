"""Damaged run history (``runs.db``) and cache index (``index.db``) (issue 9, item 15).

Every kind of damage: the file is moved aside (``*.damaged-<timestamp>``, nothing is
deleted), a new store is started, the user is told once, and neither ``workbench runs``
nor ``workbench train`` shows a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.training.conftest import tiny_config
from workbench.cli.main import main
from workbench.training.cache import TrainingCache, open_cache
from workbench.training.events import TrainingFinished, TrainingNote
from workbench.training.run_history import FINISHED, HistoryError, RunHistory
from workbench.training.runner import run_training


def _history(path: Path, runs: int = 40) -> list[str]:
    """A real history with enough rows to span many pages; returns the run ids."""
    history = RunHistory(path)
    ids = []
    for index in range(runs):
        run_id = history.start(data_fingerprint="d" * 32, config_fingerprint="c" * 12,
                               device="cpu", seed=index, epochs=3)
        for epoch in range(3):
            history.add_epoch(run_id, epoch, 0.5, {"t_loss": 1.0 / (epoch + 1)},
                              {"i_acc": 0.5, "note": "x" * 200})
        history.finish(run_id, FINISHED, wall_seconds=1.5, model_path=f"/m/{index}",
                       final_metrics={"i_acc": 0.9})
        ids.append(run_id)
    return ids


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(3000))


def _truncated(path: Path) -> None:
    _history(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def _header_only(path: Path) -> None:
    _history(path)
    path.write_bytes(path.read_bytes()[:100])


def _wrong_schema(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (id TEXT, colour TEXT)")
        db.execute("INSERT INTO runs VALUES ('x', 'blue')")


def _bad_json_rows(path: Path) -> None:
    _history(path, runs=3)
    with sqlite3.connect(path) as db:
        run_id = db.execute("SELECT id FROM runs ORDER BY id LIMIT 1").fetchone()[0]
        db.execute("UPDATE runs SET final_metrics = '{not json' WHERE id = ?",
                   (run_id,))
        db.execute("UPDATE epochs SET losses = '[1, 2' WHERE run_id = ?", (run_id,))
        db.execute("UPDATE runs SET nodes_run = '\"a string\"'")


def _bad_types(path: Path) -> None:
    _history(path, runs=2)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET started = 'yesterday' WHERE rowid = 1")
        db.execute("UPDATE runs SET ended = 1e300 WHERE rowid = 2")


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "something").write_text("x")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "random-bytes": _random_bytes,
    "truncated": _truncated,
    "header-only": _header_only,
    "wrong-schema": _wrong_schema,
    "bad-json-rows": _bad_json_rows,
    "bad-types": _bad_types,
    "directory": _directory,
}


def _moved_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.damaged-*"))


# -- run history ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_history_is_moved_aside_and_replaced(kind, tmp_path, capsys):
    project = tmp_path / "project"
    (project / ".workbench").mkdir(parents=True)
    db = project / ".workbench" / "runs.db"
    DAMAGE[kind](db)
    original = db.read_bytes() if db.is_file() else None

    assert main(["runs", str(project), "--json"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "damaged" in captured.err and "runs.db.damaged-" in captured.err
    (aside,) = _moved_aside(db)
    if original is not None:
        assert aside.read_bytes() == original  # kept as it was, never written
    records = json.loads(captured.out)
    for record in records:  # whatever was recovered is shown whole
        assert isinstance(record["final_metrics"], dict)
        assert isinstance(record["nodes_run"], list)

    # Told once: the new history is sound, the next look is quiet.
    assert main(["runs", str(project)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert len(_moved_aside(db)) == 1
    history = RunHistory(db)
    assert history.notice is None
    run_id = history.start(data_fingerprint="d", config_fingerprint="c", device="cpu",
                           seed=1, epochs=1)
    assert history.get(run_id) is not None


def test_readable_runs_are_recovered_from_a_damaged_history(tmp_path):
    db = tmp_path / "runs.db"
    _bad_json_rows(db)
    history = RunHistory(db)
    assert history.notice and "3 of 3 runs recovered" in history.notice
    runs = history.runs()
    assert len(runs) == 3
    damaged = [run for run in runs if run.final_metrics == {}]
    assert len(damaged) == 1  # the bad field reads as empty, the rest is kept
    assert all(run.nodes_run == () for run in runs)
    assert [len(run.epoch_metrics) for run in runs].count(3) >= 2


def test_zero_length_history_is_simply_started(tmp_path):
    db = tmp_path / "runs.db"
    db.write_bytes(b"")  # what sqlite itself leaves between create and first write
    history = RunHistory(db)
    assert history.notice is None and history.runs() == []
    assert not _moved_aside(db)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_history_gives_a_message(tmp_path, capsys):
    project = tmp_path / "project"
    (project / ".workbench").mkdir(parents=True)
    db = project / ".workbench" / "runs.db"
    _history(db, runs=1)
    db.chmod(0)
    try:
        with pytest.raises(HistoryError, match="permission"):
            RunHistory(db)
        assert main(["runs", str(project)]) == 1
        captured = capsys.readouterr()
        assert "permission" in captured.err and "Traceback" not in captured.err
        assert not _moved_aside(db)  # not damaged: left alone
    finally:
        db.chmod(0o644)


@pytest.mark.parametrize("kind", ["random-bytes", "wrong-schema", "directory"])
def test_train_with_damaged_history_notes_it_and_records_the_run(kind, tiny_project):
    db = tiny_project / ".workbench" / "runs.db"
    db.parent.mkdir(exist_ok=True)
    DAMAGE[kind](db)
    events = list(run_training(tiny_project_snapshot(tiny_project),
                               config=tiny_config(epochs=1), project_dir=tiny_project,
                               device="cpu"))
    notes = [e.message for e in events if isinstance(e, TrainingNote)]
    assert sum("run history" in note and "damaged" in note for note in notes) == 1
    final = events[-1]
    assert isinstance(final, TrainingFinished)
    (record,) = RunHistory(db).runs()
    assert record.id == final.run_id and record.model_path == final.model_path


def tiny_project_snapshot(folder: Path):
    from workbench.core.project import load_project

    return load_project(folder).snapshot()


def test_cli_train_with_damaged_history_has_no_traceback(tiny_project, tmp_path,
                                                         capsys):
    db = tiny_project / ".workbench" / "runs.db"
    db.parent.mkdir(exist_ok=True)
    _truncated(db)
    assert main(["train", str(tiny_project), "--epochs", "1", "--threads", "1",
                 "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "note: the run history" in captured.err and "damaged" in captured.err
    assert main(["runs", str(tiny_project), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert runs[-1]["status"] == "finished"
    assert runs[-1]["model_path"] == captured.out.splitlines()[-1]


# -- training cache index ------------------------------------------------------------

CACHE_DAMAGE = ["random-bytes", "header-only", "wrong-schema", "directory"]


def _cache_with_entries(root: Path) -> None:
    cache = TrainingCache(root, max_bytes=10**7)
    for index in range(60):
        cache.store(f"key{index}", "node", f"key{index}",
                    lambda folder: (folder / "x").write_bytes(os.urandom(64)))


@pytest.mark.parametrize("kind", CACHE_DAMAGE)
def test_damaged_cache_index_is_moved_aside_and_restarted(kind, tmp_path):
    root = tmp_path / "project" / ".workbench" / "cache"
    _cache_with_entries(root)
    index = root / "index.db"
    for companion in ("index.db-wal", "index.db-shm"):
        (root / companion).unlink(missing_ok=True)
    index.unlink()
    if kind == "header-only":
        _cache_with_entries(tmp_path / "other")
        index.write_bytes((tmp_path / "other" / "index.db").read_bytes()[:100])
    elif kind == "wrong-schema":
        with sqlite3.connect(index) as db:
            db.execute("CREATE TABLE entries (key TEXT, colour TEXT)")
    else:
        DAMAGE[kind](index)

    cache, note = open_cache(tmp_path / "project")
    assert cache is not None and cache.root == root  # not the per-user fallback
    assert note and "damaged" in note and "not writable" not in note
    assert len(_moved_aside(index)) == 1
    assert cache.entries() == []
    stored = cache.store("k", "n", "k", lambda folder: (folder / "a").write_text("1"))
    assert stored is not None and cache.lookup("k") is not None
    again, note = open_cache(tmp_path / "project")
    assert note is None and again is not None and again.lookup("k") is not None


def test_train_with_damaged_cache_index_notes_it(tiny_project):
    index = tiny_project / ".workbench" / "cache" / "index.db"
    index.parent.mkdir(parents=True)
    _random_bytes(index)
    events = list(run_training(tiny_project_snapshot(tiny_project),
                               config=tiny_config(epochs=1), project_dir=tiny_project,
                               device="cpu"))
    notes = [e.message for e in events if isinstance(e, TrainingNote)]
    assert any("training cache index" in note and "damaged" in note for note in notes)
    assert not any("not writable" in note for note in notes)
    assert isinstance(events[-1], TrainingFinished)
    again = list(run_training(tiny_project_snapshot(tiny_project),
                              config=tiny_config(epochs=1), project_dir=tiny_project,
                              device="cpu"))
    assert isinstance(again[-1], TrainingFinished)
    assert "diet" in again[-1].nodes_cached  # the new index works
