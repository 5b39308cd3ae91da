"""Questions the window asks the user, behind one small interface.

The window never calls ``QMessageBox`` directly: it asks its ``Prompter``. The desktop
uses ``DialogPrompter``; tests pass a ``ScriptedPrompter`` with the answers they want,
so no modal dialog ever blocks a test run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget


class Prompter:
    """Interface: ask a question and return the answer."""

    def choose(
        self, title: str, text: str, choices: Sequence[str], default: str
    ) -> str:
        """Return one of ``choices`` (``default`` if the dialog is just closed)."""
        raise NotImplementedError

    def get_text(self, title: str, label: str, text: str = "") -> str | None:
        """Return a line typed by the user, or ``None`` if cancelled."""
        raise NotImplementedError

    def get_item(self, title: str, label: str, items: Sequence[str]) -> str | None:
        """Return an item picked (or typed) by the user, or ``None`` if cancelled."""
        raise NotImplementedError

    def inform(self, title: str, text: str) -> None:
        """Show a message."""
        raise NotImplementedError


class DialogPrompter(Prompter):
    """Ask with modal Qt dialogs parented to ``parent``."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent

    def choose(
        self, title: str, text: str, choices: Sequence[str], default: str
    ) -> str:
        """Show a message box with one button per choice."""
        box, buttons = self.question_box(title, text, choices, default)
        box.exec()
        return buttons.get(box.clickedButton(), default)

    def question_box(
        self, title: str, text: str, choices: Sequence[str], default: str
    ) -> tuple[QMessageBox, dict[object, str]]:
        """Build (not show) the box ``choose`` shows; buttons map to their choice."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self._parent)
        buttons = {}
        for choice in choices:
            role = (
                QMessageBox.ButtonRole.RejectRole
                if choice.lower() in ("cancel", "keep mine", "don't save")
                else QMessageBox.ButtonRole.AcceptRole
            )
            buttons[box.addButton(choice, role)] = choice
        default_button = next((b for b, c in buttons.items() if c == default), None)
        if default_button is not None:
            box.setDefaultButton(default_button)
            box.setEscapeButton(default_button)
        return box, buttons

    def get_text(self, title: str, label: str, text: str = "") -> str | None:
        """Ask for one line of text."""
        value, ok = QInputDialog.getText(self._parent, title, label, text=text)
        return value if ok else None

    def get_item(self, title: str, label: str, items: Sequence[str]) -> str | None:
        """Ask to pick an item from an editable combo box."""
        value, ok = QInputDialog.getItem(
            self._parent, title, label, list(items), 0, True
        )
        return value if ok else None

    def inform(self, title: str, text: str) -> None:
        """Show an information box."""
        self.message_box(title, text).exec()

    def message_box(self, title: str, text: str) -> QMessageBox:
        """Build (not show) the box ``inform`` shows."""
        return QMessageBox(
            QMessageBox.Icon.Information, title, text,
            QMessageBox.StandardButton.Ok, self._parent,
        )  # fmt: skip


class ScriptedPrompter(Prompter):
    """Answer from a queue (for tests); records every question asked.

    Args:
        answers: answers in the order the questions will come; a question with no
            answer left gets the default (``choose``) or ``None`` (the others).
    """

    def __init__(self, answers: Sequence[str | None] = ()) -> None:
        self.answers: deque[str | None] = deque(answers)
        self.asked: list[tuple[str, str]] = []

    def _next(self, title: str, text: str) -> str | None:
        self.asked.append((title, text))
        return self.answers.popleft() if self.answers else None

    def choose(
        self, title: str, text: str, choices: Sequence[str], default: str
    ) -> str:
        """Return the next scripted answer (must be one of ``choices``)."""
        answer = self._next(title, text)
        if answer is None:
            return default
        if answer not in choices:
            raise AssertionError(f"scripted answer {answer!r} not in {list(choices)}")
        return answer

    def get_text(self, title: str, label: str, text: str = "") -> str | None:
        """Return the next scripted answer."""
        return self._next(title, label)

    def get_item(self, title: str, label: str, items: Sequence[str]) -> str | None:
        """Return the next scripted answer."""
        return self._next(title, label)

    def inform(self, title: str, text: str) -> None:
        """Record the message."""
        self.asked.append((title, text))
