"""ProjectGuard: autosave to a recovery file, and notice files changed on disk.

Recovery snapshots are written a couple of seconds after the last edit (debounced) and
every ``autosave_seconds`` while there are unsaved edits. The YAML files are watched
with ``QFileSystemWatcher``; our own saves are told apart from other programs' writes
by comparing the file content with what we last read or wrote.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from workbench.core.recovery import (
    RecoveredContent,
    capture,
    discard_recovery,
    recovery_path,
    write_content,
)
from workbench.qt.workers.job_thread import JobThread

if TYPE_CHECKING:
    from workbench.qt.session import ProjectSession

EDIT_DEBOUNCE_MS = 2000  # write the recovery file this long after the last edit


class ProjectGuard(QObject):
    """Keep a recovery file up to date and watch the project's files.

    Signals:
        files_changed_on_disk(list): paths another program changed or removed.
        recovery_written(str): path of the recovery file just written.
    """

    files_changed_on_disk = Signal(list)
    recovery_written = Signal(str)

    def __init__(self, session: ProjectSession, autosave_seconds: int = 30,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self._session = session
        self._digests: dict[Path, str | None] = {}
        self._pending: set[Path] = set()
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._on_watcher_file_changed)
        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.timeout.connect(self.write_recovery_later)
        self._writer = JobThread(self, "recovery")  # one thread: writes in order
        self._periodic_timer = QTimer(self)
        self._periodic_timer.timeout.connect(self._on_periodic_timer_timeout)
        self._periodic_timer.start(max(1, autosave_seconds) * 1000)
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.timeout.connect(self._report_changes)
        session.history.edited.connect(self._on_history_edited)
        self.paused = False  # while a "file changed" question is open

    # -- recovery ---------------------------------------------------------------------
    def recovery_file(self) -> Path | None:
        """Where the current project's recovery file goes."""
        project = self._session.project
        return recovery_path(
            project, self._session.path
        ) if project is not None else None

    def _on_history_edited(self) -> None:
        self._edit_timer.start(EDIT_DEBOUNCE_MS)

    def _on_periodic_timer_timeout(self) -> None:
        if self._session.dirty:
            self.write_recovery_later()

    def write_recovery_later(self) -> None:
        """Capture the project now and write the recovery file on the writer thread.

        Serialising 50,000 examples takes about half a second: too long for the GUI
        thread after every pause in editing.
        """
        self._edit_timer.stop()
        path = self.recovery_file()
        if path is None or self._session.project is None:
            return
        if not self._session.dirty:
            self._writer.wait_idle()
            discard_recovery(path)
            return
        content = capture(self._session.project)
        self._writer.post("write", lambda _context: _write(content, path))

    def write_recovery_now(self) -> Path | None:
        """Write (or, with no unsaved edits, delete) the recovery file, and wait."""
        self.write_recovery_later()
        self._writer.wait_idle()
        path = self.recovery_file()
        if path is None or not path.exists():
            return None
        self.recovery_written.emit(str(path))
        return path

    def discard_recovery(self) -> None:
        """Delete the recovery file (after a save, or when the user discards edits)."""
        self._edit_timer.stop()
        self._writer.wait_idle()  # a pending write must not recreate it
        path = self.recovery_file()
        if path is not None:
            discard_recovery(path)

    # -- watching ---------------------------------------------------------------------
    def watch(self, paths: list[Path]) -> None:
        """Watch ``paths`` (replacing what was watched) and remember their content."""
        watched = self.watcher.files()
        if watched:
            self.watcher.removePaths(watched)
        self._digests = {path: _digest(path) for path in paths}
        existing = [str(path) for path in paths if path.exists()]
        if existing:
            self.watcher.addPaths(existing)

    def remember_saved(self, paths: list[Path]) -> None:
        """Record our own writes so that the watcher does not report them."""
        for path in paths:
            self._digests[path] = _digest(path)
            if path.exists() and str(path) not in self.watcher.files():
                self.watcher.addPath(str(path))

    def _on_watcher_file_changed(self, name: str) -> None:
        self._pending.add(Path(name))
        # Editors save in several steps (truncate, write, rename): wait for quiet.
        self._settle_timer.start(300)

    def _report_changes(self) -> None:
        changed = []
        for path in sorted(self._pending):
            if path.exists() and str(path) not in self.watcher.files():
                self.watcher.addPath(str(path))  # replaced by a rename: watch anew
            if _digest(path) != self._digests.get(path):
                changed.append(path)
        self._pending.clear()
        if changed and not self.paused:
            self.files_changed_on_disk.emit(changed)

    def check_now(self) -> list[Path]:
        """Return watched files whose content differs from what we know (no signal)."""
        return [
            path for path, digest in self._digests.items() if _digest(path) != digest
        ]

    def stop(self) -> None:
        """Stop all timers and finish pending writes (before the window closes)."""
        for timer in (self._edit_timer, self._periodic_timer, self._settle_timer):
            timer.stop()
        self._writer.wait_idle()
        self._writer.close()


def _write(content: RecoveredContent, path: Path) -> None:
    try:
        write_content(content, path)
    except OSError:
        pass  # read-only folder: recovery is best effort


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha1(path.read_bytes()).hexdigest()
    except OSError:
        return None
