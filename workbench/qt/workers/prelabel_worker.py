"""PrelabelWorker: import messages and pre-label the inbox off the GUI thread.

One thread does the inbox's slow work in order: pending imports first (streamed,
committed in chunks), then scoring every pending message with the active model
(:func:`workbench.training.prelabel.prelabel_inbox`, committed chunk by chunk, so the
first messages are reviewable at once). A new job, a new model or another project
stops the current scoring pass between chunks. torch is imported in the thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from workbench.qt.threads import register_thread


class _ImportJob:
    def __init__(self, read: Callable[[], Iterable[Any]], source: str,
                 known: set[str]) -> None:
        self.read, self.source, self.known = read, source, known


class _InboxThread(QThread):
    imported = Signal(object)  # ImportReport
    import_failed = Signal(str)
    progress = Signal(int, int)  # done, total (scoring) or added, -1 (importing)
    scored = Signal(int)  # messages scored in this chunk
    scoring_done = Signal(int)
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("inbox")
        self._lock = threading.Condition()
        self._store: Any = None
        self._model_path: str | None = None
        self._jobs: list[_ImportJob] = []
        self._generation = 0  # bumped whenever running work should stop
        self._scored_for: tuple[int, str | None] | None = None
        self._quit = False

    # -- requests (GUI thread) --------------------------------------------------------
    def configure(self, store: Any, model_path: str | None) -> None:
        with self._lock:
            self._store, self._model_path = store, model_path
            self._jobs.clear()
            self._generation += 1
            self._scored_for = None
            self._lock.notify()

    def add_job(self, job: _ImportJob) -> None:
        with self._lock:
            self._jobs.append(job)
            self._generation += 1
            self._scored_for = None
            self._lock.notify()

    def rescore(self) -> None:
        with self._lock:
            self._scored_for = None
            self._lock.notify()

    def shutdown(self) -> None:
        with self._lock:
            self._quit = True
            self._generation += 1
            self._lock.notify()

    # -- the thread -------------------------------------------------------------------
    def _work(self) -> tuple[Any, Any, int] | None:
        """Wait for the next job: ``(store, job or model path, generation)``."""
        with self._lock:
            while not self._quit:
                if self._store is not None and self._jobs:
                    return self._store, self._jobs.pop(0), self._generation
                wanted = (self._generation, self._model_path)
                if (self._store is not None and self._model_path
                        and self._scored_for != wanted):
                    self._scored_for = wanted
                    return self._store, self._model_path, self._generation
                self._lock.wait()
        return None

    def _stale(self, generation: int) -> Callable[[], bool]:
        return lambda: self._quit or self._generation != generation

    def run(self) -> None:
        models: dict[str, Any] = {}
        while True:
            work = self._work()
            if work is None:
                return
            store, what, generation = work
            try:
                if isinstance(what, _ImportJob):
                    self._import(store, what, generation)
                else:
                    self._score(store, what, generation, models)
            except Exception as error:  # noqa: BLE001 - report, keep serving
                self.failed.emit(f"{error}\n{traceback.format_exc(limit=3)}")
            finally:
                store.close()  # this thread's connection; reopened on next use

    def _import(self, store: Any, job: _ImportJob, generation: int) -> None:
        from workbench.core.inbox_import import InboxImportError

        try:
            report = store.import_messages(
                job.read(), job.source, job.known, should_stop=self._stale(generation),
                on_progress=lambda r: self.progress.emit(r.added, -1))
        except InboxImportError as error:
            self.import_failed.emit(str(error))
            return
        except OSError as error:
            self.import_failed.emit(f"{job.source}: cannot be read ({error})")
            return
        self.imported.emit(report)

    def _score(self, store: Any, model_path: str, generation: int,
               models: dict[str, Any]) -> None:
        from workbench.nlu.artefacts import ArtefactError
        from workbench.nlu.predictor_loader import load_model  # torch: here only
        from workbench.training.prelabel import prelabel_inbox

        if model_path not in models:
            try:
                models.clear()
                models[model_path] = load_model(model_path)
            except ArtefactError as error:
                self.failed.emit(f"The active model cannot be used: {error}")
                return
        count = prelabel_inbox(
            store, models[model_path], model_path, should_stop=self._stale(generation),
            on_progress=lambda p: (self.progress.emit(p.done, p.total),
                                   self.scored.emit(p.done)))
        if not self._stale(generation)():
            self.scoring_done.emit(count)


class PrelabelWorker(QObject):
    """Import and score inbox messages in a background thread.

    Signals:
        imported(object): an ``ImportReport`` after an import finished.
        import_failed(str): the file could not be imported at all.
        progress(int, int): scoring ``done, total``; while importing ``added, -1``.
        scored(int): a chunk was scored (``done`` so far): refresh the list.
        scoring_done(int): every pending message is scored (count of this pass).
        failed(str): loading the model or scoring failed.
    """

    imported = Signal(object)
    import_failed = Signal(str)
    progress = Signal(int, int)
    scored = Signal(int)
    scoring_done = Signal(int)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = _InboxThread()
        for name in ("imported", "import_failed", "progress", "scored",
                     "scoring_done", "failed"):
            getattr(self._thread, name).connect(getattr(self, name))
        register_thread(self._thread)
        self._started = False

    def _ensure_started(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def configure(self, store: Any, model_path: str | None) -> None:
        """Work on ``store`` and score with ``model_path`` (None: no scoring)."""
        self._ensure_started()
        self._thread.configure(store, model_path)

    def import_messages(self, read: Callable[[], Iterable[Any]], source: str,
                        known: set[str]) -> None:
        """Import what ``read()`` yields (called in the thread), then score."""
        self._ensure_started()
        self._thread.add_job(_ImportJob(read, source, known))

    def rescore(self) -> None:
        """Score whatever is not scored by the current model (e.g. after an undo)."""
        if self._started:
            self._thread.rescore()

    def stop(self) -> None:
        """End the thread and wait for it."""
        if self._started:
            self._thread.shutdown()
            self._thread.wait()
