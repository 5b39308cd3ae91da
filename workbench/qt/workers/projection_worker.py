"""ProjectionWorker: embed the project's examples with a model and project them.

One thread, latest request wins: a new request (another method, model, or an edit)
replaces a pending one, and a result that is no longer wanted is dropped. The model's
embeddings are cached per (model, untrained, texts), so switching the projection method
only re-projects, and a request with the same texts and method (examples moved to
another intent) reuses the points with the new intents. torch and scikit-learn are
imported inside the thread.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from workbench.qt.threads import register_thread


@dataclass(frozen=True)
class MapRequest:
    """What to draw: the model, whether untrained, the examples and the method."""

    model_path: str
    example_indices: tuple[int, ...]
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    method: str = "pca"
    untrained: bool = False
    seed: int = 0


class _MapThread(QThread):
    computed = Signal(int, object)  # generation, EmbeddingMap
    progress = Signal(int, str)  # generation, what it is doing
    failed = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("projection")
        self._lock = threading.Condition()
        self._request: tuple[int, MapRequest] | None = None
        self._quit = False

    def request(self, generation: int, request: MapRequest) -> None:
        with self._lock:
            self._request = (generation, request)
            self._lock.notify()

    def shutdown(self) -> None:
        with self._lock:
            self._quit = True
            self._lock.notify()

    def run(self) -> None:
        models: dict[str, Any] = {}  # loaded model by path (the latest only)
        cached: tuple[tuple[Any, ...], Any] | None = None
        drawn: tuple[tuple[Any, ...], Any] | None = None  # (key + method, map)
        while True:
            with self._lock:
                while not self._quit and self._request is None:
                    self._lock.wait()
                if self._quit:
                    return
                generation, req = self._request  # type: ignore[misc]
                self._request = None
            try:
                from workbench.training.embedding_map import embed_examples, project_map

                key = (req.model_path, req.untrained, req.seed, req.texts)
                if cached is None or cached[0] != key:
                    if req.model_path not in models:
                        self.progress.emit(generation, "Loading the model…")
                        from workbench.nlu.predictor_loader import load_model

                        models.clear()
                        models[req.model_path] = load_model(req.model_path)
                    model = models[req.model_path]
                    if req.untrained:
                        model = model.untrained(req.seed)
                    self.progress.emit(generation,
                                       f"Embedding {len(req.texts):,} examples…")
                    cached = (key, embed_examples(model, req.texts))
                if drawn is not None and drawn[0] == (*key, req.method):
                    # Same texts, same method (e.g. examples moved): same points.
                    self.computed.emit(generation, replace(
                        drawn[1], labels=req.labels,
                        example_indices=np.asarray(req.example_indices, np.int64)))
                    continue
                from workbench.training.projection import METHOD_NAMES

                self.progress.emit(generation, f"Computing "
                                   f"{METHOD_NAMES.get(req.method, req.method)}…")
                result = project_map(
                    cached[1], req.example_indices, req.texts, req.labels,
                    req.method, req.seed, untrained=req.untrained,
                    model_path=req.model_path,
                )  # fmt: skip
                drawn = ((*key, req.method), result)
                self.computed.emit(generation, result)
            except Exception as error:  # noqa: BLE001 - report, keep serving
                first = str(error).splitlines()[0] if str(error) else ""
                self.failed.emit(generation, f"{type(error).__name__}: {first}\n"
                                 f"{traceback.format_exc(limit=2)}")


class ProjectionWorker(QObject):
    """Compute embedding maps in a background thread; stale results are dropped.

    Signals:
        computed(object): the ``EmbeddingMap`` of the latest request.
        progress(str): what the thread is doing for the latest request.
        failed(str): the latest request failed (the message says why).
    """

    computed = Signal(object)
    progress = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = _MapThread()
        self._thread.computed.connect(self._on_computed)
        self._thread.progress.connect(self._on_progress)
        self._thread.failed.connect(self._on_failed)
        register_thread(self._thread)
        self._started = False
        self._generation = 0
        self.busy = False

    def request(self, request: MapRequest) -> None:
        """Compute the map of ``request`` (replacing any pending request)."""
        if not self._started:
            self._started = True
            self._thread.start()
        self._generation += 1
        self.busy = True
        self._thread.request(self._generation, request)

    def cancel(self) -> None:
        """Forget the pending request: its result, if any, is dropped."""
        self._generation += 1
        self.busy = False

    def stop(self) -> None:
        """End the thread and wait for it."""
        self.cancel()
        if self._started:
            self._thread.shutdown()
            self._thread.wait()
            self._started = False

    def _on_computed(self, generation: int, result: object) -> None:
        if generation == self._generation:
            self.busy = False
            self.computed.emit(result)

    def _on_progress(self, generation: int, text: str) -> None:
        if generation == self._generation:
            self.progress.emit(text)

    def _on_failed(self, generation: int, text: str) -> None:
        if generation == self._generation:
            self.busy = False
            self.failed.emit(text)
