"""Run history: every training run of a project, recorded in ``.workbench/runs.db``.

A run's row is inserted as "running" when training starts and updated when it ends
("finished", "cancelled" or "failed"), so a run whose process was killed stays visible
as unfinished. Per-epoch losses and metrics live in a child table.

A damaged ``runs.db`` (not a database, truncated, wrong tables, rows with bad JSON, a
folder in its place) is moved aside to ``runs.db.damaged-<timestamp>``, the runs that
can still be read are copied into a new file, and :attr:`RunHistory.notice` says so
once (the CLI prints it, training emits it as a ``TrainingNote``). A history that
cannot be used at all (no permission) raises :class:`HistoryError` with a message for
the user.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.training.damaged import (
    StoreDamaged,
    check_sqlite_file,
    describe,
    is_busy,
    move_aside,
    quick_check,
    same_file,
)

RUNNING, FINISHED, CANCELLED, FAILED = "running", "finished", "cancelled", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started REAL NOT NULL,
    ended REAL,
    status TEXT NOT NULL,
    data_fingerprint TEXT,
    config_fingerprint TEXT,
    device TEXT,
    seed INTEGER,
    epochs INTEGER,
    finetune_from TEXT,
    model_path TEXT,
    wall_seconds REAL,
    final_metrics TEXT,
    evaluation TEXT,
    nodes_run TEXT,
    nodes_cached TEXT,
    message TEXT
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    seconds REAL,
    losses TEXT NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
"""


@dataclass(frozen=True)
class RunRecord:
    """One row of the run history, with its per-epoch metrics."""

    id: str
    started: float
    ended: float | None
    status: str
    data_fingerprint: str | None
    config_fingerprint: str | None
    device: str | None
    seed: int | None
    epochs: int | None
    finetune_from: str | None
    model_path: str | None
    wall_seconds: float | None
    final_metrics: Mapping[str, Any]
    evaluation: Mapping[str, Any]
    nodes_run: tuple[str, ...]
    nodes_cached: tuple[str, ...]
    message: str | None
    epoch_metrics: tuple[Mapping[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON-serialisable data (times in ISO 8601, UTC)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["started"] = _iso(self.started)
        data["ended"] = _iso(self.ended) if self.ended else None
        data["final_metrics"] = dict(self.final_metrics)
        data["evaluation"] = dict(self.evaluation)
        data["nodes_run"] = list(self.nodes_run)
        data["nodes_cached"] = list(self.nodes_cached)
        data["epoch_metrics"] = [dict(row) for row in self.epoch_metrics]
        return data


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def _dumps(value: Any) -> str:
    return json.dumps(dict(value or {}), sort_keys=True, default=float)


# Columns holding JSON and the type each must decode to.
_JSON_COLUMNS = {
    "runs": {"final_metrics": dict, "evaluation": dict, "nodes_run": list,
             "nodes_cached": list},
    "epochs": {"losses": dict, "metrics": dict},
}
_NUMBER_COLUMNS = {"runs": ("started",), "epochs": ("epoch",)}
_NULLABLE_NUMBER_COLUMNS = {"runs": ("ended", "wall_seconds", "seed", "epochs"),
                            "epochs": ("seconds",)}
_TEXT_COLUMNS = {"runs": ("id", "status"), "epochs": ("run_id",)}
_MAX_NUMBER = 1e11  # times (seconds since 1970) and counts stay far below this


class HistoryError(Exception):
    """The run history cannot be used at all (e.g. permission denied); user message."""


def _row_problem(table: str, row: Mapping[str, Any]) -> str | None:
    """Why a row cannot be shown, or None if it is fine."""
    for name in _TEXT_COLUMNS[table]:
        if not isinstance(row[name], str):
            return f"{name} is not text"
    for name in (*_NUMBER_COLUMNS[table], *_NULLABLE_NUMBER_COLUMNS[table]):
        value = row[name]
        if value is None and name not in _NUMBER_COLUMNS[table]:
            continue
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not -_MAX_NUMBER < value < _MAX_NUMBER):
            return f"{name} is not a number in range"
    for name, kind in _JSON_COLUMNS[table].items():
        if row[name] is None and table == "runs":
            continue
        if _bad_json(row[name], kind):
            return f"{name} is not valid JSON ({kind.__name__} expected)"
    return None


def _bad_json(text: Any, kind: type) -> bool:
    """True unless ``text`` is JSON text decoding to a ``kind``."""
    try:
        value = json.loads(text) if isinstance(text, str | bytes) else None
    except (ValueError, RecursionError):
        return True
    return not isinstance(value, kind)


class RunHistory:
    """The SQLite run history of one project.

    A damaged file is moved aside and replaced on opening (see the module docstring);
    then :attr:`notice` holds the message to show the user once.

    Args:
        path: The ``runs.db`` file; its folder is created if missing.

    Raises:
        HistoryError: The file cannot be used or replaced (e.g. permission denied).
        OSError / sqlite3.OperationalError: The folder cannot be created, or another
            process kept the database locked for 30 s.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        #: A one-time message for the user when a damaged file was replaced, else None.
        self.notice: str | None = None
        self._seen: os.stat_result | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open()
        except StoreDamaged as damage:
            self._replace_damaged(str(damage))
        except PermissionError as error:
            raise HistoryError(f"cannot use the run history {self.path}: {error}"
                               ) from None

    @classmethod
    def for_project(cls, project_dir: Path) -> RunHistory:
        """Open ``PROJECT/.workbench/runs.db``."""
        return cls(Path(project_dir) / ".workbench" / "runs.db")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db
        finally:
            db.close()

    def _open(self) -> None:
        """Create the tables, or check that the existing file is a sound history.

        Raises:
            StoreDamaged: the file is not a usable run history (the message says why).
        """
        check_sqlite_file(self.path)
        self._seen = self.path.stat() if self.path.exists() else None
        try:
            with self._connect() as db:
                quick_check(db)
                _check_columns(db)
                db.executescript(_SCHEMA)
                db.row_factory = sqlite3.Row
                for table in ("runs", "epochs"):
                    for row in db.execute(f"SELECT * FROM {table}"):  # noqa: S608
                        problem = _row_problem(table, row)
                        if problem:
                            raise StoreDamaged(f"a row of {table}: {problem}")
        except sqlite3.DatabaseError as error:
            if is_busy(error):
                raise
            raise StoreDamaged(describe(error)) from None

    def _replace_damaged(self, reason: str) -> None:
        """Move the damaged file aside, start a new one and copy what can be read."""
        if not same_file(self.path, self._seen) and self.path.is_file():
            # Another process replaced it meanwhile: use its new file.
            try:
                self._open()
                return
            except StoreDamaged as damage:
                reason = str(damage)
        try:
            aside = move_aside(self.path)
        except OSError as error:
            raise HistoryError(
                f"the run history {self.path} is damaged ({reason}) and cannot be "
                f"moved aside ({error}); move or delete it") from None
        try:
            self._open()
        except (StoreDamaged, sqlite3.Error, OSError) as error:
            raise HistoryError(f"cannot create a new run history at {self.path}: "
                               f"{error}") from None
        recovered, total = self._salvage(aside)
        kept = f"; {recovered} of {total} runs recovered" if total else ""
        self.notice = (f"the run history {self.path} was damaged ({reason}); it was "
                       f"moved to {aside.name} and a new one started{kept}")

    def _salvage(self, damaged: Path) -> tuple[int, int]:
        """Copy the readable runs of a damaged file; return (copied, found)."""
        if not damaged.is_file():
            return 0, 0
        try:
            source = sqlite3.connect(f"{damaged.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            return 0, 0
        copied = total = 0
        try:
            source.row_factory = sqlite3.Row
            runs = source.execute("SELECT * FROM runs").fetchall()
            try:
                epochs = source.execute("SELECT * FROM epochs").fetchall()
            except sqlite3.Error:
                epochs = []
            total = len(runs)
            good = set()
            with self._connect() as db:
                for row in runs:
                    values = _salvaged(row, "runs")
                    if values is None:
                        continue
                    db.execute("INSERT OR IGNORE INTO runs (" + ", ".join(values)
                               + ") VALUES (" + ", ".join("?" * len(values)) + ")",
                               tuple(values.values()))
                    good.add(values["id"])
                    copied += 1
                for row in epochs:
                    values = _salvaged(row, "epochs")
                    if values is not None and values["run_id"] in good:
                        db.execute("INSERT OR IGNORE INTO epochs (" + ", ".join(values)
                                   + ") VALUES (" + ", ".join("?" * len(values))
                                   + ")", tuple(values.values()))
        except (sqlite3.Error, IndexError, KeyError):
            pass  # what was copied stays; the rest remains in the damaged file
        finally:
            source.close()
        return copied, total

    def start(self, *, data_fingerprint: str, config_fingerprint: str, device: str,
              seed: int, epochs: int, finetune_from: str | None = None) -> str:
        """Insert a "running" row and return the new run id (time-ordered)."""
        now = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
        run_id = f"{stamp}-{uuid.uuid4().hex[:6]}"
        with self._connect() as db:
            db.execute(
                "INSERT INTO runs (id, started, status, data_fingerprint,"
                " config_fingerprint, device, seed, epochs, finetune_from)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, now, RUNNING, data_fingerprint, config_fingerprint, device,
                 seed, epochs, finetune_from),
            )
        return run_id

    def add_epoch(self, run_id: str, epoch: int, seconds: float,
                  losses: Mapping[str, float], metrics: Mapping[str, float]) -> None:
        """Record (or replace) the losses and metrics of one epoch."""
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?)",
                (run_id, epoch, seconds, _dumps(losses), _dumps(metrics)),
            )

    def set_evaluation(self, run_id: str, metrics: Mapping[str, float]) -> None:
        """Record the latest validation metrics of a run."""
        with self._connect() as db:
            db.execute("UPDATE runs SET evaluation = ? WHERE id = ?",
                       (_dumps(metrics), run_id))

    def finish(self, run_id: str, status: str, *, wall_seconds: float,
               model_path: str | None = None,
               final_metrics: Mapping[str, float] | None = None,
               nodes_run: tuple[str, ...] = (), nodes_cached: tuple[str, ...] = (),
               message: str | None = None) -> None:
        """Mark a run as ended with ``status`` and its results."""
        with self._connect() as db:
            db.execute(
                "UPDATE runs SET ended = ?, status = ?, wall_seconds = ?,"
                " model_path = ?, final_metrics = ?, nodes_run = ?, nodes_cached = ?,"
                " message = ? WHERE id = ?",
                (time.time(), status, wall_seconds, model_path, _dumps(final_metrics),
                 json.dumps(list(nodes_run)), json.dumps(list(nodes_cached)), message,
                 run_id),
            )

    def runs(self, *, with_epochs: bool = True) -> list[RunRecord]:
        """Return every run, oldest first."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM runs ORDER BY started, id").fetchall()
            epochs: dict[str, list[dict[str, Any]]] = {}
            if with_epochs:
                for row in db.execute("SELECT * FROM epochs ORDER BY run_id, epoch"):
                    epochs.setdefault(row["run_id"], []).append({
                        "epoch": row["epoch"], "seconds": row["seconds"],
                        **_loads(row["losses"], dict), **_loads(row["metrics"], dict),
                    })
        return [self._record(row, tuple(epochs.get(row["id"], ()))) for row in rows]

    def get(self, run_id: str) -> RunRecord | None:
        """Return one run by id, or None."""
        return next((run for run in self.runs() if run.id == run_id), None)

    @staticmethod
    def _record(row: sqlite3.Row, epoch_rows: tuple[dict[str, Any], ...]) -> RunRecord:
        def loads(text: str | None, empty: Any) -> Any:
            return _loads(text, type(empty)) or empty

        return RunRecord(
            id=row["id"], started=row["started"], ended=row["ended"],
            status=row["status"],
            data_fingerprint=row["data_fingerprint"],
            config_fingerprint=row["config_fingerprint"], device=row["device"],
            seed=row["seed"], epochs=row["epochs"], finetune_from=row["finetune_from"],
            model_path=row["model_path"], wall_seconds=row["wall_seconds"],
            final_metrics=loads(row["final_metrics"], {}),
            evaluation=loads(row["evaluation"], {}),
            nodes_run=tuple(loads(row["nodes_run"], [])),
            nodes_cached=tuple(loads(row["nodes_cached"], [])),
            message=row["message"], epoch_metrics=epoch_rows,
        )


def _loads(text: Any, kind: type) -> Any:
    """Decode a JSON column; a damaged value reads as empty (never raises)."""
    try:
        value = json.loads(text) if isinstance(text, str | bytes) and text else None
    except (ValueError, RecursionError):
        value = None
    return value if isinstance(value, kind) else kind()


def _check_columns(db: sqlite3.Connection) -> None:
    """Raise StoreDamaged if an existing table lacks columns this version writes."""
    for table in ("runs", "epochs"):
        found = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if not found:
            continue  # created below
        wanted = _TABLE_COLUMNS[table]
        missing = [name for name in wanted if name not in found]
        if missing:
            raise StoreDamaged(f"table {table} lacks column(s) {', '.join(missing)}")


def _salvaged(row: sqlite3.Row, table: str) -> dict[str, Any] | None:
    """The row's values for the new file, bad JSON fields emptied; None if unusable."""
    keys = set(row.keys())
    values = {name: row[name] if name in keys else None
              for name in _TABLE_COLUMNS[table]}
    for name, kind in _JSON_COLUMNS[table].items():
        if _bad_json(values[name], kind):
            values[name] = json.dumps(kind()) if table == "epochs" else None
    if _row_problem(table, values):
        return None
    return values


_TABLE_COLUMNS = {
    "runs": ("id", "started", "ended", "status", "data_fingerprint",
             "config_fingerprint", "device", "seed", "epochs", "finetune_from",
             "model_path", "wall_seconds", "final_metrics", "evaluation", "nodes_run",
             "nodes_cached", "message"),
    "epochs": ("run_id", "epoch", "seconds", "losses", "metrics"),
}
