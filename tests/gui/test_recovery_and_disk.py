"""Crash recovery file, external file changes and the headless `workbench app`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.gui.conftest import REPO_ROOT
from tests.gui.helpers import example_index, show_example
from workbench.qt.main_window import MainWindow


def test_recovery_file_restores_after_a_crash(
    qtbot, window, settings_store, prompter, pizza_project_dir
):
    show_example(window, "hello").annotate(0, 5, "greeting")
    window.session.add_intent("lonely")
    path = window.guard.write_recovery_now()
    assert path == pizza_project_dir / ".workbench" / "recovery.json" and path.exists()
    window.discard_and_close()  # like a crash: nothing saved, recovery file left
    second = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(second)
    prompter.answers.append("Restore")
    second.open_project(pizza_project_dir)
    assert prompter.asked[-1][0] == "Restore unsaved work?"
    example = second.session.project.examples[example_index(second, "hello")]
    assert [(s.entity, s.start, s.end) for s in example.entities] == [
        ("greeting", 0, 5)
    ]
    assert "lonely" in second.session.project.intents
    assert second.isWindowModified()
    second.save()
    assert not path.exists()  # a clean save removes the recovery file
    assert "- [hello](greeting)" in (pizza_project_dir / "data" / "nlu.yml").read_text()
    second.discard_and_close()


def test_recovery_discard_deletes_file(
    qtbot, window, settings_store, prompter, pizza_project_dir
):
    show_example(window, "hello").annotate(0, 5, "greeting")
    path = window.guard.write_recovery_now()
    window.discard_and_close()
    second = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(second)
    prompter.answers.append("Discard")
    second.open_project(pizza_project_dir)
    assert not path.exists()
    hello = second.session.project.examples[example_index(second, "hello")]
    assert hello.entities == ()
    assert not second.isWindowModified()
    second.discard_and_close()


def test_external_change_offers_reload(qtbot, window, prompter, pizza_project_dir):
    nlu = pizza_project_dir / "data" / "nlu.yml"
    prompter.answers.append("Reload")
    nlu.write_text(nlu.read_text().replace("- hello\n", "- hello from outside\n"))
    qtbot.waitUntil(
        lambda: any(t == "Files changed on disk" for t, _ in prompter.asked),
        timeout=5000,
    )
    assert example_index(window, "hello from outside") >= 0


def test_own_save_is_not_reported_as_external_change(qtbot, window, prompter):
    show_example(window, "hello").annotate(0, 5, "greeting")
    window.save()
    qtbot.wait(600)  # longer than the watcher's settle delay
    assert not any(t == "Files changed on disk" for t, _ in prompter.asked)
    assert window.guard.check_now() == []


def test_app_command_without_display_summarises(tmp_path, pizza_project_dir):
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    result = subprocess.run(
        [sys.executable, "-m", "workbench", str(pizza_project_dir)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert "No display found" in result.stderr and "xvfb-run" in result.stderr
    assert "10 examples, 3 intents" in result.stdout
    assert "problems:" in result.stdout
    assert result.returncode in (0, 1), result.stderr


def test_app_command_reports_a_missing_project(tmp_path):
    from workbench.cli.app_command import summarise

    assert summarise(Path(tmp_path / "nope")) == 2


def test_void_qt_calls_keep_none_refcount(qtbot, window):
    # PySide6 6.12.0 drops None's refcount on every void call (environment.md).
    before = sys.getrefcount(None)
    label = window.status_label
    for number in range(1000):
        label.setText(str(number))
        label.update()
    after = sys.getrefcount(None)
    assert after >= before - 50, (before, after)


def test_edits_are_autosaved_after_a_pause(qtbot, window, pizza_project_dir):
    path = pizza_project_dir / ".workbench" / "recovery.json"
    assert not path.exists()
    show_example(window, "hello").annotate(0, 5, "greeting")
    # Debounced (2 s after the last edit), written on the writer thread.
    qtbot.waitUntil(path.exists, timeout=10_000)
    window.actions["undo"].trigger()  # back to the saved state: nothing to recover
    window.guard.write_recovery_now()
    assert not path.exists()


def test_external_change_keep_mine_marks_modified(
    qtbot, window, prompter, pizza_project_dir
):
    nlu = pizza_project_dir / "data" / "nlu.yml"
    prompter.answers.append("Keep mine")
    nlu.write_text(nlu.read_text().replace("- bye\n", "- bye bye bye\n"))
    qtbot.waitUntil(
        lambda: any(t == "Files changed on disk" for t, _ in prompter.asked),
        timeout=5000,
    )
    assert example_index(window, "bye") >= 0  # our version stays
    assert window.isWindowModified()  # saving now would overwrite the other change
