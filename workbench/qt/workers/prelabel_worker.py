"""PrelabelWorker: import messages and pre-label the inbox off the GUI thread.

One thread does the inbox's slow work in order: pending imports first (streamed,
committed in chunks), then scoring every pending message with the active model
(:func:`workbench.training.prelabel.prelabel_inbox`, committed chunk by chunk, so the
first messages are reviewable at once). A new job, a new model or another project
stops the current scoring pass between chunks. torch is imported in the thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.qt.workers.job_thread import JobContext, JobThread


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
        self._jobs = JobThread(self, "inbox")
        self._store: Any = None
        self._model_path: str | None = None
        self._imports = 0
        self._models: dict[str, Any] = {}  # used in the thread only

    def configure(self, store: Any, model_path: str | None) -> None:
        """Work on ``store`` and score with ``model_path`` (None: no scoring)."""
        self._jobs.clear()
        self._store, self._model_path = store, model_path
        self.rescore()

    def import_messages(self, read: Callable[[], Iterable[Any]], source: str,
                        known: set[str]) -> None:
        """Import what ``read()`` yields (called in the thread), then score."""
        if self._store is None:
            return
        self._jobs.interrupt()  # a running scoring pass stops between chunks
        self._imports += 1
        store = self._store
        self._jobs.post(("import", self._imports), lambda context: self._import(
            context, store, read, source, known))
        self.rescore()

    def rescore(self) -> None:
        """Score whatever is not scored by the current model (e.g. after an undo)."""
        store, path = self._store, self._model_path
        if store is not None and path:
            self._jobs.post("score", lambda context: self._score(context, store, path))

    def stop(self) -> None:
        """End the thread and wait for it."""
        self._jobs.close()

    # -- in the thread ----------------------------------------------------------------
    def _import(self, context: JobContext, store: Any,
                read: Callable[[], Iterable[Any]], source: str,
                known: set[str]) -> tuple[Any, ...]:
        from workbench.core.inbox_import import InboxImportError

        try:
            report = store.import_messages(
                read(), source, known, should_stop=context.stopped,
                on_progress=lambda r: context.emit("progress", r.added, -1))
        except InboxImportError as error:
            return ("import_failed", str(error))
        except OSError as error:
            return ("import_failed", f"{source}: cannot be read ({error})")
        finally:
            store.close()  # this thread's connection; reopened on next use
        return ("imported", report)

    def _score(self, context: JobContext, store: Any,
               model_path: str) -> tuple[Any, ...] | None:
        from workbench.nlu.artefacts import ArtefactError
        from workbench.nlu.predictor_loader import load_model  # torch: here only
        from workbench.training.prelabel import prelabel_inbox

        try:
            if model_path not in self._models:
                try:
                    self._models.clear()
                    self._models[model_path] = load_model(model_path)
                except ArtefactError as error:
                    return ("failed", f"The active model cannot be used: {error}")
            count = prelabel_inbox(
                store, self._models[model_path], model_path,
                should_stop=context.stopped,
                on_progress=lambda p: (context.emit("progress", p.done, p.total),
                                       context.emit("scored", p.done)))
        finally:
            store.close()
        return None if context.stopped() else ("scoring_done", count)
