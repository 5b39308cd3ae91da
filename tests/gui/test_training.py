"""Train tab (QThread worker, live charts, stop) and the message tester."""

from __future__ import annotations

import subprocess
import sys

from tests.gui.conftest import REPO_ROOT


def _python(code: str) -> str:
    """Run ``code`` in a fresh interpreter at the repository root; its stdout."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=True,
    ).stdout  # fmt: skip


def test_window_opens_without_torch():
    # The GUI must show before torch loads: nothing in workbench.qt imports it eagerly.
    out = _python(
        "import os, sys; os.environ['QT_QPA_PLATFORM']='offscreen'; "
        "import workbench.qt.main_window, workbench.qt.app; "
        "print('torch' in sys.modules)"
    )
    assert out.strip() == "False"


def test_train_tab_trains_charts_and_tester_parses(qtbot, tiny_window):
    view = tiny_window.train_view
    view.epochs_box.setValue(2)
    with qtbot.waitSignal(view.model_trained, timeout=180_000) as trained:
        assert view.start_training()
        assert not view.train_button.isEnabled() and view.stop_button.isEnabled()
    qtbot.waitUntil(lambda: view.train_button.isEnabled(), timeout=30_000)
    epochs, values = view.history.series(view.history.names[0])
    assert list(epochs) == [1, 2] and len(values) == 2
    curves = {**view.loss_chart.curves, **view.metric_chart.curves}
    assert curves and all(len(c.getData()[0]) == 2 for c in curves.values())
    tester = tiny_window.tester_view
    assert tester.has_model  # the first model of the project became active
    assert view.active is not None and str(view.active) == trained.args[0]
    tester.input.setText("hello there")
    qtbot.waitUntil(lambda: bool(tester.ranking.rows()), timeout=60_000)
    intents = {name for name, _confidence in tester.ranking.rows()}
    assert intents <= set(tiny_window.session.project.intents)
    count = len(tiny_window.session.project.examples)
    dialog = tester.open_add_dialog()  # the user confirms (and may change the intent)
    if dialog.intent() is None:  # under the low-confidence threshold: not preselected
        dialog.set_intent(tester._last.intent.name)
    assert dialog.confirm()
    assert len(tiny_window.session.project.examples) == count + 1
    assert str(trained.args[0]).startswith(str(tiny_window.session.project.root))


def test_stop_button_cancels_training(qtbot, tiny_window):
    from workbench.training.events import (
        EpochCompleted,
        TrainingCancelled,
        TrainingFinished,
    )

    view = tiny_window.train_view
    view.epochs_box.setValue(200)
    seen = []
    view.worker.event.connect(seen.append)
    view.worker.event.connect(
        lambda e: view.stop_button.click() if isinstance(e, EpochCompleted) else None
    )
    with qtbot.waitSignal(view.worker.finished, timeout=180_000):
        view.start_training()
    assert any(isinstance(e, TrainingCancelled) for e in seen)
    assert not any(isinstance(e, TrainingFinished) for e in seen)
    assert sum(isinstance(e, EpochCompleted) for e in seen) < 200
    assert view.train_button.isEnabled() and "Stopped" in view.status.text()


def test_opening_a_project_imports_the_engine_in_the_background():
    # torch is imported after a project opens, off the GUI thread, so the end of the
    # first run does not pay for it (issue 11); the window still opens without it.
    out = _python(
        "import os, sys; os.environ['QT_QPA_PLATFORM']='offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from workbench.qt.dialogs.prompter import ScriptedPrompter\n"
        "from workbench.qt.main_window import MainWindow\n"
        "from workbench.qt.settings import SettingsStore\n"
        "from workbench.qt.workers.engine_preload import wait_for_engine\n"
        "import tempfile, pathlib\n"
        "tmp = pathlib.Path(tempfile.mkdtemp())\n"
        "w = MainWindow(settings_store=SettingsStore.at_path(tmp / 's.ini'), "
        "prompter=ScriptedPrompter())\n"
        "before = 'torch' in sys.modules\n"
        "assert w.open_project('sample_projects/pizza')\n"
        "assert wait_for_engine(120)\n"
        "print(before, 'torch' in sys.modules)\n"
        "w.discard_and_close()\n"
    )
    assert out.split()[-2:] == ["False", "True"]
