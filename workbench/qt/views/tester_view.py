"""TesterView: type a message, see the intent ranking and the entities found."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.nlu.predictor import Prediction
from workbench.qt.workers.prediction_worker import PredictionWorker

_DEBOUNCE_MS = 150


class TesterView(QWidget):
    """Parse what the user types with the project's active model.

    Signals:
        add_requested(str, str): add this text as an example of this intent.
    """

    add_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TesterView")
        self.worker = PredictionWorker(self)
        self.model_label = QLabel("No model yet: train one in the Train tab.", self)
        self.input = QLineEdit(self)
        self.input.setPlaceholderText("Type a message to test…")
        self.add_button = QPushButton("Add as example (Ctrl+Enter)", self)
        self.add_button.setEnabled(False)
        self.ranking = QTableWidget(0, 2, self)
        self.ranking.setHorizontalHeaderLabels(["Intent", "Confidence"])
        self.entities = QTableWidget(0, 4, self)
        self.entities.setHorizontalHeaderLabels(
            ["Entity", "Text", "Value", "Confidence"]
        )
        for table in (self.ranking, self.entities):
            table.verticalHeader().hide()
            table.horizontalHeader().setStretchLastSection(True)
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.add_button)
        tables = QHBoxLayout()
        tables.addWidget(self.ranking, 1)
        tables.addWidget(self.entities, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.model_label)
        layout.addLayout(row)
        layout.addLayout(tables, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.worker.parse(self.input.text()))
        self.input.textChanged.connect(lambda _t: self._timer.start(_DEBOUNCE_MS))
        self.worker.predicted.connect(self.show_prediction)
        self.worker.failed.connect(
            lambda message: self.model_label.setText(f"Error: {message}")
        )
        self.worker.loaded.connect(
            lambda path: self.model_label.setText(f"Model: {path}")
        )
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self._last: Prediction | None = None
        self.has_model = False

    def set_model(self, path: str) -> None:
        """Use the model at ``path`` from now on."""
        self.has_model = True
        self.model_label.setText(f"Loading model {path}…")
        self.worker.set_model(path)
        if self.input.text():
            self.worker.parse(self.input.text())

    def use_model(self, path: str) -> None:
        """Follow the project's active model: ``path``, or none when empty."""
        if path:
            self.set_model(path)
        else:
            self.forget_model()

    def forget_model(self) -> None:
        """Another project was opened: its predictions no longer apply.

        The model was trained on the old project, so "Add as example" would file
        messages under the old project's intents; the tester waits for a new model.
        """
        self.has_model = False
        self._last = None
        self.add_button.setEnabled(False)
        self.ranking.setRowCount(0)
        self.entities.setRowCount(0)
        self.model_label.setText("No model yet: train one in the Train tab.")

    def show_prediction(self, text: str, prediction: Prediction) -> None:
        """Fill the tables (ignored if the input changed since, or no model)."""
        if text != self.input.text() or not self.has_model:
            return
        self._last = prediction
        self.ranking.setRowCount(len(prediction.ranking))
        for row, score in enumerate(prediction.ranking):
            self.ranking.setItem(row, 0, QTableWidgetItem(score.name))
            bar = "█" * round(score.confidence * 20)
            self.ranking.setItem(
                row, 1, QTableWidgetItem(f"{score.confidence:6.1%} {bar}")
            )
        self.entities.setRowCount(len(prediction.entities))
        for row, entity in enumerate(prediction.entities):
            role = f" ({entity.role})" if entity.role else ""
            surface = text[entity.start : entity.end]
            confidence = f"{entity.confidence:.1%}"
            values = (entity.entity + role, surface, entity.value, confidence)
            for column, value in enumerate(values):
                self.entities.setItem(row, column, QTableWidgetItem(value))
        self.add_button.setEnabled(prediction.intent is not None)

    def _on_add_button_clicked(self) -> None:
        if self._last is not None and self._last.intent is not None:
            self.add_requested.emit(self._last.text, self._last.intent.name)

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001
        """Ctrl+Enter adds the message as an example of the predicted intent."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:  # fmt: skip
            self._on_add_button_clicked()
            return
        super().keyPressEvent(event)
