"""``run_training``: train the NLU pipeline on a project snapshot as a stream of events.

The CLI, the desktop app and the tests all consume this generator::

    for event in run_training(project.snapshot(), project_dir=project.root, stop=token):
        match event:
            case EpochCompleted(): ...
            case TrainingFinished(model_path=path): ...

It never raises: bad input and errors become a final :class:`TrainingFailed`, a stop
request a final :class:`TrainingCancelled`. Nodes whose fingerprint is cached are
restored instead of recomputed (see :mod:`workbench.training.graph`), and every run is
recorded in ``PROJECT/.workbench/runs.db``.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
import uuid
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.training.cache import TrainingCache, open_cache, user_cache_dir
from workbench.training.control import StopToken
from workbench.training.events import (
    EpochCompleted,
    EvaluationCompleted,
    TrainingCancelled,
    TrainingEvent,
    TrainingFailed,
    TrainingFinished,
    TrainingNote,
    frozen_mapping,
)
from workbench.training.graph import TrainingStopped
from workbench.training.run_history import CANCELLED, FAILED, FINISHED, RunHistory
from workbench.training.session import RunResult, TrainingInputError, TrainingSession

if TYPE_CHECKING:
    from workbench.core.snapshot import ProjectSnapshot

_DEFAULT: Any = object()  # "derive it from project_dir" for cache and history


def run_training(
    snapshot: ProjectSnapshot,
    *,
    config: Mapping[str, Any] | None = None,
    stop: StopToken | None = None,
    seed: int | None = None,
    device: str = "auto",
    cache: TrainingCache | None = _DEFAULT,
    finetune_from: str | Path | None = None,
    out_dir: str | Path | None = None,
    project_dir: str | Path | None = None,
    epochs: int | None = None,
    force: bool = False,
    history: RunHistory | None = _DEFAULT,
    live_projections: bool = True,
) -> Iterator[TrainingEvent]:
    """Train the pipeline of ``snapshot`` and yield events until it ends.

    Args:
        snapshot: A ``ProjectSnapshot`` (examples, synonyms, regexes, lookups, config).
        config: A Rasa config mapping used instead of ``snapshot.config``.
        stop: Cooperative stop (and pause) request, checked between batches.
        seed: Random seed; default: DIET's ``random_seed`` if set, else 42.
        device: "auto", "cpu", "cuda[:n]" or "mps".
        cache: The training cache; default: ``PROJECT/.workbench/cache`` (falling back
            to ``~/.cache/workbench``); None trains uncached.
        finetune_from: An earlier model directory to continue training.
        out_dir: Where to write the model; default a new folder
            ``PROJECT/models/<timestamp>-<run id suffix>`` (never an existing one).
        project_dir: The project folder (for the cache, run history and models).
        epochs: Override DIET's ``epochs``. When finetuning, the default is a tenth of
            the configured epochs, at least 10 (never more than configured).
        force: Recompute every node, ignoring (and then refreshing) the cache.
        history: The run history; default ``PROJECT/.workbench/runs.db``; None: none.
        live_projections: Yield EmbeddingsProjected during training (about every 10 %
            of the epochs); false skips them (the final projection is always made and
            stored with the model). Consumers without a scatter view save ~1 %.

    Yields:
        TrainingStarted, node/epoch/embedding events, then exactly one of
        TrainingFinished, TrainingCancelled or TrainingFailed.
    """
    started = time.perf_counter()
    stop = stop or StopToken()
    folder = Path(project_dir) if project_dir is not None else None
    notes: list[str] = []
    if cache is _DEFAULT:
        cache, note = open_cache(folder) if folder is not None else (None, None)
        if note:
            notes.append(note)
    if history is _DEFAULT:
        history = _open_history(folder, notes)
    try:
        session = TrainingSession.prepare(
            snapshot, config=config, seed=seed, device=device, epochs=epochs,
            finetune_from=finetune_from, stop=stop)
    except TrainingInputError as error:
        yield from (TrainingNote(note) for note in notes)  # e.g. a repaired history
        yield TrainingFailed(str(error))
        return
    except Exception as error:  # noqa: BLE001 - never escape into a worker thread
        yield from (TrainingNote(note) for note in notes)
        yield TrainingFailed(f"cannot start training: {error}", traceback.format_exc())
        return

    run_id = ""
    if history is not None:
        try:
            run_id = history.start(
                data_fingerprint=session.data.all,
                config_fingerprint=session.config_digest, device=session.device,
                seed=session.seed, epochs=session.diet_config.epochs,
                finetune_from=str(finetune_from) if finetune_from else None)
        except Exception as error:  # noqa: BLE001 - history is a convenience
            notes.append(f"run history not recorded: {error}")
            history = None
    recorder = _Recorder(history, run_id, started)
    created: Path | None = None  # the model folder this run made (removed if unused)
    try:
        yield session.started_event(run_id)
        for note in [*notes, *session.notes]:
            yield TrainingNote(note)
        model_dir = _model_dir(out_dir, folder, run_id)
        if out_dir is None:
            created = model_dir
        moved = folder is not None and not model_dir.is_relative_to(folder)
        if out_dir is None and moved:
            yield TrainingNote(
                f"project folder not writable; the model goes to {model_dir}")
        result = yield from recorder.observe(
            session.run(cache, force=force, out_dir=model_dir,
                            live_projections=live_projections))
    except GeneratorExit:
        _remove_if_empty(created)
        recorder.finish(CANCELLED, message="the consumer stopped iterating")
        raise
    except Exception as error:  # noqa: BLE001 - becomes TrainingFailed
        _remove_if_empty(created)
        if isinstance(error, TrainingStopped):
            recorder.finish(CANCELLED, message=str(error))
            yield TrainingCancelled(time.perf_counter() - started,
                                    error.epochs_completed, run_id)
            return
        expected = isinstance(error, (TrainingInputError, ValueError))
        message = str(error) if expected else f"{type(error).__name__}: {error}"
        if isinstance(error, MemoryError):
            message = ("out of memory while training: lower batch_size (or the "
                       "transformer/embedding sizes) in config.yml, train on fewer "
                       "examples, or close other programs")
        recorder.finish(FAILED, message=message)
        yield TrainingFailed(message, traceback.format_exc(), run_id)
        return
    except BaseException as error:  # KeyboardInterrupt, SystemExit: record, re-raise
        _remove_if_empty(created)
        recorder.finish(CANCELLED, message=f"interrupted ({type(error).__name__})")
        raise
    wall = time.perf_counter() - started
    if result.stopped_after is not None:  # stopped, but a model was kept
        recorder.finish(CANCELLED, model_path=str(result.model_path),
                        metrics=result.metrics, nodes_run=result.nodes_run,
                        nodes_cached=result.nodes_cached,
                        message=f"stopped after {result.stopped_after} epoch(s); "
                                "the model so far was kept")
        yield TrainingCancelled(wall, result.stopped_after, run_id,
                                str(result.model_path), frozen_mapping(result.metrics))
        return
    recorder.finish(FINISHED, model_path=str(result.model_path), metrics=result.metrics,
                    nodes_run=result.nodes_run, nodes_cached=result.nodes_cached)
    yield TrainingFinished(str(result.model_path), wall, result.nodes_run,
                           result.nodes_cached, frozen_mapping(result.metrics), run_id)


def _open_history(folder: Path | None, notes: list[str]) -> RunHistory | None:
    if folder is None:
        return None
    try:
        history = RunHistory.for_project(folder)
    except Exception as error:  # noqa: BLE001 - e.g. a read-only project folder
        notes.append(f"run history not recorded ({error})")
        return None
    if history.notice:
        notes.append(history.notice)
    return history


def _model_dir(out_dir: str | Path | None, folder: Path | None, run_id: str) -> Path:
    """Return ``out_dir``, or create this run's own folder below ``PROJECT/models``.

    The folder is ``<local timestamp>-<run id suffix>`` and is created here with
    ``exist_ok=False``, so two runs started in the same second (two processes on one
    project) never share a folder and a model is never overwritten.
    """
    if out_dir is not None:
        return Path(out_dir)
    if folder is None:
        raise TrainingInputError("no output folder: pass out_dir or project_dir")
    parent = folder / "models"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if not os.access(parent, os.W_OK):
            raise PermissionError(f"{parent} is not writable")
    except OSError:  # e.g. a single NLU file in a read-only place
        parent = user_cache_dir().parent / "models"
        parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    suffix = run_id.rsplit("-", 1)[-1] if run_id else uuid.uuid4().hex[:6]
    for attempt in range(100):
        name = f"{stamp}-{suffix}" + (f"-{attempt + 1}" if attempt else "")
        candidate = parent / name
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise OSError(f"cannot create a new model folder in {parent}")


def _remove_if_empty(folder: Path | None) -> None:
    """Remove a model folder this run created but never wrote into."""
    if folder is not None:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when empty


class _Recorder:
    """Mirror events into the run history (a no-op without one)."""

    def __init__(self, history: RunHistory | None, run_id: str, started: float) -> None:
        self.history, self.run_id, self.started = history, run_id, started
        self.finished = False
        self._last_epoch: EpochCompleted | None = None

    def observe(self, events: Generator[TrainingEvent, None, RunResult]
                ) -> Generator[TrainingEvent, None, RunResult]:
        """Pass ``events`` through, recording epochs and evaluations; return result."""
        while True:
            try:
                event = next(events)
            except StopIteration as done:
                return done.value
            self._record(event)
            yield event

    def _record(self, event: TrainingEvent) -> None:
        if self.history is None:
            return
        try:
            if isinstance(event, EpochCompleted):
                self._last_epoch = event
                self.history.add_epoch(self.run_id, event.epoch, event.seconds,
                                       event.losses, event.metrics)
            elif isinstance(event, EvaluationCompleted):
                self.history.set_evaluation(self.run_id, event.metrics)
                last = self._last_epoch
                if last is not None and last.epoch == event.epoch:
                    # Per-epoch validation metrics too, so charts can overlay them.
                    self.history.add_epoch(self.run_id, last.epoch, last.seconds,
                                           last.losses,
                                           {**last.metrics, **event.metrics})
        except Exception:  # noqa: BLE001 - a locked database must not stop training
            pass

    def finish(self, status: str, *, model_path: str | None = None,
               metrics: Mapping[str, float] | None = None, nodes_run: tuple = (),
               nodes_cached: tuple = (), message: str | None = None) -> None:
        if self.history is None or self.finished:
            return
        self.finished = True
        try:
            self.history.finish(self.run_id, status,
                                wall_seconds=time.perf_counter() - self.started,
                                model_path=model_path, final_metrics=metrics,
                                nodes_run=nodes_run, nodes_cached=nodes_cached,
                                message=message)
        except Exception:  # noqa: BLE001
            pass
