"""Pre-label the inbox with the project's active model, in batches, least work first.

:func:`prelabel_inbox` scores pending messages chunk by chunk (``predict_many``),
committing each chunk, so the first messages are reviewable while the rest are still
scored; it stops between chunks when asked. The stored record is the model's
``parse`` output for the text plus which model made it (:func:`prediction_record`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.training.inbox_store import InboxStore

if TYPE_CHECKING:
    from workbench.nlu.predictor import Prediction
    from workbench.nlu.predictor_loader import NluModel

CHUNK = 256  # messages per committed chunk (first chunk small: see prelabel_inbox)
FIRST_CHUNK = 64


@dataclass(frozen=True, slots=True)
class PrelabelProgress:
    """How far scoring is: ``done`` of ``total`` messages of this pass."""

    done: int
    total: int
    model: str


def model_fingerprint(model_dir: Path) -> str:
    """A short digest of a model folder's ``checksums.json`` (names + weights hash)."""
    try:
        data = (Path(model_dir) / "checksums.json").read_bytes()
    except OSError:
        data = str(model_dir).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def prediction_record(prediction: Prediction, model_path: str, fingerprint: str
                      ) -> dict[str, Any]:
    """What the inbox stores for one prediction: Rasa parse dict + model identity."""
    return {"parse": prediction.to_rasa(), "model": model_path,
            "fingerprint": fingerprint}


def prelabel_inbox(store: InboxStore, model: NluModel, model_path: str, *,
                   should_stop: Callable[[], bool] = lambda: False,
                   on_progress: Callable[[PrelabelProgress], None] | None = None,
                   batch_size: int = 64) -> int:
    """Score every pending message not yet scored by ``model_path``; return how many.

    Args:
        store: the inbox (this thread's connection is used).
        model: the loaded model.
        model_path: recorded with each prediction; messages scored by another
            model are scored again.
    """
    fingerprint = model_fingerprint(Path(model_path))
    total = store.count_unscored(model_path)
    done = 0
    size = FIRST_CHUNK
    while not should_stop():
        rows = store.unscored(size, model_path)
        if not rows:
            break
        predictions = model.predict_many([text for _, text in rows],
                                         batch_size=batch_size)
        store.set_predictions(
            (message_id, prediction_record(p, model_path, fingerprint))
            for (message_id, _), p in zip(rows, predictions, strict=True))
        done += len(rows)
        total = max(total, done)
        if on_progress is not None:
            on_progress(PrelabelProgress(done, total, model_path))
        size = CHUNK
    return done
