"""ConfusionHeatmap: the intent confusion matrix as a table of coloured cells.

Rows are the true intents, columns the predicted ones; each cell shows its count,
says "true X predicted as Y: n" on hover, and a click hands over the predictions
behind it (the same objects the counts were made of, so a cell lists exactly its
examples). With 150 intents the matrix stays readable: order the intents by how
often they are confused, and show only the N most confused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

NONE_LABEL = "(none)"  # the model predicted no intent
_Index = QModelIndex | QPersistentModelIndex


class ConfusionCells:
    """Which predictions fall into which (true, predicted) cell (Qt-free logic)."""

    def __init__(self, predictions: Sequence[Any]) -> None:
        self.cells: dict[tuple[str, str], list[Any]] = {}
        for p in predictions:
            if not p.example.intent:
                continue
            key = (p.example.base_intent, p.predicted_intent or NONE_LABEL)
            self.cells.setdefault(key, []).append(p)
        labels = {label for key in self.cells for label in key}
        self.labels: list[str] = sorted(labels)
        confused: Counter[str] = Counter()
        for (true, predicted), items in self.cells.items():
            if true != predicted:
                confused[true] += len(items)
                confused[predicted] += len(items)
        self.confused = confused

    def count(self, true: str, predicted: str) -> int:
        """Number of predictions in a cell."""
        return len(self.cells.get((true, predicted), ()))

    def ordered(self, by_confusion: bool, top: int = 0) -> list[str]:
        """Labels alphabetically or most confused first; ``top`` > 0 keeps that many."""
        labels = list(self.labels)
        if by_confusion or top:
            labels.sort(key=lambda name: (-self.confused[name], name))
        if top:
            labels = [name for name in labels if self.confused[name]][:top]
            if not by_confusion:
                labels.sort()
        return labels


class ConfusionModel(QAbstractTableModel):
    """A square table model over ``ConfusionCells`` for the chosen labels."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.cells = ConfusionCells(())
        self.labels: list[str] = []
        self._row_max = 1

    def show(self, cells: ConfusionCells, labels: list[str]) -> None:
        """Show ``labels`` (rows and columns) of ``cells``."""
        self.beginResetModel()
        self.cells, self.labels = cells, labels
        counts = [cells.count(t, p) for t in labels for p in labels if t != p]
        self._row_max = max(counts, default=0) or 1
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """True intents."""
        return 0 if parent.isValid() else len(self.labels)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Predicted intents."""
        return 0 if parent.isValid() else len(self.labels)

    def cell(self, index: _Index) -> tuple[str, str]:
        """(true, predicted) of a cell."""
        return self.labels[index.row()], self.labels[index.column()]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Count, colour and hover text of a cell."""
        if not index.isValid():
            return None
        true, predicted = self.cell(index)
        n = self.cells.count(true, predicted)
        if role == Qt.ItemDataRole.DisplayRole:
            return str(n) if n else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"true {true} predicted as {predicted}: {n}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.BackgroundRole and n:
            if true == predicted:
                return QColor(220, 240, 225)
            strength = min(1.0, 0.25 + 0.75 * n / self._row_max)
            return QColor(255, int(235 - 160 * strength), int(230 - 180 * strength))
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Intent names: true on the left, predicted on top."""
        if not 0 <= section < len(self.labels):
            return None
        name = self.labels[section]
        if role == Qt.ItemDataRole.DisplayRole:
            # Columns are numbered (names would not fit); rows say which is which.
            if orientation == Qt.Orientation.Horizontal:
                return str(section + 1)
            return f"{section + 1}  {name}"
        if role == Qt.ItemDataRole.ToolTipRole:
            what = "true" if orientation == Qt.Orientation.Vertical else "predicted"
            return f"{what}: {name} (confused {self.cells.confused[name]} times)"
        return None


class ConfusionHeatmap(QWidget):
    """The matrix with ordering and "N most confused" controls.

    Signals:
        cell_clicked(str, str, object): true, predicted, list of predictions.
        cell_activated(str, str, object): the same, on double-click.
    """

    cell_clicked = Signal(str, str, object)
    cell_activated = Signal(str, str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConfusionHeatmap")
        self.model = ConfusionModel(self)
        self._cells = ConfusionCells(())
        self.order_box = QComboBox(self)
        self.order_box.addItems(["alphabetical", "most confused first"])
        self.order_box.setToolTip("Order of the intents in rows and columns")
        self.top_box = QSpinBox(self)
        self.top_box.setRange(0, 10000)
        self.top_box.setSpecialValueText("all intents")
        self.top_box.setPrefix("most confused: ")
        self.top_box.setToolTip("Show only the N intents confused most often (0: all)")
        self.summary = QLabel(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setDefaultSectionSize(34)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setToolTip("predicted intent")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Rows: true intent · columns: predicted (same numbers)",
                             self))
        bar.addStretch(1)
        bar.addWidget(self.order_box)
        bar.addWidget(self.top_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        self.order_box.currentIndexChanged.connect(self._refill)
        self.top_box.valueChanged.connect(self._refill)
        self.view.clicked.connect(lambda index: self._emit(index, self.cell_clicked))
        self.view.doubleClicked.connect(
            lambda index: self._emit(index, self.cell_activated))

    def set_predictions(self, predictions: Sequence[Any]) -> None:
        """Show the matrix of ``predictions`` (``ExamplePrediction``s)."""
        self._cells = ConfusionCells(predictions)
        many = len(self._cells.labels) > 30
        for box, value in (
            (self.order_box, int(many)),
            (self.top_box, 30 if many else 0),
        ):
            box.blockSignals(True)
            box.setCurrentIndex(value) if box is self.order_box else box.setValue(value)
            box.blockSignals(False)
        self._refill()

    def select_cell(self, true: str, predicted: str) -> bool:
        """Click the cell (true, predicted) programmatically (e.g. from an insight)."""
        labels = self.model.labels
        if true not in labels or predicted not in labels:
            self.order_box.setCurrentIndex(0)
            self.top_box.setValue(0)
            labels = self.model.labels
            if true not in labels or predicted not in labels:
                return False
        index = self.model.index(labels.index(true), labels.index(predicted))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        self._emit(index, self.cell_clicked)
        return True

    def _refill(self) -> None:
        labels = self._cells.ordered(self.order_box.currentIndex() == 1,
                                     self.top_box.value())
        self.model.show(self._cells, labels)
        total = len(self._cells.labels)
        wrong = sum(len(v) for (t, p), v in self._cells.cells.items() if t != p)
        shown = f"{len(labels)} of {total} intents" if len(labels) != total \
            else f"{total} intents"
        self.summary.setText(f"{shown} · {wrong} confusions · click a cell for its "
                             "examples, double-click to open the first")

    def _emit(self, index: QModelIndex, signal: Any) -> None:
        if not index.isValid():
            return
        true, predicted = self.model.cell(index)
        signal.emit(true, predicted, list(self._cells.cells.get((true, predicted), ())))
