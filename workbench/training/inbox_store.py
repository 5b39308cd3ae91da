"""The review inbox: unlabelled messages, their pre-labels and what the user decided.

One SQLite file, ``PROJECT/.workbench/inbox.db`` (WAL: readers and one writer at once,
committed rows survive a crash). Each message keeps its text, where it came from
(import batch and line), its status (pending / accepted / rejected / skipped), the
model's prediction (Rasa parse JSON, model path and fingerprint), the margin between
the two best intents, the final label (intent + entities), and who decided when; the
``decisions`` table is the audit log of every decision and undo.

A damaged inbox (not a database, truncated, wrong tables, a folder in its place) is
moved aside like ``runs.db`` (:mod:`workbench.training.damaged`) and a new one started;
:attr:`InboxStore.notice` says so once.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.inbox_import import LineProblem, Message
from workbench.training.damaged import (
    StoreDamaged,
    check_sqlite_file,
    describe,
    is_busy,
    move_aside,
    quick_check,
)

PENDING, ACCEPTED, REJECTED, SKIPPED = "pending", "accepted", "rejected", "skipped"
STATUSES = (PENDING, ACCEPTED, REJECTED, SKIPPED)
ORDERS = ("margin", "intent", "imported")  # least certain first / by intent / as read
INBOX_FILE = "inbox.db"
SCHEMA_VERSION = 1
_INSERT_CHUNK = 2_000
_MAX_PROBLEMS = 20  # line problems listed in an import report (all are counted)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, imported_at TEXT NOT NULL,
    who TEXT NOT NULL, added INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0, known INTEGER NOT NULL DEFAULT 0,
    refused INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, text TEXT NOT NULL, norm TEXT NOT NULL UNIQUE,
    batch INTEGER NOT NULL, line INTEGER, status TEXT NOT NULL DEFAULT 'pending',
    prediction TEXT, predicted_intent TEXT, confidence REAL, margin REAL,
    model TEXT, scored_at TEXT, final TEXT, decided_at TEXT, who TEXT);
CREATE INDEX IF NOT EXISTS messages_margin ON messages (status, margin);
CREATE INDEX IF NOT EXISTS messages_intent
    ON messages (status, predicted_intent, margin);
CREATE INDEX IF NOT EXISTS messages_status ON messages (status);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY, message INTEGER NOT NULL, status TEXT NOT NULL,
    final TEXT, at TEXT NOT NULL, who TEXT NOT NULL);
"""
_COLUMNS = ("id, text, batch, line, status, prediction, predicted_intent, confidence, "
            "margin, model, final, decided_at, who")


def normalise(text: str) -> str:
    """The duplicate key of a message: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def who_am_i() -> str:
    """The OS user name recorded with each decision."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database (containers): still record
        return "unknown"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class InboxError(Exception):
    """The inbox cannot be used at all (e.g. permission denied); the message says why.
    """


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """One message of the inbox as stored."""

    id: int
    text: str
    batch: int
    line: int | None
    status: str
    # {"parse": Rasa parse dict, "model", "fingerprint"}
    prediction: dict[str, Any] | None
    predicted_intent: str | None
    confidence: float | None
    margin: float | None
    model: str | None
    final: dict[str, Any] | None  # {"intent", "entities": [...]}
    decided_at: str | None
    who: str | None

    @property
    def parse(self) -> dict[str, Any] | None:
        """The model's parse output for the text (None before scoring)."""
        return (self.prediction or {}).get("parse")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (export)."""
        return {"id": self.id, "text": self.text, "status": self.status,
                "batch": self.batch, "line": self.line,
                "predicted_intent": self.predicted_intent,
                "confidence": self.confidence, "margin": self.margin,
                "prediction": self.prediction, "final": self.final,
                "decided_at": self.decided_at, "who": self.who}


@dataclass
class ImportReport:
    """What an import did: counts, and the first line problems (file:line: reason)."""

    source: str
    added: int = 0
    duplicates: int = 0  # already in the inbox, or earlier in the same import
    known: int = 0  # already in the training data
    refused: int = 0  # bad lines (problems lists the first ones)
    problems: list[str] = field(default_factory=list)
    stopped: bool = False

    def summary(self) -> str:
        """One line for a status bar or the command line."""
        text = (f"{self.added:,} new message(s) from {self.source}; skipped "
                f"{self.duplicates:,} duplicate(s), {self.known:,} already in the "
                f"training data")
        if self.refused:
            text += f", {self.refused:,} bad line(s)"
        return text + (" (stopped)" if self.stopped else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"source": self.source, "added": self.added,
                "duplicates": self.duplicates, "known": self.known,
                "refused": self.refused, "problems": list(self.problems),
                "stopped": self.stopped}


class InboxStore:
    """The inbox of one project; one connection per thread (SQLite's rule).

    Raises:
        InboxError: the file cannot be used at all (permission denied, read-only
            folder); a damaged file is moved aside instead (see :attr:`notice`).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.notice: str | None = None
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open()
        except PermissionError as error:
            raise InboxError(f"{self.path}: {error.strerror or error}; fix the "
                             "permissions of the project's .workbench folder") from None
        except OSError as error:
            raise InboxError(f"{self.path}: cannot be used ({error})") from None

    @classmethod
    def for_project(cls, project_dir: Path) -> InboxStore:
        """The inbox of the project at ``project_dir`` (created when missing)."""
        return cls(Path(project_dir) / ".workbench" / INBOX_FILE)

    # -- connections ----------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                             check_same_thread=True)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _open(self) -> None:
        try:
            self._local.db = self._checked_connection()
        except StoreDamaged as error:
            moved = move_aside(self.path)
            self.notice = (f"The review inbox {self.path} was damaged ({error}); it "
                           f"was moved to {moved.name} and a new, empty inbox started.")
            self._local.db = self._checked_connection()

    def _checked_connection(self) -> sqlite3.Connection:
        check_sqlite_file(self.path)
        db: sqlite3.Connection | None = None
        try:
            db = self._connect()
            quick_check(db)
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                       (str(SCHEMA_VERSION),))
            columns = {row[1] for row in db.execute("PRAGMA table_info(messages)")}
            wanted = {"text", "norm", "status", "prediction", "margin", "final"}
            missing = wanted - columns
            if missing:
                raise StoreDamaged(
                    f"the messages table lacks {', '.join(sorted(missing))}"
                )
            return db
        except sqlite3.DatabaseError as error:
            if db is not None:
                db.close()
            if is_busy(error):
                raise InboxError(f"{self.path}: in use by another program ({error}); "
                                 "try again") from None
            raise StoreDamaged(describe(error)) from None
        except StoreDamaged:
            if db is not None:
                db.close()
            raise

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- import ---------------------------------------------------------------------
    def import_messages(self, items: Iterable[Message | LineProblem], source: str,
                        known: Iterable[str] = (), *, should_stop=lambda: False,
                        on_progress=None) -> ImportReport:
        """Add new messages; skip duplicates and texts of the training data.

        Args:
            items: what :mod:`workbench.core.inbox_import` reads.
            source: shown in reports (file name or "paste").
            known: normalised texts of the training data (:func:`normalise`).
            should_stop: checked between chunks; rows added so far stay.
            on_progress: called with the report after each committed chunk.
        """
        report = ImportReport(source)
        known_set = set(known)
        db = self.db
        batch = db.execute("INSERT INTO batches (source, imported_at, who) VALUES "
                           "(?, ?, ?)", (source, _now(), who_am_i())).lastrowid
        chunk: list[tuple[str, str, int, int]] = []
        seen: set[str] = set()

        def flush() -> None:
            if not chunk:
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                before = db.total_changes
                db.executemany(
                    "INSERT OR IGNORE INTO messages (text, norm, batch, line)"
                    " VALUES (?, ?, ?, ?)",
                    chunk,
                )
                added = db.total_changes - before
                db.execute("UPDATE batches SET added = added + ?, duplicates = ?, "
                           "known = ?, refused = ? WHERE id = ?",
                           (added, report.duplicates + len(chunk) - added, report.known,
                            report.refused, batch))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            report.added += added
            report.duplicates += len(chunk) - added
            chunk.clear()
            if on_progress is not None:
                on_progress(report)

        for item in items:
            if isinstance(item, LineProblem):
                report.refused += 1
                if len(report.problems) < _MAX_PROBLEMS:
                    report.problems.append(f"{source}:{item.line}: {item.reason}")
                continue
            key = normalise(item.text)
            if key in known_set:
                report.known += 1
                continue
            if key in seen:
                report.duplicates += 1
                continue
            seen.add(key)
            chunk.append((item.text, key, batch, item.line))
            if len(chunk) >= _INSERT_CHUNK:
                flush()
                if should_stop():
                    report.stopped = True
                    break
        flush()
        db.execute("UPDATE batches SET duplicates = ?, known = ?, refused = ? "
                   "WHERE id = ?", (report.duplicates, report.known, report.refused,
                                    batch))
        return report

    # -- scoring --------------------------------------------------------------------
    def unscored(self, limit: int, model: str | None = None) -> list[tuple[int, str]]:
        """Pending/skipped messages without a prediction (or from another model)."""
        rows = self.db.execute(
            "SELECT id, text FROM messages WHERE status IN ('pending', 'skipped') AND "
            "(prediction IS NULL OR model IS NOT ?) ORDER BY id LIMIT ?",
            (model, limit)).fetchall()
        return [(int(i), str(t)) for i, t in rows]

    def count_unscored(self, model: str | None = None) -> int:
        """How many pending/skipped messages :meth:`unscored` would still give."""
        return int(self.db.execute(
            "SELECT COUNT(*) FROM messages WHERE status IN ('pending', 'skipped') AND "
            "(prediction IS NULL OR model IS NOT ?)", (model,)).fetchone()[0])

    def set_predictions(self, rows: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
        """Store ``(id, prediction record)`` pairs (see :mod:`workbench.nlu.prelabel`).
        """
        now = _now()
        values = []
        for message_id, record in rows:
            parse = record["parse"]
            ranking = parse.get("intent_ranking") or []
            intent = (parse.get("intent") or {})
            margin = margin_of(ranking)  # no ranking: no intent, least certain
            values.append((json.dumps(record, ensure_ascii=False), intent.get("name"),
                           intent.get("confidence"), 0.0 if margin is None else margin,
                           record.get("model"), now, message_id))
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("UPDATE messages SET prediction = ?, predicted_intent = ?, "
                           "confidence = ?, margin = ?, model = ?, scored_at = ? "
                           "WHERE id = ?", values)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- reading --------------------------------------------------------------------
    def queue(self, order: str = "margin", limit: int = 200,
              scored_only: bool = False) -> list[InboxMessage]:
        """Messages to review: pending first, then skipped, in ``order``.

        ``margin``: least certain first (unscored last); ``intent``: by predicted
        intent, then margin; ``imported``: as imported. Each part is read along an
        index (a few ms on 100,000 messages: the window calls this on its thread).
        """
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}")
        parts = {  # (condition, sort) per part, in the order they are listed
            "margin": [("margin IS NOT NULL", "margin, id")]
            + ([] if scored_only else [("margin IS NULL", "id")]),
            "intent": [("margin IS NOT NULL", "predicted_intent, margin, id")]
            + ([] if scored_only else [("margin IS NULL", "id")]),
            "imported": [("margin IS NOT NULL" if scored_only else "1", "id")],
        }[order]
        found: list[InboxMessage] = []
        for status in (PENDING, SKIPPED):
            for condition, sort in parts:
                if len(found) >= limit:
                    return found
                rows = self.db.execute(
                    f"SELECT {_COLUMNS} FROM messages WHERE status = ? AND "  # noqa: S608
                    f"{condition} ORDER BY {sort} LIMIT ?",
                    (status, limit - len(found))).fetchall()
                found.extend(_message(row) for row in rows)
        return found

    def get(self, message_id: int) -> InboxMessage | None:
        """One message by id."""
        row = self.db.execute(f"SELECT {_COLUMNS} FROM messages WHERE id = ?",
                              (message_id,)).fetchone()
        return _message(row) if row else None

    def messages(self, status: str | None = None) -> Iterator[InboxMessage]:
        """Every message (of ``status``), as imported (streamed, for export)."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        db = self._connect()  # a cursor of its own: writes elsewhere do not disturb it
        try:
            query = f"SELECT {_COLUMNS} FROM messages"
            args: tuple[Any, ...] = ()
            if status is not None:
                query += " WHERE status = ?"
                args = (status,)
            for row in db.execute(query + " ORDER BY id", args):
                yield _message(row)
        finally:
            db.close()

    def counts(self) -> dict[str, int]:
        """Messages per status, plus ``scored`` (pending/skipped with a prediction)."""
        result = dict.fromkeys(STATUSES, 0)
        for status, n in self.db.execute(
                "SELECT status, COUNT(*) FROM messages GROUP BY status"):
            result[str(status)] = int(n)
        result["scored"] = int(self.db.execute(  # margin: set by every scoring
            "SELECT COUNT(*) FROM messages WHERE status IN ('pending', 'skipped') AND "
            "margin IS NOT NULL").fetchone()[0])
        result["total"] = sum(result[s] for s in STATUSES)
        return result

    def batches(self) -> list[dict[str, Any]]:
        """Every import: source, time, who and its counts."""
        cursor = self.db.execute("SELECT id, source, imported_at, who, added, "
                                 "duplicates, known, refused FROM batches ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def known_texts(self) -> set[str]:
        """Normalised texts of every message (to skip re-imports quickly)."""
        return {str(r[0]) for r in self.db.execute("SELECT norm FROM messages")}

    # -- deciding -------------------------------------------------------------------
    def decide(self, message_id: int, status: str,
               final: Mapping[str, Any] | None = None) -> None:
        """Record a decision (``pending`` undoes one) with time and user."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        final_text = (
            json.dumps(final, ensure_ascii=False) if final is not None else None
        )
        now, who = _now(), who_am_i()
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("UPDATE messages SET status = ?, final = ?, decided_at = ?, "
                       "who = ? WHERE id = ?", (status, final_text, now, who,
                                                message_id))
            db.execute("INSERT INTO decisions (message, status, final, at, who) "
                       "VALUES (?, ?, ?, ?, ?)", (message_id, status, final_text, now,
                                                  who))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def decisions(self, message_id: int) -> list[dict[str, Any]]:
        """The audit log of one message, oldest first."""
        return [{"status": s, "final": json.loads(f) if f else None, "at": a, "who": w}
                for s, f, a, w in self.db.execute(
                    "SELECT status, final, at, who FROM decisions WHERE message = ? "
                    "ORDER BY id", (message_id,))]


def margin_of(ranking: list[Mapping[str, Any]]) -> float | None:
    """Confidence of the best intent minus the second best (1 intent: its confidence).
    """
    values = sorted((float(r.get("confidence") or 0.0) for r in ranking), reverse=True)
    if not values:
        return None
    return values[0] - (values[1] if len(values) > 1 else 0.0)


def _message(row: tuple[Any, ...]) -> InboxMessage:
    (mid, text, batch, line, status, prediction, intent, confidence, margin, model,
     final, decided_at, who) = row
    return InboxMessage(int(mid), str(text), int(batch), line, str(status),
                        _json(prediction), intent, confidence, margin, model,
                        _json(final), decided_at, who)


def _json(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None
