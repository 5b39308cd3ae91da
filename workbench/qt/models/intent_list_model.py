"""IntentTableModel: intent names with their example counts (first row: all intents)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from workbench.qt.models.column_table_model import ColumnTableModel
from workbench.qt.models.roles import SORT_ROLE

_Index = QModelIndex | QPersistentModelIndex
INTENT_ROLE = Qt.ItemDataRole.UserRole + 10  # intent name; None for the "all" row


class IntentTableModel(ColumnTableModel):
    """Rows: "All intents", then ``project.intents`` in file order, with counts.

    Call ``refresh(project)`` after edits: counts update in place; a changed list of
    names resets the model (views restore their selection by name).
    """

    columns = ("Intent", "Examples")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._counts: Counter[str] = Counter()
        self._total = 0

    def refresh(self, project: Any) -> None:
        """Re-read intent names and counts from ``project``."""
        names = list(project.intents) if project is not None else []
        counts: Counter[str] = Counter()
        if project is not None:
            counts.update(example.intent for example in project.examples)
        # Intents used by examples but missing from the list still deserve a row.
        names += [name for name in counts if name not in set(names)]
        total = sum(counts.values())
        if names != self._names:
            self.beginResetModel()
            self._names, self._counts, self._total = names, counts, total
            self.endResetModel()
        elif counts != self._counts or total != self._total:
            self._counts, self._total = counts, total
            self.dataChanged.emit(self.index(0, 1), self.index(len(self._names), 1))

    def names(self) -> list[str]:
        """Return the intent names listed."""
        return list(self._names)

    def count(self, intent: str) -> int:
        """Return the number of examples of ``intent``."""
        return self._counts.get(intent, 0)

    def row_of(self, intent: str | None) -> int:
        """Return the row of ``intent`` (0 for ``None``, -1 if unknown)."""
        if intent is None:
            return 0
        return self._names.index(intent) + 1 if intent in self._names else -1

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """All-intents row plus one per intent."""
        return 0 if parent.isValid() else len(self._names) + 1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Name, count, the intent (``INTENT_ROLE``) or a sort key."""
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        name = self._names[row - 1] if row > 0 else None
        if role == INTENT_ROLE:
            return name
        if role == SORT_ROLE:
            # "All intents" stays on top whichever way the column is sorted.
            return (row > 0, name or "") if column == 0 else (
                row > 0, self._count(name)
            )
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return name if name is not None else "All intents"
            return self._count(name)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and name is None:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and name is not None and not self._count(
            name
        ):
            return "No examples yet"
        return None

    def _count(self, name: str | None) -> int:
        return self._total if name is None else self._counts.get(name, 0)
