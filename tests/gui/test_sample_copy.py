"""Open sample project and `workbench app` without PROJECT open a user copy."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.conftest import REPO_ROOT
from tests.gui.helpers import show_example
from workbench.core.sample_project import SAMPLE_PROJECT


def _digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*")) if path.is_file()
    }


def test_open_sample_opens_a_user_copy_and_says_where(window, monkeypatch, tmp_path):
    home = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    installed = _digest(SAMPLE_PROJECT)
    window.actions["open_sample"].trigger()
    copy = home / "pizza"
    assert window.session.path == copy
    message = window.statusBar().currentMessage()
    assert str(copy) in message and "Copied the sample project" in message

    text = window.session.project.examples[0].text
    show_example(window, text).annotate(0, len(text.split()[0]), "edited")
    assert window.save()
    assert _digest(SAMPLE_PROJECT) == installed  # the package's sample is untouched
    saved = _digest(copy)

    assert window.open_sample()  # the method and the action are the same thing
    assert window.session.path == copy
    assert "your copy of the sample project" in window.statusBar().currentMessage()
    assert _digest(copy) == saved  # reused, not copied over the edits
    assert sorted(p.name for p in home.iterdir()) == ["pizza"]


def test_open_sample_reports_an_unwritable_folder(window, monkeypatch, tmp_path,
                                                  prompter):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("WORKBENCH_HOME", str(blocker / "sub"))
    before = window.session.path
    assert not window.open_sample()
    title, text = prompter.asked[-1]
    assert title == "Cannot open the sample project" and "WORKBENCH_HOME" in text
    assert window.session.path == before


# Runs the real ``workbench app`` (argument parsing, checks, run_window, app.exec()) in
# a fresh interpreter: exec() and the app-wide style sheet would leak into other tests.
LAUNCH = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from workbench.cli import app_command
from workbench.qt.main_window import MainWindow
app = QApplication(sys.argv[:1])  # run_window reuses it; the timer needs it first
seen = {}
def look_and_quit():
    windows = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, MainWindow) and w.isVisible()]
    seen["windows"] = len(windows)
    seen["path"] = str(windows[0].session.path) if windows else None
    seen["message"] = windows[0].statusBar().currentMessage() if windows else ""
    for w in windows:
        w.discard_and_close()
    QApplication.instance().quit()
QTimer.singleShot(1000, look_and_quit)
status = app_command.main(sys.argv[1:])
print(json.dumps({"status": status, **seen}))
"""


@pytest.mark.parametrize("platform", ["offscreen", "xcb"])
def test_workbench_app_without_project_shows_the_copy_in_the_status_bar(tmp_path,
                                                                        platform):
    home = tmp_path / "home"
    env = {**os.environ, "WORKBENCH_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    settings = str(tmp_path / "settings.ini")
    command = [sys.executable, "-c", LAUNCH, "--settings", settings]
    if platform == "xcb":  # a real X server, Qt's default platform, the library check
        if shutil.which("xvfb-run") is None or not sys.platform.startswith("linux"):
            pytest.skip("needs xvfb-run (apt-get install xvfb)")
        from workbench.cli.system_libs import check_platform_libraries

        missing = check_platform_libraries({"DISPLAY": ":0"}).missing
        if missing:  # a test must not install packages (tests/test_launch.py: fakes)
            pytest.skip(f"Qt's xcb plugin lacks {', '.join(missing)}")
        del env["QT_QPA_PLATFORM"]
        env.pop("WAYLAND_DISPLAY", None)
        command = ["xvfb-run", "-a", *command]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    report = json.loads(lines[-1])
    copy = home / "pizza"
    assert report["status"] == 0 and report["windows"] == 1
    assert report["path"] == str(copy)
    assert str(copy) in report["message"]
    assert lines[0] == (f"Copied the sample project to {copy} (yours to edit; the "
                        "installed sample stays unchanged)")
