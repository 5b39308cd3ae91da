"""Render the Test tab screenshots (offscreen): tester, its add dialog, batch mode.

    .venv/bin/python tests/gui/make_tester_screenshots.py [TRAINED_PIZZA_COPY]

Trains a copy of sample_projects/pizza (30 epochs, a few minutes on 2 cores) in a
temporary folder unless a trained copy is given, then writes
docs/screenshots/tester.png, tester-add.png and tester-batch.png.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def _trained_copy(folder: Path) -> Path:
    from workbench.core.project import load_project
    from workbench.training.runner import run_training

    project = folder / "pizza"
    shutil.copytree(ROOT / "sample_projects" / "pizza", project,
                    ignore=shutil.ignore_patterns(".workbench", "models"))
    for _event in run_training(load_project(project).snapshot(), project_dir=project,
                               seed=1, device="cpu", force=True, epochs=30):
        pass
    return project


def main() -> int:
    """Write the screenshots."""
    from PySide6.QtWidgets import QApplication

    from workbench.qt.dialogs.prompter import ScriptedPrompter
    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import SettingsStore
    from workbench.qt.style import load_stylesheet

    app = QApplication.instance() or QApplication([])
    app.setStyleSheet(load_stylesheet())
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_CACHE_HOME"] = str(Path(folder) / "cache")
        given = Path(sys.argv[1]) if len(sys.argv) > 1 else None
        project = given or _trained_copy(Path(folder))
        (project / ".workbench" / "tester.db").unlink(missing_ok=True)
        window = MainWindow(SettingsStore.at_path(Path(folder) / "s.ini"),
                            ScriptedPrompter())
        window.resize(1280, 820)
        window.show()
        window.open_project(project)
        window.actions["test_message"].trigger()
        tester = window.tester_view

        def wait(condition, seconds: float = 60) -> None:
            end = time.monotonic() + seconds
            while not condition() and time.monotonic() < end:
                app.processEvents()
                time.sleep(0.02)

        def test(text: str) -> None:
            tester.input.setText(text)
            wait(lambda: tester._last is not None and tester._last.text == text)

        wait(lambda: tester.has_model)
        for text in ("hi there", "what's on the menu", "asdf qwerty zxcv"):
            test(text)
            tester.keep_in_history()
        test("I'd like a large pepperoni with extra mushrooms delivered to "
             "12 Main Street")
        tester.show_tokens.setChecked(True)
        app.processEvents()
        window.grab().save(str(OUT / "tester.png"))
        dialog = tester.open_add_dialog()
        app.processEvents()
        dialog.grab().save(str(OUT / "tester-add.png"))
        dialog.close()
        tester.modes.setCurrentWidget(tester.batch)
        tester.batch.input.setPlainText("hello\ncan I get a small margherita\n"
                                        "where is my order\nblorp\ncancel it please\n")
        lines = tester.batch.request_predictions()
        wait(lambda: len(tester.batch.predictions) == len(lines))
        tester.batch.table.selectRow(1)
        app.processEvents()
        window.grab().save(str(OUT / "tester-batch.png"))
        window.discard_and_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
