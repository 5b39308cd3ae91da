"""The Train tab trains in a child process: a killed child, closing the window.

Real windows and real (tiny) runs on a copy of ``sample_projects/tiny``.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.gui.conftest import TINY

pytest.importorskip("torch")

TIMEOUT = 180_000  # ms: a bound for a hang on a loaded 2-core machine


def _alive(pid: int) -> bool:
    try:  # our own child: reaped by multiprocessing once it ended
        finished, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return finished == 0


def _start_and_wait_for_an_epoch(qtbot, view, epochs: int) -> list:
    from workbench.training.events import EpochCompleted

    seen: list = []
    view.worker.event.connect(seen.append)
    view.epochs_box.setValue(epochs)
    assert view.start_training()
    qtbot.waitUntil(lambda: any(isinstance(e, EpochCompleted) for e in seen),
                    timeout=TIMEOUT)
    return seen


def test_a_killed_training_process_shows_a_message_and_the_app_stays_usable(
        qtbot, tiny_window, prompter):
    from workbench.training.events import TrainingFailed, TrainingFinished

    view = tiny_window.train_view
    seen = _start_and_wait_for_an_epoch(qtbot, view, 1000)
    pid = view.worker.pid
    assert pid is not None and pid != os.getpid()
    with qtbot.waitSignal(view.worker.finished, timeout=TIMEOUT):
        os.kill(pid, signal.SIGKILL)
    failed = [e for e in seen if isinstance(e, TrainingFailed)]
    assert len(failed) == 1 and "ended unexpectedly" in failed[0].message
    title, text = prompter.asked[-1]
    assert title == "Training failed" and "SIGKILL" in text
    assert "failed" in view.status.text().lower()
    assert view.train_button.isEnabled() and not view.stop_button.isEnabled()
    assert view.runs_panel.runs[0].status == "failed"
    # The app goes on: the next run trains (in a new child).
    view.epochs_box.setValue(1)
    with qtbot.waitSignal(view.worker.finished, timeout=TIMEOUT):
        assert view.start_training()
    assert isinstance(seen[-1], TrainingFinished)
    assert view.active is not None and tiny_window.tester_view.has_model


def test_closing_the_window_ends_the_training_process_and_keeps_the_model(
        qtbot, settings_store, prompter, tmp_path):
    from workbench.qt.main_window import MainWindow
    from workbench.training.run_history import RunHistory

    root = tmp_path / "tiny"
    shutil.copytree(TINY, root)
    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(root)
    win.show()
    view = win.train_view
    _start_and_wait_for_an_epoch(qtbot, view, 1000)
    pid = view.worker.pid
    win.discard_and_close()
    assert not view.worker.is_running() and not _alive(pid)
    run = RunHistory.for_project(root).runs()[-1]
    assert run.status == "cancelled" and run.model_path  # stopped, not killed
    assert Path(run.model_path).is_dir()
