"""The training cache: node outputs on disk, indexed by fingerprint key in SQLite.

Layout below the cache folder (by default ``PROJECT/.workbench/cache/``)::

    index.db        # SQLite: key, output fingerprint, path, size, created, last_used,
                    # sha256
    entries/<key>/  # one folder per node output (JSON + .npz / .safetensors; no pickle)
    tmp/                # outputs being written; renamed into entries/ when complete

An entry is trusted only if every file is present and the sha256 over the folder matches
the index; otherwise it is discarded and the node recomputes (Rasa's cache trusts its
files; a half-written or damaged entry here is never loaded). The cache keeps under a
size limit (``WORKBENCH_CACHE_MB``, default 1000 MB; 0 disables caching) by evicting the
least recently used entries, like Rasa's ``LocalTrainingCache``.

A damaged ``index.db`` is moved aside to ``index.db.damaged-<timestamp>`` and a new,
empty index started (the entries it described are removed later as unknown folders);
:attr:`TrainingCache.notice` says so once. Several processes may use one cache at
once: the index runs in WAL mode with a 30 s busy timeout, entries are written into
``tmp/`` and renamed into place, and an entry is only discarded if it is still the one
that was found damaged.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
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
from workbench.training.fingerprint import directory_sha256

DEFAULT_CACHE_MB = 1000  # Rasa's RASA_MAX_CACHE_SIZE default
CACHE_SIZE_ENV = "WORKBENCH_CACHE_MB"
CACHE_DIR_ENV = "WORKBENCH_CACHE_DIR"

_COLUMNS = "key, output_fingerprint, node, path, size, created, last_used, sha256"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    output_fingerprint TEXT NOT NULL,
    node TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    last_used REAL NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_last_used ON entries(last_used);
"""


class CacheError(Exception):
    """The cache folder cannot be used (not writable, not a database...)."""


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One stored node output."""

    key: str
    output_fingerprint: str
    node: str
    path: Path
    size: int
    created: float
    last_used: float
    sha256: str


def cache_limit_bytes() -> int:
    """Return the size limit from ``WORKBENCH_CACHE_MB`` (default 1000 MB).

    Raises:
        CacheError: If the variable is set but is not a non-negative number.
    """
    text = os.environ.get(CACHE_SIZE_ENV, "").strip()
    if not text:
        return DEFAULT_CACHE_MB * 1024 * 1024
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = -1.0
    if megabytes < 0:
        raise CacheError(
            f"{CACHE_SIZE_ENV}={text!r} is not a size in MB; set a number such as 1000 "
            "(0 disables the training cache)"
        )
    return int(megabytes * 1024 * 1024)


class TrainingCache:
    """Content-verified, size-limited store of node outputs.

    Args:
        root: Cache folder; created if missing.
        max_bytes: Size limit; ``None`` reads ``WORKBENCH_CACHE_MB``.

    Raises:
        CacheError: If the folder cannot be created or written.
    """

    def __init__(self, root: Path, *, max_bytes: int | None = None) -> None:
        self.root = Path(root)
        self.max_bytes = cache_limit_bytes() if max_bytes is None else int(max_bytes)
        #: A one-time message for the user when a damaged index was replaced, else None.
        self.notice: str | None = None
        try:
            (self.root / "entries").mkdir(parents=True, exist_ok=True)
            (self.root / "tmp").mkdir(exist_ok=True)
            try:
                self._open_index()
            except StoreDamaged as damage:
                aside = move_aside(self.index_path)
                self._open_index()
                self.notice = (f"the training cache index {self.index_path} was "
                               f"damaged ({damage}); it was moved to {aside.name} and "
                               "the cache starts empty")
        except (OSError, sqlite3.Error, StoreDamaged) as error:
            raise CacheError(
                f"cannot use the training cache at {self.root}: {error}") from error
        self._remove_leftovers()

    @property
    def index_path(self) -> Path:
        """The SQLite index file."""
        return self.root / "index.db"

    def _open_index(self) -> None:
        """Create or check the index; raise StoreDamaged if it is not a usable one."""
        check_sqlite_file(self.index_path)
        try:
            with self._connect() as db:
                db.execute("PRAGMA journal_mode = WAL")  # readers never wait
                quick_check(db)
                db.executescript(_SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
                missing = [c.strip() for c in _COLUMNS.split(",")
                           if c.strip() not in columns]
                if missing:
                    raise StoreDamaged(f"table entries lacks {', '.join(missing)}")
                db.execute(f"SELECT {_COLUMNS} FROM entries LIMIT 1").fetchall()
        except sqlite3.DatabaseError as error:
            if is_busy(error):
                raise
            raise StoreDamaged(describe(error)) from None

    @contextlib.contextmanager
    def _connect(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (``immediate``: take the write lock first,
        so a read-then-write cannot interleave with another process's write)."""
        db = sqlite3.connect(self.root / "index.db", timeout=30)
        try:
            # The index is rebuilt from nothing if lost (entries are re-verified
            # anyway), so trade durability for speed: no fsync per statement.
            db.execute("PRAGMA synchronous = OFF")
            if immediate:
                db.execute("BEGIN IMMEDIATE")
            with db:
                yield db
        finally:
            db.close()

    def _remove_leftovers(self) -> None:
        """Delete half-written outputs and folders the index does not know."""
        for leftover in (self.root / "tmp").iterdir():
            # Another process may be writing right now: only remove old leftovers.
            with contextlib.suppress(OSError):
                if time.time() - leftover.stat().st_mtime > 3600:
                    shutil.rmtree(leftover, ignore_errors=True)
        with self._connect() as db:
            known = {row[0] for row in db.execute("SELECT path FROM entries")}
        for folder in (self.root / "entries").iterdir():
            if folder.name not in known:
                with contextlib.suppress(OSError):
                    if time.time() - folder.stat().st_mtime > 60:
                        shutil.rmtree(folder, ignore_errors=True)

    def _entry(self, row: tuple) -> CacheEntry:
        key, output, node, path, size, created, last_used, sha = row
        return CacheEntry(key, output, node, self.root / "entries" / path, size,
                          created, last_used, sha)

    def peek(self, key: str) -> CacheEntry | None:
        """Return the index row for ``key`` without verifying or touching it."""
        with self._connect() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM entries WHERE key = ?",
                (key,),
            ).fetchone()
        return self._entry(row) if row else None

    def lookup(self, key: str) -> CacheEntry | None:
        """Return the verified entry for ``key`` or None (a damaged one is dropped)."""
        entry = self.peek(key)
        if entry is None:
            return None
        if not self.verify(entry):
            self.discard(key, entry)
            return None
        with self._connect() as db:
            db.execute("UPDATE entries SET last_used = ? WHERE key = ?",
                       (time.time(), key))
        return entry

    def verify(self, entry: CacheEntry) -> bool:
        """Return True if the entry's files exist and match the stored checksum."""
        if not entry.path.is_dir():
            return False
        try:
            sha, size = directory_sha256(entry.path)
        except OSError:
            return False
        return sha == entry.sha256 and size == entry.size

    def store(self, key: str, node: str, output_fingerprint: str,
              write: Callable[[Path], None]) -> CacheEntry | None:
        """Write a node output with ``write(folder)`` and index it under ``key``.

        The output is written into a temporary folder, checksummed, and renamed into
        place, so readers never see a partial entry. Returns None (and stores nothing)
        when the output alone is larger than the cache limit.
        """
        temp = Path(tempfile.mkdtemp(prefix=f"{key[:12]}-", dir=self.root / "tmp"))
        try:
            write(temp)
            sha, size = directory_sha256(temp)
            if size > self.max_bytes:
                return None
            self._evict(self.max_bytes - size, keep=key)
            name = f"{key}-{uuid.uuid4().hex[:8]}"
            final = self.root / "entries" / name
            os.replace(temp, final)
            now = time.time()
            with self._connect(immediate=True) as db:
                old = db.execute("SELECT path FROM entries WHERE key = ?",
                                 (key,)).fetchone()
                db.execute(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, output_fingerprint, node, name, size, now, now, sha),
                )
            if old and old[0] != name:
                shutil.rmtree(self.root / "entries" / old[0], ignore_errors=True)
            return CacheEntry(key, output_fingerprint, node, final, size, now, now, sha)
        finally:
            shutil.rmtree(temp, ignore_errors=True)

    def discard(self, key: str, entry: CacheEntry | None = None) -> None:
        """Remove the entry for ``key`` (index row and files).

        With ``entry``, only if the index still points at that entry's folder: another
        process may have stored a fresh output under the same key meanwhile.
        """
        with self._connect(immediate=True) as db:
            row = db.execute("SELECT path FROM entries WHERE key = ?",
                             (key,)).fetchone()
            if row is None or (entry is not None and row[0] != entry.path.name):
                return
            db.execute("DELETE FROM entries WHERE key = ?", (key,))
        shutil.rmtree(self.root / "entries" / row[0], ignore_errors=True)

    def _evict(self, budget: int, *, keep: str) -> None:
        """Delete least-recently-used entries until the total fits in ``budget``."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT key, size FROM entries ORDER BY last_used DESC"
            ).fetchall()
        total = 0
        for key, size in rows:
            total += size
            if total > budget and key != keep:
                self.discard(key)
                total -= size

    def entries(self) -> list[CacheEntry]:
        """Return every indexed entry, most recently used first."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM entries ORDER BY last_used DESC"
            ).fetchall()
        return [self._entry(row) for row in rows]

    def total_bytes(self) -> int:
        """Return the total size of the stored outputs."""
        with self._connect() as db:
            row = db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()
        return int(row[0])


def user_cache_dir() -> Path:
    """Return the per-user fallback cache folder (``~/.cache/workbench/training``)."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workbench" / "training"


def open_cache(project_dir: Path | None) -> tuple[TrainingCache | None, str | None]:
    """Open the cache for a project, falling back to the user cache folder.

    Returns:
        ``(cache or None, note or None)``: the note says where the cache went
        instead, or why training runs uncached.
    """
    try:
        limit = cache_limit_bytes()
    except CacheError as error:
        return None, f"{error}; training runs uncached"
    if limit == 0:
        return None, f"{CACHE_SIZE_ENV}=0: training runs uncached"
    problems = []
    if os.environ.get(CACHE_DIR_ENV):
        candidates = [user_cache_dir()]
    else:
        candidates = [project_dir / ".workbench" / "cache"] if project_dir else []
        candidates.append(user_cache_dir())
    for index, folder in enumerate(candidates):
        try:
            cache = TrainingCache(folder, max_bytes=limit)
        except CacheError as error:
            problems.append(str(error))
            continue
        notes = [cache.notice] if cache.notice else []
        if index > 0:
            notes.append(f"{problems[-1]} (project folder not writable?); using the "
                         f"training cache in {folder}")
        return cache, "; ".join(notes) or None
    return None, "; ".join(problems) + "; training runs uncached"
