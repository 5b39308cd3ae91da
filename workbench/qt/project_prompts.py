"""ProjectPrompts: the questions about the project's files.

Restore unsaved work, reload files changed on disk, open a folder with no Rasa data,
create new files on save, and the notice about files that did not load. Every
question goes through the window's ``Prompter``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from workbench.core.load_checks import NO_PROJECT_DATA
from workbench.core.project_origins import intent_blocks
from workbench.core.recovery import apply_recovery, differs, read_recovery

if TYPE_CHECKING:
    from workbench.core.project import Project
    from workbench.qt.dialogs.prompter import Prompter
    from workbench.qt.models.intent_list_model import IntentTableModel
    from workbench.qt.project_guard import ProjectGuard
    from workbench.qt.session import ProjectSession
    from workbench.qt.views.examples_view import ExamplesView
    from workbench.qt.views.resource_editor_view import ResourceEditorView
    from workbench.qt.views.settings_panel import SettingsPanel

OPEN_ANYWAY, CANCEL = "Open anyway", "Cancel"
CREATE, DONT_SAVE = "Create", "Don't save"


class PromptsWindow(Protocol):
    """What ``ProjectPrompts`` uses of the window (``MainWindow``; no import of it)."""

    guard: ProjectGuard
    session: ProjectSession
    prompter: Prompter
    intent_model: IntentTableModel
    resource_views: list[ResourceEditorView]
    settings_panel: SettingsPanel
    examples_view: ExamplesView

    def open_project(self, path: str | Path, *, check_recovery: bool = ...,
                     discard_edits: bool = ...) -> bool: ...


def shown_path(project: Project, path: Path) -> str:
    """``path`` relative to the project folder when it is inside it."""
    try:
        return str(Path(path).relative_to(project.root))
    except ValueError:
        return str(path)


def _sentence(message: str) -> str:
    """``message`` with a capital first letter (core messages start lower case)."""
    return message[:1].upper() + message[1:]


def failed_paths(project: Project) -> list[Path]:
    """Data files that exist but did not load (never written by a save)."""
    return list(project.failed_paths)


def failed_summary(project: Project) -> str | None:
    """"N file(s) did not load and will not be saved until fixed" (None if none)."""
    count = len(failed_paths(project))
    if not count:
        return None
    return f"{count} file(s) did not load and will not be saved until fixed"


def new_intents(project: Project) -> list[str]:
    """Intents with no block in any file yet: a save writes them into a new block."""
    written = {block.name for block in intent_blocks(project)}
    return [name for name in project.intents if name not in written]


class ProjectPrompts:
    """Questions about the project's files (restore, reload, open, create), notices."""

    def __init__(self, window: PromptsWindow) -> None:
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
            self.window.settings_panel.refresh()
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
            # The user drops their edits: a pending text edit too (never committed).
            self.window.examples_view.discard_draft()
            self.window.open_project(
                self.window.session.path, check_recovery=False, discard_edits=True
            )
        else:
            self.window.guard.remember_saved(paths)  # ask again only on the next change
            # What is shown now differs from the disk: it counts as unsaved.
            self.window.session.mark_restored()

    def confirm_open_without_data(self, project: Project, path: str | Path) -> bool:
        """A folder with no Rasa data opens only if the user says so."""
        issue = next(
            (i for i in project.load_issues if i.code == NO_PROJECT_DATA), None
        )
        if issue is None:
            return True
        title = "No Rasa data found"
        if failed_paths(project):
            title = "No readable Rasa data"
        answer = self.window.prompter.choose(
            title,
            f"{_sentence(issue.message)}\n\nOpen {path} anyway, as an empty "
            "project? Nothing is written there until you save, and the workbench "
            "asks before it creates any file.",
            (OPEN_ANYWAY, CANCEL), CANCEL,
        )  # fmt: skip
        return answer == OPEN_ANYWAY

    def report_failed_files(self, project: Project) -> str | None:
        """After opening: say which files did not load (once); return the summary."""
        summary = failed_summary(project)
        if summary is None:
            return None
        lines = []
        for path in failed_paths(project):
            issue = next(
                (i for i in project.load_issues
                 if i.severity == "error" and i.path is not None
                 and Path(i.path) == Path(path)), None,
            )  # fmt: skip
            where = shown_path(project, path)
            if issue is not None and issue.line is not None:
                where += f", line {issue.line}"
            lines.append(f"• {where}: {issue.message if issue else 'not readable'}")
        if project.single_file:
            after = "Nothing can be saved until the file is fixed."
        else:
            after = (
                "They are left exactly as they are; other edits are saved as usual "
                "(into a new file only if you agree)."
            )
        self.window.prompter.inform(
            "Some files did not load",
            f"{_sentence(summary)}:\n" + "\n".join(lines) + f"\n\n{after} Fix the "
            "file in a text editor: the workbench offers to reload it when it changes.",
        )
        return summary

    def confirm_create_files(self, project: Project, paths: Sequence[Path]) -> bool:
        """Ask before a save creates ``paths``; False means "save nothing"."""
        names = [shown_path(project, path) for path in paths]
        intents = new_intents(project)
        target = names[0] if len(names) == 1 else "these files"
        question = f"Create {target}"
        if intents:
            quoted = ", ".join(f"'{name}'" for name in intents)
            question += f" for the new intent{'s' if len(intents) > 1 else ''} {quoted}"
        listing = "" if len(names) == 1 else "\n" + "\n".join(f"• {n}" for n in names)
        answer = self.window.prompter.choose(
            "Create new files?",
            f"{question}?{listing}\n\nThe project has no file for this data yet. "
            f"“{DONT_SAVE}” writes nothing: your edits stay here, unsaved.",
            (CREATE, DONT_SAVE), DONT_SAVE,
        )  # fmt: skip
        return answer == CREATE
