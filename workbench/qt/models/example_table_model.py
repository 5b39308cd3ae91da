"""ExampleTableModel: a Qt table over the core ``ExampleList``, driven by its events.

One row per example, in file order. The model never edits the list: edits go through
``core.commands`` (wrapped in the undo stack), and the list's ``inserting`` /
``inserted``, ``removing``/``removed``, ``changed`` and ``resetting``/``reset`` events
become the
matching ``begin*``/``end*`` calls (napari's ``_BaseEventedItemModel`` idea).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from workbench.core.example_list import ExampleList
from workbench.core.examples import Example
from workbench.qt.models.column_table_model import ColumnTableModel
from workbench.qt.models.roles import EXAMPLE_INDEX_ROLE, EXAMPLE_ROLE, SORT_ROLE

COLUMNS = ("Text", "Intent", "Entities", "Source")
TEXT_COLUMN, INTENT_COLUMN, ENTITIES_COLUMN, SOURCE_COLUMN = range(4)

_Index = QModelIndex | QPersistentModelIndex


class ExampleTableModel(ColumnTableModel):
    """Present ``examples`` as a table of text, intent, entity types and source.

    Args:
        examples: the project's evented example list.
    """

    columns = COLUMNS

    def __init__(self, examples: ExampleList, parent: Any = None) -> None:
        super().__init__(parent)
        self._examples = examples
        self._connections = (
            (examples.inserting, self._on_examples_inserting),
            (examples.inserted, self._on_examples_inserted),
            (examples.removing, self._on_examples_removing),
            (examples.removed, self._on_examples_removed),
            (examples.changed, self._on_examples_changed),
            (examples.resetting, self._on_examples_resetting),
            (examples.reset, self._on_examples_reset),
        )
        for signal, slot in self._connections:
            signal.connect(slot)

    def detach(self) -> None:
        """Disconnect from the example list (call before dropping the model)."""
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except ValueError:
                pass
        self._connections = ()

    @property
    def examples(self) -> ExampleList:
        """The example list shown."""
        return self._examples

    # -- Qt model API -----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of examples."""
        return 0 if parent.isValid() else len(self._examples)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Column titles; row numbers start at 1."""
        vertical = orientation == Qt.Orientation.Vertical
        if vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return super().headerData(section, orientation, role)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, the example object, its row index or a sort key."""
        if not index.isValid():
            return None
        row = index.row()
        example = self._examples[row]
        if role == EXAMPLE_ROLE:
            return example
        if role == EXAMPLE_INDEX_ROLE:
            return row
        if role in (
            Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SORT_ROLE
        ):
            return cell_text(
                example, index.column(), role == Qt.ItemDataRole.ToolTipRole
            )
        return None

    # -- core events -> Qt notifications --------------------------------------------
    def _on_examples_inserting(self, index: int, examples: tuple[Example, ...]) -> None:
        self.beginInsertRows(QModelIndex(), index, index + len(examples) - 1)

    def _on_examples_inserted(
        self, _index: int, _examples: tuple[Example, ...]
    ) -> None:
        self.endInsertRows()

    def _on_examples_removing(self, index: int, count: int) -> None:
        self.beginRemoveRows(QModelIndex(), index, index + count - 1)

    def _on_examples_removed(self, _index: int, _examples: tuple[Example, ...]) -> None:
        self.endRemoveRows()

    def _on_examples_changed(self, index: int, _old: Example, _new: Example) -> None:
        self.dataChanged.emit(self.index(index, 0), self.index(index, len(COLUMNS) - 1))

    def _on_examples_resetting(self) -> None:
        self.beginResetModel()

    def _on_examples_reset(self) -> None:
        self.endResetModel()


def cell_text(example: Example, column: int, tooltip: bool = False) -> str:
    """Return what a column shows for ``example``."""
    if column == TEXT_COLUMN:
        if tooltip and example.entities:
            return example.markup
        return example.text
    if column == INTENT_COLUMN:
        return example.intent
    if column == ENTITIES_COLUMN:
        return ", ".join(dict.fromkeys(span.entity for span in example.entities))
    if column == SOURCE_COLUMN and example.source is not None:
        return f"{example.source.path.name}:{example.source.line}"
    return ""
