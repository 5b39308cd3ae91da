"""PredictionWorker: load a trained model and parse messages off the GUI thread.

The latest request wins (napari's status checker idea): while a parse runs, newer
texts replace the pending one, so typing never queues up stale work; the same holds
for batches. torch is imported inside the thread, with the model. Each result says how
long the model took (seconds, measured around ``predict``).
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from workbench.qt.threads import register_thread


class _Predictor(QThread):
    predicted = Signal(str, object, float)  # text, Prediction, seconds
    batch_predicted = Signal(int, object, float)  # batch id, [Prediction], seconds
    failed = Signal(str)
    loaded = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("prediction")
        self._lock = threading.Condition()
        self._model_path: str | None = None
        self._text: str | None = None
        self._batch: tuple[int, list[str]] | None = None
        self._quit = False

    def request(self, model_path: str | None = None, text: str | None = None,
                batch: tuple[int, list[str]] | None = None) -> None:
        with self._lock:
            if model_path is not None:
                self._model_path = model_path
            if text is not None:
                self._text = text
            if batch is not None:
                self._batch = batch
            self._lock.notify()

    def shutdown(self) -> None:
        with self._lock:
            self._quit = True
            self._lock.notify()

    def run(self) -> None:
        model: Any = None
        loaded_path: str | None = None
        while True:
            with self._lock:
                while not self._quit and self._text is None and self._batch is None:
                    if self._model_path != loaded_path:
                        break
                    self._lock.wait()
                if self._quit:
                    return
                path, text, self._text = self._model_path, self._text, None
                batch, self._batch = self._batch, None
            try:
                if path != loaded_path:
                    # Imports torch: only here, in the worker thread.
                    from workbench.nlu.predictor_loader import load_model

                    model, loaded_path = load_model(path), path
                    self.loaded.emit(str(path))
                if model is None:
                    continue
                if text is not None:
                    started = time.perf_counter()
                    prediction = model.predict(text, all_tags=True)
                    self.predicted.emit(text, prediction,
                                        time.perf_counter() - started)
                if batch is not None:
                    started = time.perf_counter()
                    predictions = model.predict_many(batch[1])
                    self.batch_predicted.emit(batch[0], predictions,
                                              time.perf_counter() - started)
            except Exception as error:  # noqa: BLE001 - report, keep serving
                loaded_path = path
                self.failed.emit(f"{error}\n{traceback.format_exc(limit=2)}")


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
        self._thread = _Predictor()
        self._thread.predicted.connect(self.predicted)
        self._thread.batch_predicted.connect(self.batch_predicted)
        self._thread.failed.connect(self.failed)
        self._thread.loaded.connect(self.loaded)
        register_thread(self._thread)
        self._started = False
        self._batches = 0

    def _ensure_started(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def set_model(self, path: str) -> None:
        """Load the model at ``path`` (replacing the current one)."""
        self._ensure_started()
        self._thread.request(model_path=path)

    def parse(self, text: str) -> None:
        """Parse ``text`` (a newer call replaces a pending one)."""
        self._ensure_started()
        self._thread.request(text=text)

    def predict_batch(self, texts: list[str]) -> int:
        """Predict ``texts`` together; returns the id ``batch_predicted`` will carry.

        A newer batch replaces one still pending.
        """
        self._ensure_started()
        self._batches += 1
        self._thread.request(batch=(self._batches, list(texts)))
        return self._batches

    def stop(self) -> None:
        """End the thread and wait for it."""
        if self._started:
            self._thread.shutdown()
            self._thread.wait()
