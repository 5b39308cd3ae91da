"""TrainingWorker: run ``workbench.training.runner.run_training`` in a QThread.

The worker is the only bridge between the training generator and the GUI: it iterates
the generator in its own thread and emits one ``event`` signal per training event.
Progress events (batches, featurization) are coalesced to at most ``MAX_RATE`` per
second, because each GUI update costs 10-25 ms (environment.md); epoch and final events
always pass. Any exception becomes a ``TrainingFailed`` event. torch is imported here,
inside the thread, when training starts, so the window opens without it.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from workbench.core.machine_options import read_machine_options
from workbench.qt.threads import register_thread
from workbench.training.control import StopToken
from workbench.training.events import (
    BatchProgress,
    FeaturizationProgress,
    TrainingFailed,
)

MAX_RATE = 10.0  # progress updates per second at most
# While a run goes, the GUI thread gets the GIL back after at most 1 ms instead of
# Python's default 5 ms. PySide releases the GIL around Qt calls, so one chart redraw
# re-acquires it hundreds of times: at 5 ms a wait, a 25 ms redraw took 100+ ms while
# training (docs/benchmarks.md). Forced switches only happen when a thread waits.
GUI_SWITCH_INTERVAL_S = 0.001


class _TrainingJob(QObject):
    event = Signal(object)
    done = Signal()

    def __init__(self, snapshot: Any, project_dir: Path | None, epochs: int | None,
                 stop: StopToken, finetune_from: Path | None = None) -> None:
        super().__init__()
        self._snapshot, self._project_dir = snapshot, project_dir
        self._epochs, self._stop = epochs, stop
        self._finetune_from = finetune_from

    @Slot()
    def run(self) -> None:
        last = 0.0
        try:
            from workbench.training.runner import run_training  # imports torch
            from workbench.training.threads import apply_thread_count

            # device and threads chosen in the Settings tab (.workbench/training.json)
            options, _ = read_machine_options(self._project_dir)
            apply_thread_count(options.threads)

            events = run_training(
                self._snapshot,
                project_dir=self._project_dir,
                epochs=self._epochs,
                stop=self._stop,
                device=options.device,
                finetune_from=self._finetune_from,
            )
            for event in events:
                if isinstance(event, (BatchProgress, FeaturizationProgress)):
                    now = time.monotonic()
                    if now - last < 1.0 / MAX_RATE:
                        continue
                    last = now
                self.event.emit(event)
        except Exception as error:  # noqa: BLE001 - nothing dies silently in a thread
            self.event.emit(
                TrainingFailed(f"training crashed: {error}", traceback.format_exc())
            )
        finally:
            self.done.emit()


class TrainingWorker(QObject):
    """Start, stop and follow one training run at a time.

    Signals:
        event(object): a training event (already throttled).
        finished(): the run ended (finished, cancelled or failed); the thread stopped.
    """

    event = Signal(object)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: _TrainingJob | None = None
        self._stop: StopToken | None = None
        self._saved_switch_interval: float | None = None

    def is_running(self) -> bool:
        """Whether a run is in progress."""
        return self._thread is not None and self._thread.isRunning()

    def start(
        self, snapshot: Any, project_dir: Path | None = None, epochs: int | None = None,
        *, finetune_from: Path | None = None,
    ) -> bool:
        """Train ``snapshot`` in the background; False if a run is already going.

        ``finetune_from``: a model folder to continue training (the ``--finetune``
        path); new intents and entity types are allowed.
        """
        if self.is_running():
            return False
        self._stop = StopToken()
        thread = QThread()
        thread.setObjectName("training")
        job = _TrainingJob(snapshot, project_dir, epochs, self._stop, finetune_from)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.event.connect(self.event)
        # Direct: quit() is thread-safe, and a queued call would wait for the GUI
        # thread, which may be blocked in stop_and_wait() (window closing).
        job.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._job = thread, job
        register_thread(thread)
        if self._saved_switch_interval is None:
            self._saved_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(GUI_SWITCH_INTERVAL_S,
                                      self._saved_switch_interval))
        thread.start()
        return True

    def request_stop(self) -> None:
        """Ask the run to stop between batches (returns at once)."""
        if self._stop is not None:
            self._stop.request_stop()

    def stop_and_wait(self, msecs: int = 30000) -> bool:
        """Stop the run and wait for its thread (window close, test teardown)."""
        self.request_stop()
        if self._thread is None:
            return True
        done = self._thread.wait(msecs)
        if done:
            self._restore_switch_interval()
        return done

    def _on_thread_finished(self) -> None:
        # Keep the finished thread object alive until the next run: dropping the last
        # reference inside its own finished handler would delete the sender mid-signal.
        self._last = (self._thread, self._job)
        self._thread, self._job = None, None
        self._restore_switch_interval()
        self.finished.emit()

    def _restore_switch_interval(self) -> None:
        if self._saved_switch_interval is not None:
            sys.setswitchinterval(self._saved_switch_interval)
            self._saved_switch_interval = None
