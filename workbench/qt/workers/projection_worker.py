"""ProjectionWorker: embed the project's examples with a model and project them.

One thread, latest request wins: a new request (another method, model, or an edit)
replaces a pending one, and a result that is no longer wanted is dropped. The model's
embeddings are cached per (model, untrained, texts), so switching the projection method
only re-projects, and a request with the same texts and method (examples moved to
another intent) reuses the points with the new intents. torch and scikit-learn are
imported inside the thread.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from workbench.qt.workers.job_thread import JobContext, JobThread


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


def _describe(error: BaseException) -> str:
    first = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {first}\n{traceback.format_exc(limit=2)}"


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
        self._jobs = JobThread(self, "projection", _describe)
        # Used in the thread only: the loaded model (latest only), the embeddings of
        # (model, untrained, seed, texts) and the last map drawn (key + method, map).
        self._models: dict[str, Any] = {}
        self._embedded: tuple[tuple[Any, ...], Any] | None = None
        self._drawn: tuple[tuple[Any, ...], Any] | None = None

    @property
    def busy(self) -> bool:
        """Whether the latest request has not answered yet."""
        return self._jobs.busy

    def request(self, request: MapRequest) -> None:
        """Compute the map of ``request`` (replacing any pending request)."""
        self._jobs.cancel()
        self._jobs.post("map", lambda context: self._compute(context, request))

    def cancel(self) -> None:
        """Forget the pending request: its result, if any, is dropped."""
        self._jobs.cancel()

    def stop(self) -> None:
        """End the thread and wait for it."""
        self._jobs.cancel()
        self._jobs.stop()

    # -- in the thread ----------------------------------------------------------------
    def _compute(self, context: JobContext, req: MapRequest) -> tuple[Any, ...]:
        from workbench.training.embedding_map import embed_examples, project_map

        key = (req.model_path, req.untrained, req.seed, req.texts)
        if self._embedded is None or self._embedded[0] != key:
            if req.model_path not in self._models:
                context.emit("progress", "Loading the model…")
                from workbench.nlu.predictor_loader import load_model

                self._models.clear()
                self._models[req.model_path] = load_model(req.model_path)
            model = self._models[req.model_path]
            if req.untrained:
                model = model.untrained(req.seed)
            context.emit("progress", f"Embedding {len(req.texts):,} examples…")
            self._embedded = (key, embed_examples(model, req.texts))
        if self._drawn is not None and self._drawn[0] == (*key, req.method):
            # Same texts, same method (e.g. examples moved): same points.
            return ("computed", replace(
                self._drawn[1], labels=req.labels,
                example_indices=np.asarray(req.example_indices, np.int64)))
        from workbench.training.projection import METHOD_NAMES

        context.emit("progress",
                     f"Computing {METHOD_NAMES.get(req.method, req.method)}…")
        result = project_map(
            self._embedded[1], req.example_indices, req.texts, req.labels,
            req.method, req.seed, untrained=req.untrained, model_path=req.model_path,
        )  # fmt: skip
        self._drawn = ((*key, req.method), result)
        return ("computed", result)
