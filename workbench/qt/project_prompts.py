"""ProjectPrompts: the questions about the project's files: restore, reload, keep."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbench.qt.recovery import apply_recovery, differs, read_recovery

if TYPE_CHECKING:
    from workbench.qt.main_window import MainWindow


class ProjectPrompts:
    """Offer to restore unsaved work, and to reload files changed by another program."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def offer_recovery(self) -> None:
        """After opening: offer the recovery file of a session that did not save."""
        path = self.window.guard.recovery_file()
        content = read_recovery(path) if path is not None and path.exists() else None
        project = self.window.session.project
        if content is None or project is None or not differs(project, content):
            self.window.guard.discard_recovery()
            return
        answer = self.window.prompter.choose(
            "Restore unsaved work?",
            "The last session with this project ended without saving. Restore the "
            "edits it made? (Discard deletes them.)",
            ("Restore", "Discard"), "Restore",
        )  # fmt: skip
        if answer == "Restore":
            apply_recovery(project, content)
            self.window.session.mark_restored()
            self.window.intent_model.refresh(project)
            for view in self.window.resource_views:
                view.refresh()
            if self.window.examples_view.editor is not None:
                self.window.examples_view.editor.refresh()
        else:
            self.window.guard.discard_recovery()

    def on_files_changed_on_disk(self, paths: list[Path]) -> None:
        """Ask whether to reload files another program changed, or keep ours."""
        names = ", ".join(p.name for p in paths)
        self.window.guard.paused = True
        try:
            answer = self.window.prompter.choose(
                "Files changed on disk",
                f"{names} changed outside the workbench. Reload the project from disk "
                "(your unsaved edits are dropped) or keep the version shown here?",
                (
                    "Reload", "Keep mine"
                ), "Keep mine" if self.window.session.dirty else "Reload",
            )  # fmt: skip
        finally:
            self.window.guard.paused = False
        if answer == "Reload" and self.window.session.path is not None:
            self.window.session.forget_edits()
            self.window.guard.discard_recovery()
            self.window.open_project(self.window.session.path, check_recovery=False)
        else:
            self.window.guard.remember_saved(paths)  # ask again only on the next change
            # What is shown now differs from the disk: it counts as unsaved.
            self.window.session.mark_restored()
