"""One undo history for the whole window: core commands wrapped in ``QUndoCommand``.

Core commands (``workbench.core.commands``) are plain objects with ``redo(project)``,
``undo(project)`` and ``text``. ``ProjectHistory.push`` runs the command once, outside
Qt, so that a refused edit (``ValueError`` with a message) is reported instead of being
printed from inside a C++ virtual call; only commands that succeeded enter the stack.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack


class CoreCommand(Protocol):
    """What the history needs from a core command."""

    text: str

    def redo(self, project: Any) -> Any:
        """Apply the edit."""

    def undo(self, project: Any) -> Any:
        """Revert the edit."""


class CoreUndoCommand(QUndoCommand):
    """A ``QUndoCommand`` that applies a core command to a project."""

    def __init__(
        self, project: Any, command: CoreCommand, *, already_done: bool
    ) -> None:
        super().__init__(str(getattr(command, "text", type(command).__name__)))
        self.project = project
        self.command = command
        self._skip_next_redo = already_done

    def redo(self) -> None:
        """Apply (skipped once when the history already applied it)."""
        if self._skip_next_redo:
            self._skip_next_redo = False
            return
        self.command.redo(self.project)

    def undo(self) -> None:
        """Revert."""
        self.command.undo(self.project)


class ProjectHistory(QObject):
    """The undo stack of one open project.

    Signals:
        edited(): any edit was done, undone or redone.
        refused(str): a command refused to run; the message says why.
    """

    edited = Signal()
    refused = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.project: Any = None
        self.stack.indexChanged.connect(self._on_stack_index_changed)

    def attach(self, project: Any) -> None:
        """Start a fresh history for ``project``."""
        self.project = project
        self.stack.clear()
        self.stack.setClean()

    def push(self, command: CoreCommand) -> bool:
        """Run ``command`` and record it; return whether it ran.

        A ``ValueError``/``KeyError``/``IndexError`` raised by the command (the core's
        way to refuse an edit) is reported through ``refused`` and nothing is recorded.
        """
        if self.project is None:
            return False
        try:
            command.redo(self.project)
        except (ValueError, KeyError, IndexError) as error:
            self.refused.emit(f"{getattr(command, 'text', 'edit')}: {error}")
            return False
        self.stack.push(CoreUndoCommand(self.project, command, already_done=True))
        return True

    def push_many(self, text: str, commands: list[CoreCommand]) -> bool:
        """Run commands as one undo step (a macro); stop at the first refusal."""
        if not commands:
            return False
        self.stack.beginMacro(text)
        try:
            for command in commands:
                if not self.push(command):
                    break
        finally:
            self.stack.endMacro()
        return True

    def _on_stack_index_changed(self, _index: int) -> None:
        self.edited.emit()
