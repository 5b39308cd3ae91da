"""Start the desktop app: ``python -m workbench`` / ``workbench app [PROJECT]``."""

from __future__ import annotations

import os
import sys
import weakref
from pathlib import Path
from typing import Any

_THREADS: weakref.WeakSet[Any] = weakref.WeakSet()


def register_thread(thread: Any) -> None:
    """Remember a QThread we started (tests check none is left running)."""
    _THREADS.add(thread)


def live_threads() -> list[Any]:
    """Return the QThreads started by the app that still exist."""
    return list(_THREADS)


def display_available() -> bool:
    """Whether Qt can show a window here (a display, or an explicit QPA platform)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_app(
    project: str | Path | None = None, settings_path: str | Path | None = None
) -> int:
    """Show the main window (opening ``project``) and run the event loop.

    Args:
        project: a project folder or NLU file; ``None`` opens the bundled sample.
        settings_path: an INI file for preferences instead of the user's settings.

    Returns:
        The exit status of the event loop.
    """
    from PySide6.QtWidgets import QApplication

    import pyqtgraph  # noqa: F401  (after PySide6, so it picks the same binding)

    from workbench.qt.main_window import SAMPLE_PROJECT, MainWindow
    from workbench.qt.settings import APPLICATION, ORGANISATION, SettingsStore
    from workbench.qt.style import load_stylesheet

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setStyleSheet(load_stylesheet())
    store = SettingsStore.at_path(settings_path) if settings_path else SettingsStore()
    window = MainWindow(settings_store=store)
    window.show()
    target = Path(project) if project else SAMPLE_PROJECT
    if target.exists():
        window.open_project(target)
    else:
        window.prompter.inform(
            "Cannot open project", f"{target}: no such file or folder."
        )
    return int(app.exec())


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m workbench``: same options as ``workbench app``."""
    from workbench.cli.app_command import build_parser, run

    return run(build_parser().parse_args(sys.argv[1:] if argv is None else argv))
