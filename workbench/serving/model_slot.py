"""The model a server answers with, and swapping it without dropping requests.

A request takes :attr:`ModelSlot.current` once and parses with that object to the end;
:meth:`ModelSlot.swap` loads the new model completely (any failure leaves the old one
in place) and only then replaces the reference, so requests in flight finish on the
model they started with and no request ever sees a half-loaded one.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.nlu.artefacts import CHECKSUMS_FILE, ArtefactError
from workbench.nlu.predictor_loader import NluModel, load_model
from workbench.training.active_model import active_model, is_model_folder


class ModelSourceError(ArtefactError):
    """The path is neither a model folder nor a project with a trained model."""


def resolve_model_source(source: str | Path) -> Path:
    """The model folder for ``source``: a model folder as is, a project's active model.

    Raises:
        ModelSourceError: nothing there, or a project without a finished model.
    """
    path = Path(source).expanduser()
    if not path.exists():
        raise ModelSourceError(f"{path}: no such model folder or project")
    if path.is_dir() and not is_model_folder(path):
        if is_model_folder(path / "model"):  # a run folder
            return path / "model"
        model = active_model(path)
        if model is None:
            raise ModelSourceError(
                f"{path}: not a model folder (no metadata.json) and no trained model "
                f"for this project: train one with `workbench train {path}`")
        return model
    return path


@dataclass(frozen=True)
class ServedModel:
    """A loaded model and what ``GET /status`` says about it."""

    model: NluModel
    path: Path
    model_id: str
    fingerprint: dict[str, Any]
    loaded_at: str  # ISO 8601, UTC

    def status(self) -> dict[str, Any]:
        """Rasa's ``/status`` fields (plus ``loaded_at``)."""
        return {"model_id": self.model_id, "model_file": str(self.path),
                "fingerprint": dict(self.fingerprint), "loaded_at": self.loaded_at,
                "num_active_training_jobs": 0}


def load_served(source: str | Path) -> ServedModel:
    """Resolve ``source`` and load it (:class:`ArtefactError` says why it can't)."""
    path = resolve_model_source(source)
    model = load_model(path)
    # One parse now builds the tokenizer's pattern (~0.4 s, once per process) and
    # warms torch, so the first request is not the slow one.
    model.parse("warm up")
    path = Path(model.path or path).resolve()
    loaded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return ServedModel(model=model, path=path, model_id=path.name,
                       fingerprint=_fingerprint(model, path), loaded_at=loaded_at)


def _fingerprint(model: NluModel, path: Path) -> dict[str, Any]:
    """What identifies the model: a digest of its checksums, data and config digests."""
    fingerprint: dict[str, Any] = {}
    try:
        checksums = (path / CHECKSUMS_FILE).read_bytes()
        fingerprint["model"] = hashlib.sha256(checksums).hexdigest()[:16]
    except OSError:
        pass
    info = model.metadata.get("training")
    if isinstance(info, dict):
        for key, name in (("data_fingerprint", "data"), ("config_digest", "config")):
            value = info.get(key)
            if isinstance(value, str):
                fingerprint[name] = value
    return fingerprint


@dataclass
class ModelSlot:
    """Holds the served model; :meth:`swap` replaces it atomically."""

    _current: ServedModel
    _swap_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def current(self) -> ServedModel:
        return self._current

    def swap(self, source: str | Path) -> ServedModel:
        """Load ``source`` fully, then serve it. One swap at a time; on error the
        old model stays (the :class:`ArtefactError` says why)."""
        with self._swap_lock:
            served = load_served(source)
            self._current = served
            return served
