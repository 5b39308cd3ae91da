"""Editors for synonyms, regexes and lookup tables: entries on the left, items right.

Every change goes through the session as an undoable core command; the lists are
rebuilt from the project after each edit, undo or redo (they are small).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from workbench.qt.dialogs.prompter import Prompter
    from workbench.qt.session import ProjectSession


@dataclass(frozen=True)
class ResourceKind:
    """How one kind of resource is named and stored on the project."""

    kind: str  # "synonym", "regex", "lookup" (the YAML block key)
    title: str  # tab title
    attribute: str  # Project attribute holding the list
    name_field: str  # dataclass field with the entry's name
    items_field: str  # dataclass field with the entry's items
    name_label: str  # what the name means, for prompts
    item_label: str  # what an item is, for prompts


SYNONYMS = ResourceKind("synonym", "Synonyms", "synonyms", "value", "examples",
                        "canonical value", "text that maps to it")  # fmt: skip
REGEXES = ResourceKind("regex", "Regexes", "regexes", "name", "patterns",
                       "regex name", "pattern")  # fmt: skip
LOOKUPS = ResourceKind("lookup", "Lookup tables", "lookups", "name", "elements",
                       "lookup table name", "element")  # fmt: skip


class ResourceEditorView(QWidget):
    """Add, rename, remove entries of one resource kind and edit their items."""

    def __init__(
        self,
        session: ProjectSession,
        kind: ResourceKind,
        prompter: Prompter,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{kind.kind}Editor")
        self._session = session
        self.kind = kind
        self._prompter = prompter
        self.entry_list = QListWidget(self)
        self.item_list = QListWidget(self)
        self.item_list.setEditTriggers(
            QListWidget.EditTrigger.DoubleClicked
            | QListWidget.EditTrigger.EditKeyPressed
        )
        self.message = QLabel(self)
        self.message.setObjectName("errorLabel")
        self.message.hide()
        left = _column(self, f"{kind.title}", self.entry_list,
                       [("Add…", self.add_entry), ("Rename…", self.rename_entry),
                        ("Remove", self.remove_entry)])  # fmt: skip
        right = _column(self, f"Items ({kind.item_label})", self.item_list,
                        [("Add…", self.add_item),
                         ("Remove", self.remove_items)])  # fmt: skip
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([260, 520])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        self.entry_list.currentRowChanged.connect(
            self._on_entry_list_current_row_changed
        )
        self.item_list.itemChanged.connect(self._on_item_list_item_changed)
        session.history.edited.connect(self.refresh)
        self._filling = False
        self.refresh()

    # -- reading ----------------------------------------------------------------------
    def entries(self) -> list[Any]:
        """Return the project's entries of this kind."""
        project = self._session.project
        if project is None:
            return []
        return list(getattr(project, self.kind.attribute))

    def _name(self, entry: Any) -> str:
        return getattr(entry, self.kind.name_field)

    def _items(self, entry: Any) -> tuple[str, ...]:
        return tuple(getattr(entry, self.kind.items_field))

    def current_entry(self) -> tuple[int, Any] | None:
        """Return ``(index, entry)`` of the selected entry."""
        row = self.entry_list.currentRow()
        entries = self.entries()
        return (row, entries[row]) if 0 <= row < len(entries) else None

    def refresh(self) -> None:
        """Rebuild both lists from the project, keeping the selected row."""
        self._filling = True
        row = max(self.entry_list.currentRow(), 0)
        self.entry_list.clear()
        for entry in self.entries():
            self.entry_list.addItem(f"{self._name(entry)}  ({len(self._items(entry))})")
        if self.entry_list.count():
            self.entry_list.setCurrentRow(min(row, self.entry_list.count() - 1))
        self._filling = False
        self._fill_items()

    def reset(self) -> None:
        """Show a newly opened project's entries from the first one."""
        self._report(None)
        self._filling = True
        self.entry_list.clear()  # the old project's row means nothing here
        self._filling = False
        self.refresh()

    def _fill_items(self) -> None:
        self._filling = True
        self.item_list.clear()
        current = self.current_entry()
        for value in self._items(current[1]) if current else ():
            item = QListWidgetItem(value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.item_list.addItem(item)
        self._filling = False

    def _on_entry_list_current_row_changed(self, _row: int) -> None:
        if not self._filling:
            self._fill_items()

    # -- editing ----------------------------------------------------------------------
    def _check(self, value: str) -> str | None:
        if not value.strip():
            return "An empty value is not allowed."
        if self.kind.kind == "regex":
            try:
                re.compile(value)
            except re.error as error:
                return f"Invalid pattern at position {error.pos}: {error.msg}"
        return None

    def _report(self, problem: str | None) -> bool:
        self.message.setVisible(problem is not None)
        self.message.setText(problem or "")
        return problem is None

    def add_entry(self, name: str | None = None, items: tuple[str, ...] = ()) -> bool:
        """Create an entry (asks for its name when not given)."""
        if name is None:
            name = self._prompter.get_text(
                f"New {self.kind.kind}", f"The {self.kind.name_label}:"
            )
        if name is None or not self._report(self._check(name)):
            return False
        return self._session.add_resource(self.kind.attribute, name.strip(), items)

    def rename_entry(self, name: str | None = None) -> bool:
        """Rename the selected entry."""
        current = self.current_entry()
        if current is None:
            return False
        index, entry = current
        if name is None:
            name = self._prompter.get_text(
                f"Rename {self.kind.kind}", "New name:", self._name(entry)
            )
        if name is None or not self._report(self._check(name)):
            return False
        new = dataclasses.replace(entry, **{self.kind.name_field: name.strip()})
        return self._session.replace_resource(self.kind.attribute, index, new)

    def remove_entry(self) -> bool:
        """Remove the selected entry."""
        current = self.current_entry()
        if current is None:
            return False
        return self._session.remove_resource(self.kind.attribute, current[0])

    def set_items(self, items: tuple[str, ...]) -> bool:
        """Replace the selected entry's items (validated)."""
        current = self.current_entry()
        if current is None:
            return False
        for value in items:
            if not self._report(self._check(value)):
                return False
        index, entry = current
        new = dataclasses.replace(entry, **{self.kind.items_field: tuple(items)})
        return self._session.replace_resource(self.kind.attribute, index, new)

    def add_item(self, value: str | None = None) -> bool:
        """Append an item to the selected entry."""
        current = self.current_entry()
        if current is None:
            return False
        if value is None:
            value = self._prompter.get_text(
                f"Add {self.kind.item_label}", f"New {self.kind.item_label}:"
            )
        if value is None:
            return False
        return self.set_items((*self._items(current[1]), value.strip()))

    def remove_items(self) -> bool:
        """Remove the selected items from the selected entry."""
        current = self.current_entry()
        rows = {index.row() for index in self.item_list.selectedIndexes()}
        if current is None or not rows:
            return False
        items = tuple(v for i, v in enumerate(self._items(current[1])) if i not in rows)
        return self.set_items(items)

    def _on_item_list_item_changed(self, item: QListWidgetItem) -> None:
        current = self.current_entry()
        if self._filling or current is None:
            return
        items = list(self._items(current[1]))
        row = self.item_list.row(item)
        if not 0 <= row < len(items):
            self._fill_items()  # the list is out of date: show the entry as it is
            return
        if items[row] == item.text():
            return
        items[row] = item.text().strip()
        if not self.set_items(tuple(items)):
            self._fill_items()


def _column(
    parent: QWidget, title: str, view: QListWidget, buttons: list[tuple[str, Any]]
) -> QWidget:
    column = QWidget(parent)
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    label = QLabel(f"<b>{title}</b>", column)
    layout.addWidget(label)
    layout.addWidget(view, 1)
    row = QHBoxLayout()
    for text, slot in buttons:
        button = QPushButton(text, column)
        button.clicked.connect(lambda _checked=False, s=slot: s())
        row.addWidget(button)
    row.addStretch(1)
    layout.addLayout(row)
    return column
