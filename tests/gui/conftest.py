"""Fixtures for the GUI tests: offscreen Qt, isolated settings, projects in tmp dirs."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# Must happen before any QApplication exists: without a display Qt aborts the process.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("PySide6")

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PROJECT = REPO_ROOT / "sample_projects" / "pizza"
DATASETS = (REPO_ROOT / ".." / "shared" / "datasets").resolve()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``gui``."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def settings_store(tmp_path: Path):
    """A SettingsStore over an INI file in tmp: never the developer's real settings."""
    from workbench.qt.settings import SettingsStore

    return SettingsStore.at_path(tmp_path / "settings" / "workbench.ini")


PIZZA_NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
- intent: order_pizza
  examples: |
    - I want a [large](size) [pepperoni](topping) pizza
    - one [small](size) pizza with [mushrooms](topping) please
    - can I get a pepperoni pizza
    - a [medium](size) pizza with extra cheese
    - pepperoni and olives on a large pizza
- intent: goodbye
  examples: |
    - bye
    - see you later
- synonym: pepperoni
  examples: |
    - peperoni
    - pepperonni
- regex: size
  examples: |
    - \\b(small|medium|large)\\b
- lookup: topping
  examples: |
    - pepperoni
    - mushrooms
    - olives
"""


@pytest.fixture
def pizza_project_dir(tmp_path: Path) -> Path:
    """A small project folder (data/nlu.yml) written for the test."""
    root = tmp_path / "pizza"
    (root / "data").mkdir(parents=True)
    (root / "data" / "nlu.yml").write_text(PIZZA_NLU, encoding="utf-8")
    return root


@pytest.fixture
def sample_project_copy(tmp_path: Path) -> Path:
    """A copy of the bundled sample project (skipped when it does not exist yet)."""
    if not SAMPLE_PROJECT.is_dir():
        pytest.skip(f"bundled sample project missing: {SAMPLE_PROJECT}")
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE_PROJECT, target)
    return target


@pytest.fixture
def window(qtbot, settings_store, pizza_project_dir, prompter):
    """A main window with the small pizza project open; closed without prompts after."""
    from workbench.qt.main_window import MainWindow

    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(pizza_project_dir)
    win.resize(1200, 800)
    win.show()
    yield win
    win.discard_and_close()


@pytest.fixture(autouse=True)
def _no_dangling_qthreads():
    """Fail a test that leaves a QThread running (destroying one aborts the process)."""
    yield
    from PySide6.QtCore import QThread

    from workbench.qt import app as qt_app

    running = [
        t for t in qt_app.live_threads() if isinstance(t, QThread) and t.isRunning()
    ]
    assert not running, f"QThreads left running: {running}"


def pytest_report_header() -> str:
    """Say which Qt platform the GUI tests use."""
    platform = os.environ.get("QT_QPA_PLATFORM")
    return f"qt platform: {platform} (python {sys.version.split()[0]})"


@pytest.fixture
def prompter():
    """Scripted answers for the window's questions (append to ``.answers``)."""
    from workbench.qt.dialogs.prompter import ScriptedPrompter

    return ScriptedPrompter()


TINY = REPO_ROOT / "sample_projects" / "tiny"


@pytest.fixture
def tiny_window(qtbot, settings_store, prompter, tmp_path):
    """A main window on a copy of sample_projects/tiny (skipped without torch)."""
    if not TINY.is_dir():
        pytest.skip(f"sample project missing: {TINY}")
    pytest.importorskip("torch")
    from workbench.qt.main_window import MainWindow

    root = tmp_path / "tiny"
    shutil.copytree(TINY, root)
    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(root)
    win.show()
    yield win
    win.discard_and_close()
