"""Which trained model a project uses: the user's choice, else the newest good run.

The choice is kept in ``PROJECT/.workbench/active_model.json`` (written atomically), so
it survives restarts and a quick experiment does not silently replace a better model:
training never changes the choice by itself. Without a choice (or when the chosen
folder is gone), the model of the newest finished run whose folder still holds a model
is active. Every consumer (tester, scatter, inbox, ``workbench serve PROJECT``) asks
:func:`active_model`.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from workbench.training.run_history import FINISHED, HistoryError, RunHistory

CHOICE_FILE = "active_model.json"
MODEL_MARKER = "metadata.json"  # a folder holding this file is taken to be a model


def is_model_folder(path: Path) -> bool:
    """True when ``path`` looks like a saved model (existence check only)."""
    return (Path(path) / MODEL_MARKER).is_file()


def chosen_model(project_dir: Path) -> Path | None:
    """The model the user chose for this project, if any and if it still exists."""
    choice = Path(project_dir) / ".workbench" / CHOICE_FILE
    try:
        data = json.loads(choice.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    raw = data.get("path") if isinstance(data, dict) else None
    if not isinstance(raw, str) or not raw:
        return None
    path = Path(raw)
    if not path.is_absolute():
        path = Path(project_dir) / path
    return path if is_model_folder(path) else None


def newest_model(project_dir: Path) -> Path | None:
    """The model of the newest finished run whose folder still holds a model."""
    history_file = Path(project_dir) / ".workbench" / "runs.db"
    if not history_file.exists():
        return None
    try:
        runs = RunHistory(history_file).runs(with_epochs=False)
    except (HistoryError, OSError, Exception):  # noqa: BLE001 - a broken history means "none"
        return None
    for run in sorted(runs, key=lambda r: r.started, reverse=True):
        if run.status == FINISHED and run.model_path and is_model_folder(
                Path(run.model_path)):
            return Path(run.model_path)
    return None


def active_model(project_dir: Path) -> Path | None:
    """The model the project uses: the user's choice, else :func:`newest_model`."""
    return chosen_model(project_dir) or newest_model(project_dir)


def set_active_model(project_dir: Path, model_path: Path | None) -> None:
    """Remember ``model_path`` as the project's model (``None`` forgets the choice).

    Raises:
        ValueError: ``model_path`` is not a model folder.
        OSError: The choice cannot be written.
    """
    folder = Path(project_dir) / ".workbench"
    choice = folder / CHOICE_FILE
    if model_path is None:
        choice.unlink(missing_ok=True)
        return
    model_path = Path(model_path).resolve()
    if not is_model_folder(model_path):
        raise ValueError(f"{model_path} is not a trained model folder "
                         f"(no {MODEL_MARKER})")
    try:
        stored = str(model_path.relative_to(Path(project_dir).resolve()))
    except ValueError:
        stored = str(model_path)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"path": stored,
                       "chosen_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    fd, temp = tempfile.mkstemp(prefix=f".{CHOICE_FILE}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, choice)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
