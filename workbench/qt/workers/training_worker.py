"""TrainingWorker: train in a child process and emit its events in the GUI.

The worker is the only bridge between training and the GUI. The run itself goes on in a
child process (:mod:`workbench.training.child_process`), so it never holds this
process's GIL: the GUI thread stays responsive however hard training works. A QThread
here only starts the child, reads its events from the pipe and emits one ``event``
signal per event (progress already coalesced by the child); epoch and final events
always pass. Any failure, a child that dies included, becomes a ``TrainingFailed``
event. Neither torch nor the training code is imported in this process.
"""

from __future__ import annotations

import contextlib
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from workbench.qt.threads import register_thread
from workbench.training.child_process import (
    TrainingProcess,
    TrainingRequest,
    warm_up,
)
from workbench.training.events import TrainingFailed

KILL_AFTER_MS = 5000  # stop_and_wait: a child that ignores "stop" this long is killed
KILL_WAIT_MS = 3000  # ... and the relay then ends within this (it reads an EOF)


class _Relay(QObject):
    """Start the child, pass its events on (lives in the worker's QThread)."""

    event = Signal(object)
    done = Signal()

    def __init__(self, process: TrainingProcess) -> None:
        super().__init__()
        self.process = process
        self.warm_next = True  # start a spare child for the next run when this ends

    @Slot()
    def run(self) -> None:
        try:
            self.process.start()
            for event in self.process.events():
                self.event.emit(event)
        except Exception as error:  # noqa: BLE001 - nothing dies silently in a thread
            self.event.emit(TrainingFailed(
                f"cannot run the training process: {error}", traceback.format_exc()))
        finally:
            self.process.close()
            if self.warm_next:
                # The next run starts without waiting for torch; if no process can
                # be started, only that head start is lost.
                with contextlib.suppress(Exception):
                    warm_up()
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
        self._relay: _Relay | None = None

    @property
    def pid(self) -> int | None:
        """The process id of the run's child (None when no run goes or not yet)."""
        return self._relay.process.pid if self._relay is not None else None

    def is_running(self) -> bool:
        """Whether a run is in progress."""
        return self._thread is not None and self._thread.isRunning()

    def start(
        self, snapshot: Any, project_dir: Path | None = None, epochs: int | None = None,
        *, finetune_from: Path | None = None,
    ) -> bool:
        """Train ``snapshot`` in a child process; False if a run is already going.

        ``finetune_from``: a model folder to continue training (the ``--finetune``
        path); new intents and entity types are allowed. Device and CPU threads come
        from the project's ``.workbench/training.json`` (the Settings tab).
        """
        if self.is_running():
            return False
        request = TrainingRequest(
            snapshot, str(project_dir) if project_dir is not None else None, epochs,
            str(finetune_from) if finetune_from is not None else None)
        thread = QThread()
        thread.setObjectName("training")
        relay = _Relay(TrainingProcess(request))
        relay.moveToThread(thread)
        thread.started.connect(relay.run)
        relay.event.connect(self.event)
        # Direct: quit() is thread-safe, and a queued call would wait for the GUI
        # thread, which may be blocked in stop_and_wait() (window closing).
        relay.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._relay = thread, relay
        register_thread(thread)
        thread.start()
        return True

    def request_stop(self) -> None:
        """Ask the run to stop between batches (returns at once)."""
        if self._relay is not None:
            self._relay.process.request_stop()

    def stop_and_wait(self, msecs: int = 30000) -> bool:
        """Stop the run and wait for its thread (window close, test teardown).

        A child that has not stopped after ``KILL_AFTER_MS`` is killed (the model so
        far may be lost then); no spare child is started afterwards.
        """
        thread, relay = self._thread, self._relay
        if thread is None or relay is None:
            return True
        relay.warm_next = False
        relay.process.request_stop()
        if thread.wait(min(msecs, KILL_AFTER_MS)):
            return True
        relay.process.terminate()  # the relay reads the end of the pipe and ends
        return thread.wait(max(KILL_WAIT_MS, msecs - KILL_AFTER_MS))

    def _on_thread_finished(self) -> None:
        # Keep the finished thread object alive until the next run: dropping the last
        # reference inside its own finished handler would delete the sender mid-signal.
        self._last = (self._thread, self._relay)
        self._thread, self._relay = None, None
        self.finished.emit()
