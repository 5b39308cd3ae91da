"""Render the screenshots in docs/screenshots/ (offscreen): run it, then look at them.

    .venv/bin/python tests/gui/make_screenshots.py

Uses a copy of sample_projects/pizza in a temporary folder and a temporary settings
file; popups are separate windows, so they are painted onto the window grab.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def _composite(window, popup, path: Path) -> None:
    from PySide6.QtGui import QPainter

    image = window.grab()
    painter = QPainter(image)
    painter.drawPixmap(window.mapFromGlobal(popup.pos()), popup.grab())
    painter.end()
    image.save(str(path))


def _train_screenshot(app, folder: Path, sample: str, epochs: int, name: str) -> None:
    """Train ``sample_projects/<sample>`` for ``epochs`` and grab the Train tab."""
    from PySide6.QtCore import QEventLoop

    from workbench.qt.dialogs.prompter import ScriptedPrompter
    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import SettingsStore

    project = folder / f"train-{sample}"
    shutil.copytree(ROOT / "sample_projects" / sample, project)
    window = MainWindow(
        SettingsStore.at_path(folder / f"{sample}.ini"), ScriptedPrompter()
    )
    window.resize(1280, 820)
    window.show()
    window.open_project(project)
    window.train_view.epochs_box.setValue(epochs)
    loop = QEventLoop()
    window.train_view.worker.finished.connect(loop.quit)
    window.actions["train"].trigger()
    loop.exec()
    window.tabs.setCurrentWidget(window.train_view)
    app.processEvents()
    window.grab().save(str(OUT / name))
    window.discard_and_close()


def _runs_overlay_screenshot(app, folder: Path) -> None:
    """Two runs of the pizza sample (held-out curves on), the first overlaid."""
    from PySide6.QtCore import QEventLoop

    from workbench.qt.dialogs.prompter import ScriptedPrompter
    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import SettingsStore

    project = folder / "runs-pizza"
    shutil.copytree(ROOT / "sample_projects" / "pizza", project,
                    ignore=shutil.ignore_patterns(".workbench", "models"))
    config = project / "config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "    epochs: 100\n", "    epochs: 100\n    evaluate_on_number_of_examples: 60\n"
        "    evaluate_every_number_of_epochs: 2\n", 1), encoding="utf-8")
    window = MainWindow(SettingsStore.at_path(folder / "runs.ini"), ScriptedPrompter())
    window.resize(1280, 900)
    window.show()
    window.open_project(project)
    view = window.train_view
    window.tabs.setCurrentWidget(view)
    for epochs in (20, 40):
        view.epochs_box.setValue(epochs)
        loop = QEventLoop()
        view.worker.finished.connect(loop.quit)
        view.start_training()
        loop.exec()
        view.worker.finished.disconnect(loop.quit)
    view.use_new_button.click()  # the 40-epoch model becomes the active one
    view.runs_panel.set_ticked(view.runs_panel.runs[1].id)  # overlay the first run
    view.runs_panel.select_run(view.runs_panel.runs[0].id)
    app.processEvents()
    window.grab().save(str(OUT / "train-runs-overlay.png"))
    window.discard_and_close()


def _settings_screenshot(app, folder: Path) -> None:
    """The Training settings tab: one value changed, one refused with its reason."""
    from workbench.qt.dialogs.prompter import ScriptedPrompter
    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import SettingsStore

    project = folder / "settings-pizza"
    shutil.copytree(ROOT / "sample_projects" / "pizza", project)
    window = MainWindow(
        SettingsStore.at_path(folder / "settings.ini"), ScriptedPrompter()
    )
    window.resize(1280, 820)
    window.show()
    window.open_project(project)
    panel = window.settings_panel
    window.tabs.setCurrentWidget(panel)
    for name, text in (("epochs", "150"), ("evaluate_on_number_of_examples", "100"),
                       ("transformer_size", "250")):
        panel.fields[name].setText(text)
        panel.fields[name].editingFinished.emit()
    app.processEvents()
    window.grab().save(str(OUT / "settings-panel.png"))
    window.discard_and_close()


def main() -> int:
    """Write the screenshots."""
    from PySide6.QtWidgets import QApplication

    from workbench.core.examples import Example
    from workbench.core.sample_project import SAMPLE_PROJECT
    from workbench.qt.dialogs.prompter import ScriptedPrompter
    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import SettingsStore
    from workbench.qt.style import load_stylesheet

    app = QApplication.instance() or QApplication([])
    app.setStyleSheet(load_stylesheet())
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "pizza"
        shutil.copytree(SAMPLE_PROJECT, project)
        window = MainWindow(
            SettingsStore.at_path(Path(folder) / "s.ini"), ScriptedPrompter()
        )
        window.resize(1280, 820)
        window.show()
        window.open_project(project)
        window.validation_worker.wait()
        app.processEvents()
        examples = window.session.project.examples
        order = next(i for i, e in enumerate(examples) if len(e.entities) >= 3)
        window.intent_panel.select_intent(examples[order].intent)
        window.examples_view.select_example(order)
        app.processEvents()
        window.grab().save(str(OUT / "main-window.png"))

        editor = window.examples_view.editor
        target = next(
            i for i, e in enumerate(examples)
            if e.intent == "order_pizza" and len(e.text.split()) >= 6
            and len(e.entities) <= 2
        )  # fmt: skip
        window.examples_view.select_example(target)
        app.processEvents()
        span_editor = editor.span_editor
        tokens = span_editor.tokens()
        free = next(
            t for t in tokens
            if span_editor.span_at(t.start) is None and t.end - t.start > 3
        )
        span_editor.select_range(free.start, free.end)
        editor._on_span_editor_span_requested(free.start, free.end)  # like a drag
        app.processEvents()
        _composite(window, editor.type_popup, OUT / "span-editor-popup.png")
        editor.type_popup.close()

        # Problems: a duplicate, a conflicting example and a missed annotation.
        session = window.session
        first = examples[0]
        session.add_example(Example(first.text, first.intent))
        other = next(e for e in examples if e.intent != first.intent)
        session.add_example(Example(other.text, first.intent))
        annotated = next(e for e in examples if e.entities)
        span = annotated.entities[0]
        surface = annotated.text[span.start : span.end]
        session.add_example(Example(f"I would like {surface} please", annotated.intent))
        window.validate_now()
        window.problems_dock.raise_()
        window.resizeDocks(
            [window.problems_dock],
            [260],
            __import__("PySide6.QtCore").QtCore.Qt.Orientation.Vertical,
        )
        app.processEvents()
        window.problems_panel.view.selectRow(0)
        window.jump_to_issue(window.problems_panel.current_issue())
        app.processEvents()
        window.grab().save(str(OUT / "problems-panel.png"))

        window.tabs.setCurrentIndex(1)
        synonyms = window.resource_views[0]
        synonyms.entry_list.setCurrentRow(0)
        app.processEvents()
        window.grab().save(str(OUT / "synonyms-editor.png"))
        window.discard_and_close()
        _settings_screenshot(app, Path(folder))
        _train_screenshot(app, Path(folder), "tiny", 40, "train-tab.png")
        _runs_overlay_screenshot(app, Path(folder))
        # The embedding scatter is more telling with the pizza sample's 20 intents.
        _train_screenshot(app, Path(folder), "pizza", 30, "train-embeddings.png")
        from tests.gui.make_map_screenshots import map_screenshots

        map_screenshots(app, Path(folder))
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
