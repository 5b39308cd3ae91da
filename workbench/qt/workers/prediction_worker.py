"""PredictionWorker: load a trained model and parse messages off the GUI thread.

The latest request wins (napari's status checker idea): while a parse runs, newer
texts replace the pending one, so typing never queues up stale work; the same holds
for batches. torch is imported inside the thread, with the model. Each result says how
long the model took (seconds, measured around ``predict``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.qt.workers.job_thread import JobThread


class PredictionWorker(QObject):
    """Parse texts with a model in a background thread.

    Signals:
        predicted(str, object, float): the text, its ``Prediction`` (every token's
            tag and confidence kept) and the seconds the model took.
        batch_predicted(int, object, float): a batch id (from :meth:`predict_batch`),
            its list of ``Prediction`` in line order, and the seconds taken.
        failed(str): loading or parsing failed.
        loaded(str): a model finished loading.
    """

    predicted = Signal(str, object, float)
    batch_predicted = Signal(int, object, float)
    failed = Signal(str)
    loaded = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = JobThread(self, "prediction")
        self._model_path: str | None = None
        self._model: Any = None  # used in the thread only
        self._batches = 0

    def set_model(self, path: str) -> None:
        """Load the model at ``path`` (replacing the current one)."""
        if path != self._model_path:
            self._model_path = path
            self._jobs.post("model", lambda _c: self._load(path), first=True)

    def parse(self, text: str) -> None:
        """Parse ``text`` (a newer call replaces a pending one)."""
        self._jobs.post("text", lambda _c: self._predict(
            "predicted", text, lambda model: model.predict(text, all_tags=True)))

    def predict_batch(self, texts: list[str]) -> int:
        """Predict ``texts`` together; returns the id ``batch_predicted`` will carry.

        A newer batch replaces one still pending.
        """
        self._batches += 1
        batch, lines = self._batches, list(texts)
        self._jobs.post("batch", lambda _c: self._predict(
            "batch_predicted", batch, lambda model: model.predict_many(lines)))
        return batch

    def stop(self) -> None:
        """End the thread and wait for it."""
        self._jobs.close()

    # -- in the thread ----------------------------------------------------------------
    def _load(self, path: str) -> tuple[Any, ...]:
        from workbench.nlu.predictor_loader import load_model  # imports torch

        self._model = None  # a model that did not load predicts nothing
        self._model = load_model(path)
        return ("loaded", str(path))

    def _predict(self, signal: str, what: Any,
                 predict: Callable[[Any], Any]) -> tuple[Any, ...] | None:
        if self._model is None:
            return None
        started = time.perf_counter()
        result = predict(self._model)
        return (signal, what, result, time.perf_counter() - started)
