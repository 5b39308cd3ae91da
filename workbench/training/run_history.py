"""Run history: every training run of a project, recorded in ``.workbench/runs.db``.

A run's row is inserted as "running" when training starts and updated when it ends
("finished", "cancelled" or "failed"), so a run whose process was killed stays visible
as unfinished. Per-epoch losses and metrics live in a child table.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


class RunHistory:
    """The SQLite run history of one project.

    Args:
        path: The ``runs.db`` file; its folder is created if missing.

    Raises:
        OSError / sqlite3.Error: If the database cannot be created.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def for_project(cls, project_dir: Path) -> RunHistory:
        """Open ``PROJECT/.workbench/runs.db``."""
        return cls(Path(project_dir) / ".workbench" / "runs.db")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA foreign_keys = ON")
        try:
            with db:
                yield db
        finally:
            db.close()

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
                        **json.loads(row["losses"]), **json.loads(row["metrics"]),
                    })
        return [self._record(row, tuple(epochs.get(row["id"], ()))) for row in rows]

    def get(self, run_id: str) -> RunRecord | None:
        """Return one run by id, or None."""
        return next((run for run in self.runs() if run.id == run_id), None)

    @staticmethod
    def _record(row: sqlite3.Row, epoch_rows: tuple[dict[str, Any], ...]) -> RunRecord:
        def loads(text: str | None, empty: Any) -> Any:
            return json.loads(text) if text else empty

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
