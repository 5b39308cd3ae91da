"""Shared handling of damaged SQLite stores (run history, training cache index).

A store that cannot be read is never deleted and never written over: it is renamed to
``<name>.damaged-<timestamp>`` (with its ``-wal``/``-shm``/``-journal`` companions) so
that nothing is lost, and a new, empty store takes its place.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

_SIDECARS = ("-wal", "-shm", "-journal")


class StoreDamaged(Exception):
    """A store file exists but is not a usable database (the message says why)."""


def is_busy(error: BaseException) -> bool:
    """True for SQLite's "database is locked/busy": another process, not damage."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in text or "busy" in text)


def describe(error: BaseException) -> str:
    """A short reason for a damage message."""
    return str(error) or type(error).__name__


def same_file(path: Path, seen: os.stat_result | None) -> bool:
    """True if ``path`` is still the file that was examined (not replaced meanwhile)."""
    try:
        now = path.stat()
    except OSError:
        return False
    if seen is None:
        return True
    return (now.st_ino, now.st_dev, now.st_size, now.st_mtime_ns) == (
        seen.st_ino, seen.st_dev, seen.st_size, seen.st_mtime_ns)


def move_aside(path: Path) -> Path:
    """Rename a damaged store (file or folder) out of the way; return the new path.

    Raises:
        OSError: If it cannot be renamed (then nothing was changed).
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 2
    while target.exists():
        target = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
        number += 1
    os.replace(path, target)
    for suffix in _SIDECARS:
        companion = path.with_name(path.name + suffix)
        with contextlib.suppress(OSError):
            if companion.exists():
                os.replace(companion, target.with_name(target.name + suffix))
    return target


def check_sqlite_file(path: Path) -> None:
    """Raise :class:`StoreDamaged` unless ``path`` is absent or a readable file.

    Raises:
        StoreDamaged: a folder or other non-file in its place.
        PermissionError: the file exists but this user may not read and write it.
    """
    if not os.path.lexists(path):
        return
    if not path.is_file():
        raise StoreDamaged("it is not a file")
    if not os.access(path, os.R_OK | os.W_OK):
        raise PermissionError(f"{path}: permission denied (this user cannot read and "
                              "write it); fix its permissions or owner")


def quick_check(db: sqlite3.Connection) -> None:
    """Run SQLite's ``quick_check``; raise :class:`StoreDamaged` if it finds damage."""
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        if is_busy(error):
            raise
        raise StoreDamaged(describe(error)) from None
    if rows != [("ok",)]:
        detail = "; ".join(str(row[0]) for row in rows[:3])
        raise StoreDamaged(f"integrity check failed: {detail}")
