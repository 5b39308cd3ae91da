"""The tester's history: messages tested in a project, kept across restarts.

One SQLite file, ``PROJECT/.workbench/tester.db``, created by the first message
recorded (opening a project writes nothing: :func:`read_history` only reads). Each
entry keeps the text, the predicted intent and its confidence, the model and when it
was last tested; testing a text again moves it to the top. At most :data:`KEEP`
entries are kept (the oldest go).

A damaged file (not a database, truncated, wrong tables, a folder in its place) is
moved aside like ``runs.db`` (:mod:`workbench.training.damaged`) and a new history
started; :attr:`TesterHistory.notice` says so once.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.training.damaged import (
    StoreDamaged,
    check_sqlite_file,
    describe,
    is_busy,
    move_aside,
    quick_check,
)

HISTORY_FILE = "tester.db"
KEEP = 1_000  # entries kept per project
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tested (
    text TEXT PRIMARY KEY, intent TEXT, confidence REAL, model TEXT,
    at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS tested_at ON tested (at);
"""


class HistoryUnavailable(Exception):
    """The history cannot be used (permission denied, busy); the message says why."""


@dataclass(frozen=True, slots=True)
class TestedMessage:
    """One entry of the history."""

    __test__ = False  # not a pytest test class
    text: str
    intent: str | None
    confidence: float | None
    model: str | None
    at: float  # seconds since the epoch


def history_path(project_dir: Path) -> Path:
    """Where a project's tester history lives."""
    return Path(project_dir) / ".workbench" / HISTORY_FILE


class TesterHistory:
    """The tester history of one project (one connection, used from one thread).

    Raises:
        HistoryUnavailable: the file cannot be used at all; a damaged one is moved
            aside instead (see :attr:`notice`).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.notice: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._checked_connection()
            except StoreDamaged as error:
                moved = move_aside(self.path)
                self.notice = (f"The tester history {self.path} was damaged ({error}); "
                               f"it was moved to {moved.name} and a new one started.")
                self._db = self._checked_connection()
        except PermissionError as error:
            raise HistoryUnavailable(
                f"{self.path}: {error.strerror or error}; fix the permissions of the "
                "project's .workbench folder") from None
        except OSError as error:
            raise HistoryUnavailable(f"{self.path}: cannot be used ({error})") from None

    @classmethod
    def for_project(cls, project_dir: Path) -> TesterHistory:
        """The history of the project at ``project_dir`` (created when missing)."""
        return cls(history_path(project_dir))

    def _checked_connection(self) -> sqlite3.Connection:
        check_sqlite_file(self.path)
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            quick_check(db)
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(tested)")}
            missing = {"text", "intent", "confidence", "model", "at"} - columns
            if missing:
                raise StoreDamaged("the tested table lacks "
                                   f"{', '.join(sorted(missing))}")
            return db
        except sqlite3.DatabaseError as error:
            if db is not None:
                db.close()
            if is_busy(error):
                raise HistoryUnavailable(f"{self.path}: in use by another program "
                                         f"({error}); try again") from None
            raise StoreDamaged(describe(error)) from None
        except StoreDamaged:
            if db is not None:
                db.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def record(self, text: str, intent: str | None = None,
               confidence: float | None = None, model: str | None = None) -> None:
        """Add ``text`` (or move it to the top with its new prediction)."""
        if not text.strip():
            return
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR REPLACE INTO tested VALUES (?, ?, ?, ?, ?)",
                       (text, intent, confidence, model, time.time()))
            db.execute("DELETE FROM tested WHERE text NOT IN (SELECT text FROM tested "
                       "ORDER BY at DESC LIMIT ?)", (KEEP,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def forget(self, text: str) -> None:
        """Remove one entry."""
        self._db.execute("DELETE FROM tested WHERE text = ?", (text,))

    def clear(self) -> None:
        """Remove every entry."""
        self._db.execute("DELETE FROM tested")

    def entries(self, limit: int = KEEP) -> list[TestedMessage]:
        """The newest first."""
        return _entries(self._db, limit)


def _entries(db: sqlite3.Connection, limit: int) -> list[TestedMessage]:
    rows = db.execute("SELECT text, intent, confidence, model, at FROM tested "
                      "ORDER BY at DESC LIMIT ?", (limit,)).fetchall()
    out = []
    for text, intent, confidence, model, at in rows:
        out.append(TestedMessage(
            str(text), intent if isinstance(intent, str) else None,
            float(confidence) if isinstance(confidence, (int, float)) else None,
            model if isinstance(model, str) else None,
            float(at) if isinstance(at, (int, float)) else 0.0))
    return out


def read_history(project_dir: Path, limit: int = KEEP) -> tuple[list[TestedMessage],
                                                                str | None]:
    """The entries of a project's history without creating or changing anything.

    Returns ``(entries, problem)``: no file gives ``([], None)``; a file that cannot be
    read gives ``([], reason)`` and is left as it is (the next :meth:`record`, through
    :class:`TesterHistory`, moves it aside).
    """
    path = history_path(project_dir)
    if not path.exists():
        return [], None
    try:
        check_sqlite_file(path)
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except (OSError, StoreDamaged, sqlite3.Error) as error:
        return [], f"{path}: cannot be read ({describe(error)})"
    try:
        return _entries(db, limit), None
    except sqlite3.Error as error:
        return [], (f"{path}: cannot be read ({describe(error)}); it will be moved "
                    "aside when the next message is recorded")
    finally:
        db.close()
