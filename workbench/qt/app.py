"""Start the desktop window: called by ``workbench app`` / ``python -m workbench``.

The command line (``workbench/cli/app_command.py``) owns argument parsing, the display
and system-library checks and the sample copy; it imports this module only when a
window will really be shown, so headless paths never load PySide6.
"""

from __future__ import annotations

import sys
from pathlib import Path

from workbench.qt.threads import live_threads, register_thread

__all__ = ["live_threads", "register_thread", "run_window"]


def run_window(
    project_path: str | Path | None = None,
    settings_path: str | Path | None = None,
    *,
    notice: str | None = None,
) -> int:
    """Show the main window (opening ``project_path``) and run the event loop.

    Args:
        project_path: a project folder or NLU file; ``None`` opens an empty window.
        settings_path: an INI file for preferences instead of the user's settings.
        notice: a line for the status bar once the project is open (e.g. where the
            sample copy is).

    Returns:
        The exit status of the event loop.
    """
    from PySide6.QtWidgets import QApplication  # noqa: I001  (before pyqtgraph)
    import pyqtgraph  # noqa: F401  (after PySide6, so it picks the same binding)

    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import APPLICATION, ORGANISATION, SettingsStore
    from workbench.qt.style import load_stylesheet

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setStyleSheet(load_stylesheet())
    store = SettingsStore.at_path(settings_path) if settings_path else SettingsStore()
    window = MainWindow(settings_store=store)
    window.show()
    if project_path is not None:
        target = Path(project_path)
        if not target.exists():
            window.prompter.inform(
                "Cannot open project", f"{target}: no such file or folder."
            )
        elif window.open_project(target) and notice:
            window.statusBar().showMessage(notice, 30000)
    return int(app.exec())
