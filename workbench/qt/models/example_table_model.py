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
from PySide6.QtGui import QColor, QFont

from workbench.core.example_list import ExampleList
from workbench.core.examples import Example
from workbench.qt.models.column_table_model import ColumnTableModel
from workbench.qt.models.roles import EXAMPLE_INDEX_ROLE, EXAMPLE_ROLE, SORT_ROLE

COLUMNS = ("Text", "Intent", "Entities", "Source", "Predicted", "Confidence",
           "Margin", "Entity check")
TEXT_COLUMN, INTENT_COLUMN, ENTITIES_COLUMN, SOURCE_COLUMN = range(4)
# Filled from an evaluation (``set_evaluation``); hidden by the view until then.
PREDICTED_COLUMN, CONFIDENCE_COLUMN, MARGIN_COLUMN, ENTITY_CHECK_COLUMN = range(4, 8)
PREDICTION_COLUMNS = (PREDICTED_COLUMN, CONFIDENCE_COLUMN, MARGIN_COLUMN,
                      ENTITY_CHECK_COLUMN)
STALE_TEXT = "edited since evaluation"
UNEVALUATED_TEXT = "not evaluated"

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
        self._evaluation: Any = None  # ExampleEvaluation whose confidences are shown
        self._edited: dict[int, Example] = {}  # id -> example edited since evaluation
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

    # -- predictions ------------------------------------------------------------------
    @property
    def evaluation(self) -> Any:
        """The ``ExampleEvaluation`` whose predictions the extra columns show."""
        return self._evaluation

    def set_evaluation(self, evaluation: Any) -> None:
        """Show ``evaluation``'s predictions (``None``: none) in the extra columns.

        A row shows a prediction only if it holds the very ``Example`` object that
        was evaluated; an example edited since is marked stale, never matched by text.
        """
        self._evaluation = evaluation
        self._edited = {}
        if self._examples:
            self.dataChanged.emit(self.index(0, PREDICTED_COLUMN),
                                  self.index(len(self._examples) - 1, len(COLUMNS) - 1))

    def prediction(self, row: int) -> Any:
        """The prediction made for the example at ``row`` (``None``: none/stale)."""
        if self._evaluation is None:
            return None
        return self._evaluation.prediction_for(self._examples[row])

    def is_stale(self, row: int) -> bool:
        """True if the example at ``row`` was edited since the evaluation."""
        example = self._examples[row]
        return self._edited.get(id(example)) is example

    def prediction_text(self, row: int, column: int, tooltip: bool = False) -> str:
        """What a prediction column shows for ``row``."""
        if self._evaluation is None:
            return ""
        prediction = self.prediction(row)
        if prediction is None:
            if column != PREDICTED_COLUMN:
                return ""
            text = STALE_TEXT if self.is_stale(row) else UNEVALUATED_TEXT
            if tooltip:
                return (f"{text}: its prediction ({self._evaluation.source}) no longer "
                        "applies; evaluate again to update")
            return text
        if column == PREDICTED_COLUMN:
            if not tooltip:
                return prediction.predicted_intent or "(none)"
            ranking = ", ".join(f"{n} {c:.2f}" for n, c in prediction.ranking[:5])
            fold = f" (fold {prediction.fold})" if prediction.fold is not None \
                else ""  # folds count from 1
            return f"{self._evaluation.source}{fold}: {ranking}"
        if column == CONFIDENCE_COLUMN:
            return f"{prediction.confidence:.3f}"
        if column == MARGIN_COLUMN:
            return f"{prediction.margin:.3f}"
        if column == ENTITY_CHECK_COLUMN:
            return "; ".join(prediction.entity_mistakes)
        return ""

    def sort_key(self, row: int, column: int) -> tuple[int, Any]:
        """A key sorting ``row`` by ``column`` (rows without a prediction last)."""
        if column not in PREDICTION_COLUMNS:
            return (0, cell_text(self._examples[row], column).lower())
        prediction = self.prediction(row)
        if prediction is None:
            return (1, 0)
        if column == CONFIDENCE_COLUMN:
            return (0, prediction.confidence)
        if column == MARGIN_COLUMN:
            return (0, prediction.margin)
        return (0, self.prediction_text(row, column).lower())

    # -- Qt model API -----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of examples."""
        return 0 if parent.isValid() else len(self._examples)

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
        column = index.column()
        if column in PREDICTION_COLUMNS:
            return self._prediction_data(row, column, role)
        if role in (
            Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SORT_ROLE
        ):
            return cell_text(
                example, index.column(), role == Qt.ItemDataRole.ToolTipRole
            )
        return None

    def _prediction_data(self, row: int, column: int, role: int) -> Any:
        if role == SORT_ROLE:
            return self.sort_key(row, column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.prediction_text(row, column,
                                        role == Qt.ItemDataRole.ToolTipRole)
        if role == Qt.ItemDataRole.ForegroundRole and self._evaluation is not None:
            prediction = self.prediction(row)
            if prediction is None:
                return QColor("#9e9e9e")
            if (column == PREDICTED_COLUMN and not prediction.correct) or \
                    column == ENTITY_CHECK_COLUMN:  # fmt: skip
                return QColor("#c62828")
        if role == Qt.ItemDataRole.FontRole and self._evaluation is not None \
                and self.prediction(row) is None:  # fmt: skip
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
                CONFIDENCE_COLUMN, MARGIN_COLUMN):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
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

    def _on_examples_changed(self, index: int, old: Example, new: Example) -> None:
        if self._evaluation is not None and (
                self._evaluation.prediction_for(old) is not None
                or self._edited.get(id(old)) is old):
            self._edited.pop(id(old), None)
            self._edited[id(new)] = new  # stale: its prediction was for the old one
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
