"""BatchPredictions: paste many messages, see the model's label for each, pick some.

The predictions are computed by the tester's worker (off the GUI thread); this widget
shows them: text, predicted intent, confidence, entities, and the intent each row
would be added to ("Add as"), preselected only when the confidence reaches the
threshold and changeable per row. Nothing is added here: the tester confirms first.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.nlu.predictor import Prediction
from workbench.qt.widgets.highlighted_text import entity_caption

MAX_LINES = 5_000  # lines predicted at once (the rest are left out, with a note)
NOT_CHOSEN = "(choose…)"
COLUMNS = ("Message", "Predicted", "Confidence", "Entities", "Add as")


def batch_lines(text: str) -> list[str]:
    """Non-empty lines of a paste, stripped, duplicates removed (order kept)."""
    seen: set[str] = set()
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line and line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


class BatchPredictions(QWidget):
    """The batch part of the tester.

    Signals:
        predict_requested(list): the lines to predict.
        add_requested(list): row numbers the user wants to add.
    """

    predict_requested = Signal(list)
    add_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BatchPredictions")
        self.predictions: list[Prediction] = []
        self.input = QPlainTextEdit(self)
        self.input.setPlaceholderText("Paste messages here, one per line…")
        self.input.setMaximumHeight(130)
        self.predict_button = QPushButton("Predict all", self)
        self.add_button = QPushButton("Add selected to training data…", self)
        self.add_button.setEnabled(False)
        self.status = QLabel(self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(header.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        row = QHBoxLayout()
        row.addWidget(self.predict_button)
        row.addWidget(self.status, 1)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.input)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        self.predict_button.clicked.connect(self.request_predictions)
        self.add_button.clicked.connect(
            lambda: self.add_requested.emit(self.selected_rows()))
        self.table.itemSelectionChanged.connect(
            lambda: self.add_button.setEnabled(bool(self.selected_rows())))

    def request_predictions(self) -> list[str]:
        """Ask for predictions of the pasted lines (at most :data:`MAX_LINES`)."""
        lines = batch_lines(self.input.toPlainText())
        if not lines:
            self.status.setText("Paste some messages first (one per line).")
            return []
        note = ""
        if len(lines) > MAX_LINES:
            note = f" (the first {MAX_LINES:,} of {len(lines):,} lines)"
            lines = lines[:MAX_LINES]
        self.status.setText(f"Predicting {len(lines):,} message(s){note}…")
        self.predict_requested.emit(lines)
        return lines

    def show_predictions(self, predictions: Sequence[Prediction],
                         intents: Sequence[str], threshold: float,
                         seconds: float) -> None:
        """Fill the table; "Add as" is preselected only at or over ``threshold``."""
        self.predictions = list(predictions)
        self.table.clearContents()
        self.table.setRowCount(len(self.predictions))
        low = 0
        for row, prediction in enumerate(self.predictions):
            top = prediction.intent
            confidence = top.confidence if top else 0.0
            unsure = top is None or confidence < threshold
            low += unsure
            entities = "  ".join(f"“{e.text}” {entity_caption(e)}"
                                 for e in prediction.entities)
            values = (prediction.text, top.name if top else "(none)",
                      f"{confidence:.1%}", entities)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if unsure and column in (1, 2):
                    item.setForeground(QColor("#b85c00"))
                    item.setToolTip("Under the low-confidence threshold")
                self.table.setItem(row, column, item)
            chooser = QComboBox(self.table)
            chooser.addItem(NOT_CHOSEN)
            chooser.addItems(list(intents))
            if not unsure and top is not None and top.name in intents:
                chooser.setCurrentText(top.name)
            self.table.setCellWidget(row, 4, chooser)
        self.status.setText(
            f"{len(self.predictions):,} message(s) in {seconds * 1000:.0f} ms · "
            f"{low:,} under the threshold (choose their intent in “Add as”)")

    def intent_for(self, row: int) -> str | None:
        """The intent row ``row`` would be added to (None: not chosen)."""
        chooser = self.table.cellWidget(row, 4)
        if not isinstance(chooser, QComboBox) or chooser.currentText() == NOT_CHOSEN:
            return None
        return chooser.currentText()

    def set_intent_for(self, row: int, intent: str) -> None:
        """Choose the intent of one row."""
        chooser = self.table.cellWidget(row, 4)
        if isinstance(chooser, QComboBox):
            chooser.setCurrentText(intent)

    def selected_rows(self) -> list[int]:
        """Selected row numbers, ascending."""
        rows = self.table.selectionModel().selectedRows()
        return sorted({index.row() for index in rows})

    def clear(self) -> None:
        """Forget the predictions (another model or project)."""
        self.predictions = []
        self.table.setRowCount(0)
        self.status.setText("")
