"""EvaluationWorker: evaluate the active model or cross-validate, off the GUI thread.

Three jobs, one at a time, each stoppable:

* ``training data``: predict every project example with the model
  (``predict_examples``; the predictions hold the very ``Example`` objects, so the
  examples table can tell which rows were edited since);
* ``test file``: evaluate a chosen NLU file (its own examples, not the project's);
* ``cross-validation``: ``workbench.training.cross_validation.cross_validate`` on a
  snapshot (out-of-fold predictions for every example).

torch is imported inside the thread (a ``JobThread``). The result is an
``ExampleEvaluation``.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.qt.workers.job_thread import JobContext, JobThread
from workbench.training.control import StopToken

TRAINING, TEST_FILE, CROSS_VALIDATION = "training", "test", "cv"
_PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True)
class EvaluationJob:
    """What to evaluate.

    ``examples`` are the project's examples (``TRAINING``); ``test_path`` the file
    (``TEST_FILE``); ``snapshot`` and ``folds`` for ``CROSS_VALIDATION``.
    """

    kind: str
    model_path: str | None = None
    examples: tuple[Any, ...] = ()
    test_path: str | None = None
    snapshot: Any = None
    folds: int = 5
    epochs: int | None = None
    project_dir: str | None = None


class _Evaluation:
    """One job, run in the worker's thread: its stop token and throttled progress."""

    def __init__(self, job: EvaluationJob, stop: StopToken,
                 context: JobContext) -> None:
        self._job, self._stop, self._context = job, stop, context
        self._last = 0.0

    def _progress(self, done: int, total: int, what: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self._last < _PROGRESS_INTERVAL_S:
            return
        self._last = now
        self._context.emit("progress", int(done), int(total), what)

    def run(self) -> tuple[Any, ...]:
        from workbench.nlu.example_predictions import EvaluationStopped

        try:
            result = self._evaluate()
        except EvaluationStopped:
            return ("cancelled",)
        except Exception as error:  # noqa: BLE001 - nothing dies silently in a thread
            return ("failed", _failure(error))
        if result is None or self._stop.stop_requested:
            return ("cancelled",)
        return ("finished", result)

    def _evaluate(self) -> Any:
        job = self._job
        if job.kind == CROSS_VALIDATION:
            return self._cross_validate()
        from workbench.nlu.example_predictions import (
            ExampleEvaluation,
            evaluate_examples,
        )
        from workbench.nlu.predictor_loader import load_model  # imports torch

        if not job.model_path:
            raise ValueError("there is no active model: train one first (Ctrl+T)")
        self._context.emit("progress", 0, 0, "loading the model")
        model = load_model(job.model_path)
        if job.kind == TEST_FILE:
            examples, source = _test_examples(job.test_path)
        else:
            examples, source = list(job.examples), "training data"
        result: ExampleEvaluation = evaluate_examples(
            model, examples, source, model_path=job.model_path,
            should_stop=self._stop, on_progress=lambda d, t: self._progress(
                d, t, "predicting"))
        return result

    def _cross_validate(self) -> Any:
        from workbench.core.machine_options import read_machine_options
        from workbench.training.cross_validation import cross_validate  # torch
        from workbench.training.threads import apply_thread_count

        job = self._job
        # device and threads chosen in the Settings tab, as for training
        project_dir = Path(job.project_dir) if job.project_dir else None
        options, _ = read_machine_options(project_dir)
        apply_thread_count(options.threads)
        return cross_validate(job.snapshot, folds=job.folds, stop=self._stop,
                              on_progress=self._forward_cv, epochs=job.epochs,
                              device=options.device)

    def _forward_cv(self, progress: Any) -> None:
        """Pass on a ``CrossValidationProgress`` (fold, folds, message, fraction)."""
        fraction = float(getattr(progress, "fraction", 0.0) or 0.0)
        fold, folds = getattr(progress, "fold", None), getattr(progress, "folds", None)
        message = str(getattr(progress, "message", "") or "")
        where = f"fold {fold}/{folds}" if fold and folds else "cross-validation"
        self._progress(int(round(1000 * min(1.0, max(0.0, fraction)))), 1000,
                       f"{where}: {message}" if message else where)


def _test_examples(path: str | None) -> tuple[list[Any], str]:
    """Read a test file's examples; a file that does not load is refused whole."""
    from workbench.core.project import ProjectLoadError, load_project

    if not path:
        raise ValueError("no test file chosen")
    try:
        project = load_project(path)
    except ProjectLoadError as error:
        raise ValueError(str(error)) from None
    errors = [i for i in project.load_issues if i.severity == "error"]
    if errors:
        raise ValueError(f"{path} did not load cleanly: {errors[0].format()}"
                         + (f" (and {len(errors) - 1} more)" if len(errors) > 1
                            else ""))
    examples = [e for e in project.examples if e.intent]
    if not examples:
        raise ValueError(f"{path} holds no labelled examples (Rasa NLU YAML with "
                         "'- intent:' blocks expected)")
    return examples, f"test file {Path(path).name}"


def _failure(error: Exception) -> str:
    if isinstance(error, (ValueError, OSError)) or type(error).__name__ in (
            "ArtefactError", "CrossValidationError"):
        return str(error)
    return f"evaluation crashed: {error}\n{traceback.format_exc(limit=4)}"


class EvaluationWorker(QObject):
    """Run one :class:`EvaluationJob` at a time in a background thread.

    Signals:
        progress(int, int, str): done, total (0: unknown), what is being done.
        finished(object): the ``ExampleEvaluation``.
        failed(str): a message for the user.
        cancelled(): Stop was honoured; nothing was produced.
        stopped(): the job ended (after any of the three above).
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    stopped = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = JobThread(self, "evaluation")
        self._jobs.ended.connect(self.stopped)
        self._stop = StopToken()
        self.current: EvaluationJob | None = None

    def is_running(self) -> bool:
        """Whether a job is in progress."""
        return self._jobs.busy

    def start(self, job: EvaluationJob) -> bool:
        """Start ``job``; False when one is already running."""
        if self.is_running():
            return False
        self._stop = stop = StopToken()
        self.current = job
        self._jobs.post("evaluate", lambda context: _Evaluation(
            job, stop, context).run())
        return True

    def request_stop(self) -> None:
        """Ask the job to stop (between batches / folds)."""
        self._stop.request_stop()

    def stop_and_wait(self, msecs: int = 30000) -> bool:
        """Stop and wait for the thread (window closing, tests)."""
        self.request_stop()
        return self._jobs.stop(msecs)
