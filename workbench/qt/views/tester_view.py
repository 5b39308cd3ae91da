"""TesterView: test messages with the active model and feed them to the training data.

Predicts as you type (debounced, latest request wins, in the prediction worker's
thread). Shows the ranking as bars with full intent names, the entities highlighted in
the text (type, value, role, group, confidence), on demand each token's tag and
confidence, the time the model took, and a warning under a user-set confidence
threshold. "Add to training data" (Ctrl+Enter) opens the message in the span editor
with the predicted entities placed and the predicted intent preselected (only at or
over the threshold); the user corrects and confirms; the add is one undo step of the
window's history. Messages tested with Enter (and added ones) are kept in the project's
history (``.workbench/tester.db``, created by the first one). The Batch tab predicts
pasted lines and adds the selected rows (after a confirmation) as one undo step.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.commands import AddExample
from workbench.core.examples import Example
from workbench.core.text_rules import TextRuleError, check_example
from workbench.nlu.predictor import Prediction
from workbench.qt.dialogs.prompter import Prompter
from workbench.qt.palette import EntityPalette
from workbench.qt.session import ProjectSession
from workbench.qt.widgets.add_example_dialog import AddExampleDialog, predicted_spans
from workbench.qt.widgets.batch_predictions import BatchPredictions
from workbench.qt.widgets.highlighted_text import HighlightedText
from workbench.qt.widgets.ranking_bars import RankingBars
from workbench.qt.workers.prediction_worker import PredictionWorker
from workbench.training.tester_history import (
    HistoryUnavailable,
    TestedMessage,
    TesterHistory,
    history_path,
    read_history,
)

_DEBOUNCE_MS = 150
DEFAULT_THRESHOLD = 50  # percent
_NO_MODEL = "No model yet: train one in the Train tab."


class TesterView(QWidget):
    """Parse what the user types with the project's active model.

    Signals:
        message(str): something for the status bar (added, refused, history notices).
    """

    message = Signal(str)

    def __init__(self, parent: QWidget | None = None,
                 session: ProjectSession | None = None,
                 palette: EntityPalette | None = None,
                 prompter: Prompter | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TesterView")
        self.session = session
        self.prompter = prompter
        self.palette_ = palette or EntityPalette()
        self.worker = PredictionWorker(self)
        self.model_path: str | None = None
        self.has_model = False
        self._last: Prediction | None = None
        self._last_seconds: float | None = None
        self._record_pending: str | None = None
        self._batch_id: int | None = None
        self._history: TesterHistory | None = None
        self._history_root: Path | None = None
        self.dialog: AddExampleDialog | None = None
        self._build()
        self._connect()
        self.set_project_root(None)

    # -- construction -----------------------------------------------------------------
    def _build(self) -> None:
        self.model_label = QLabel(_NO_MODEL, self)
        self.input = QLineEdit(self)
        self.input.setPlaceholderText("Type a message to test (Enter keeps it in the "
                                      "history, Ctrl+Enter adds it)…")
        self.add_button = QPushButton("Add to training data… (Ctrl+Enter)", self)
        self.add_button.setEnabled(False)
        self.threshold = QSpinBox(self)
        self.threshold.setRange(0, 100)
        self.threshold.setValue(DEFAULT_THRESHOLD)
        self.threshold.setPrefix("warn under ")
        self.threshold.setSuffix(" %")
        self.threshold.setToolTip("Low-confidence warning threshold: under it the "
                                  "intent is never preselected when adding")
        self.warning = QLabel(self)
        self.warning.setObjectName("errorLabel")
        self.warning.setProperty("error", True)
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.timing = QLabel(self)
        self.timing.setObjectName("hint")
        self.highlighted = HighlightedText(self.palette_, self)
        self.ranking = RankingBars(self)
        ranking_scroll = QScrollArea(self)
        ranking_scroll.setWidget(self.ranking)
        ranking_scroll.setWidgetResizable(True)
        self.entities = QTableWidget(0, 6, self)
        self.entities.setHorizontalHeaderLabels(
            ["Entity", "Text", "Value", "Role", "Group", "Confidence"])
        self.show_tokens = QCheckBox("Show each token's tag and confidence", self)
        self.tokens = QTableWidget(0, 1, self)
        self.tokens.setHorizontalHeaderLabels(["Token"])
        self.tokens.hide()
        for table in (self.entities, self.tokens):
            table.verticalHeader().hide()
            header = table.horizontalHeader()
            header.setSectionResizeMode(header.ResizeMode.ResizeToContents)
            header.setStretchLastSection(True)
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history_list = QListWidget(self)
        self.history_list.setWordWrap(True)
        self.history_list.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history_list.setObjectName("testerHistory")
        self.history_note = QLabel(self)
        self.history_note.setWordWrap(True)
        self.history_note.setObjectName("hint")
        self.clear_history_button = QPushButton("Clear history", self)
        self.batch = BatchPredictions(self)

        top = QHBoxLayout()
        top.addWidget(self.input, 1)
        top.addWidget(self.threshold)
        top.addWidget(self.add_button)
        status = QHBoxLayout()
        status.addWidget(self.warning, 1)
        status.addWidget(self.timing)
        details = QWidget(self)
        right = QVBoxLayout(details)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(QLabel("Entities", self))
        right.addWidget(self.entities, 1)
        right.addWidget(self.show_tokens)
        right.addWidget(self.tokens, 1)
        results = QSplitter(self)
        results.addWidget(ranking_scroll)
        results.addWidget(details)
        results.setSizes([420, 560])
        single = QWidget(self)
        single_layout = QVBoxLayout(single)
        single_layout.addLayout(top)
        single_layout.addLayout(status)
        single_layout.addWidget(self.highlighted)
        single_layout.addWidget(results, 1)
        history = QWidget(self)
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(QLabel("History (this project)", self))
        history_layout.addWidget(self.history_list, 1)
        history_layout.addWidget(self.history_note)
        history_layout.addWidget(self.clear_history_button)
        single_split = QSplitter(self)
        single_split.addWidget(single)
        single_split.addWidget(history)
        single_split.setSizes([860, 300])
        self.modes = QTabWidget(self)
        self.modes.setDocumentMode(True)
        self.modes.addTab(single_split, "One message")
        self.modes.addTab(self.batch, "Batch")
        layout = QVBoxLayout(self)
        layout.addWidget(self.model_label)
        layout.addWidget(self.modes, 1)

    def _connect(self) -> None:
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._parse_now)
        self.input.textChanged.connect(self._on_text_changed)
        self.input.returnPressed.connect(self.keep_in_history)
        self.worker.predicted.connect(self.show_prediction)
        self.worker.batch_predicted.connect(self._on_batch_predicted)
        self.worker.failed.connect(self._on_failed)
        self.worker.loaded.connect(
            lambda path: self.model_label.setText(f"Model: {path}"))
        self.add_button.clicked.connect(lambda: self.open_add_dialog())
        self.threshold.valueChanged.connect(lambda _v: self._update_warning())
        self.show_tokens.toggled.connect(self.tokens.setVisible)
        self.history_list.itemActivated.connect(self._on_history_item)
        self.history_list.itemClicked.connect(self._on_history_item)
        self.clear_history_button.clicked.connect(self.clear_history)
        self.batch.predict_requested.connect(self._predict_batch)
        self.batch.add_requested.connect(self.add_batch_rows)
        self.batch.table.cellDoubleClicked.connect(
            lambda row, _column: self._open_batch_row(row))
        if self.session is not None:
            self.session.opened.connect(self._on_project_opened)

    # -- model ------------------------------------------------------------------------
    def set_model(self, path: str) -> None:
        """Use the model at ``path`` from now on."""
        self.has_model = True
        self.model_path = path
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

        The model was trained on the old project, so adding would file messages under
        the old project's intents; the tester waits for a new model.
        """
        self.has_model = False
        self.model_path = None
        if self.dialog is not None:
            self.dialog.close()  # its intents and entities belong to the old project
            self.dialog = None
        self._clear_results()
        self.batch.clear()
        self.model_label.setText(_NO_MODEL)

    def _clear_results(self) -> None:
        self._last = None
        self.add_button.setEnabled(False)
        self.ranking.set_ranking([])
        self.entities.setRowCount(0)
        self.tokens.setRowCount(0)
        self.highlighted.show_text("", ())
        self.warning.hide()
        self.timing.setText("")

    def _on_failed(self, message: str) -> None:
        self.model_label.setText(f"Error: {message.splitlines()[0]}")
        self.batch.status.setText("")

    # -- typing and showing -----------------------------------------------------------
    def _on_text_changed(self, _text: str) -> None:
        self.add_button.setEnabled(False)
        self._timer.start(_DEBOUNCE_MS)

    def _parse_now(self) -> None:
        if not self.input.text().strip():
            self._clear_results()
        elif self.has_model:
            self.worker.parse(self.input.text())

    def show_prediction(self, text: str, prediction: Prediction,
                        seconds: float | None = None) -> None:
        """Show a prediction (ignored if the input changed since, or no model)."""
        if text != self.input.text() or not self.has_model:
            return
        self._last, self._last_seconds = prediction, seconds
        self.highlighted.show_text(text, prediction.entities)
        self.ranking.set_ranking([(s.name, s.confidence) for s in prediction.ranking],
                                 low=self.is_low(prediction))
        self.entities.setRowCount(len(prediction.entities))
        for row, entity in enumerate(prediction.entities):
            values = (entity.entity, entity.text, entity.value, entity.role or "",
                      entity.group or "", f"{entity.confidence:.1%}")
            for column, value in enumerate(values):
                self.entities.setItem(row, column, QTableWidgetItem(value))
        self._show_tokens(prediction)
        timing = "" if seconds is None else f"predicted in {seconds * 1000:.1f} ms"
        if prediction.truncated:
            timing += " · longer than the model reads: only its start was used"
        self.timing.setText(timing)
        self._update_warning()
        self.add_button.setEnabled(prediction.intent is not None
                                   and self.session is not None)
        if self._record_pending == text:
            self._record(prediction)

    def _show_tokens(self, prediction: Prediction) -> None:
        """One row per token: its tag and confidence for each tag kind."""
        kinds = [k for k in ("entity", "role", "group")
                 if any(k in t.tags for t in prediction.tokens)]
        kinds += sorted({k for t in prediction.tokens for k in t.tags} - set(kinds))
        headers = ["Token"]
        for kind in kinds:
            headers += [f"{kind.title()} tag", "Conf."]
        self.tokens.setColumnCount(len(headers))
        self.tokens.setHorizontalHeaderLabels(headers)
        self.tokens.setRowCount(len(prediction.tokens))
        for row, token in enumerate(prediction.tokens):
            values = [token.text]
            for kind in kinds:
                values.append(token.tags.get(kind, "O"))
                confidence = token.confidences.get(kind)
                values.append("" if confidence is None else f"{confidence:.1%}")
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column % 2 == 1 and value != "O":
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.tokens.setItem(row, column, item)

    def is_low(self, prediction: Prediction | None) -> bool:
        """Whether ``prediction``'s top intent is under the warning threshold."""
        if prediction is None or prediction.intent is None:
            return False
        return prediction.intent.confidence * 100 < self.threshold.value()

    def _update_warning(self) -> None:
        prediction = self._last
        if prediction is None or prediction.intent is None:
            self.warning.hide()
            return
        low = self.is_low(prediction)
        self.ranking.set_ranking(self.ranking.rows(), low=low)
        if low:
            self.warning.setText(
                f"Low confidence: {prediction.intent.name} at "
                f"{prediction.intent.confidence:.0%} is under {self.threshold.value()}%"
                " — the model may not know this kind of message (or it is gibberish).")
        self.warning.setVisible(low)

    # -- adding -----------------------------------------------------------------------
    def _intents(self) -> list[str]:
        project = self.session.project if self.session is not None else None
        return list(project.intents) if project is not None else []

    def open_add_dialog(self, prediction: Prediction | None = None
                        ) -> AddExampleDialog | None:
        """Open "Add to training data" for ``prediction`` (default: the one shown)."""
        prediction = prediction or self._last
        if prediction is None or self.session is None or self.session.project is None:
            return None
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = AddExampleDialog(
            prediction, self._intents(), self.session.entity_types, self.palette_,
            self.add_example, self.threshold.value() / 100, self)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def add_example(self, example: Example) -> str | None:
        """Add ``example`` through the window's history; None, or why not."""
        if self.session is None or self.session.project is None:
            return "no project is open"
        try:
            check_example(example)
        except TextRuleError as error:
            return error.message
        refusals: list[str] = []
        self.session.refused.connect(refusals.append)
        try:
            done = self.session.push(AddExample(example))
        finally:
            self.session.refused.disconnect(refusals.append)
        if not done:
            return refusals[0] if refusals else "refused"
        self._record_text(example.text, example.intent)
        self.message.emit(f"Added “{example.text}” to {example.intent} "
                          f"with {len(example.entities)} entit(ies) (Ctrl+Z undoes)")
        return None

    # -- batch ------------------------------------------------------------------------
    def _predict_batch(self, lines: list[str]) -> None:
        if not self.has_model:
            self.batch.status.setText(_NO_MODEL)
            return
        self._batch_id = self.worker.predict_batch(lines)

    def _on_batch_predicted(self, batch_id: int, predictions: list[Prediction],
                            seconds: float) -> None:
        if batch_id != self._batch_id or not self.has_model:
            return
        self.batch.show_predictions(predictions, self._intents(),
                                    self.threshold.value() / 100, seconds)

    def _open_batch_row(self, row: int) -> None:
        if 0 <= row < len(self.batch.predictions):
            self.open_add_dialog(self.batch.predictions[row])

    def add_batch_rows(self, rows: list[int], confirm: bool = True) -> int:
        """Add the rows with their "Add as" intent and predicted entities.

        Asks first (through the prompter) and adds as ONE undo step; rows without an
        intent, or refused by the text rules, are left out and named. Returns how many
        were added.
        """
        if self.session is None or self.session.project is None:
            return 0
        examples: list[Example] = []
        problems: list[str] = []
        for row in rows:
            if not 0 <= row < len(self.batch.predictions):
                continue
            prediction = self.batch.predictions[row]
            intent = self.batch.intent_for(row)
            if intent is None:
                problems.append(f"row {row + 1}: choose its intent in “Add as”")
                continue
            example = Example(prediction.text, intent, predicted_spans(prediction))
            try:
                check_example(example)
            except TextRuleError as error:
                problems.append(f"row {row + 1}: {error.message}")
                continue
            examples.append(example)
        note = ("\nLeft out:\n" + "\n".join(problems[:10])) if problems else ""
        if not examples:
            self.batch.status.setText("Nothing added." + note.replace("\n", " "))
            return 0
        if confirm and self.prompter is not None:
            counts: dict[str, int] = {}
            for example in examples:
                counts[example.intent] = counts.get(example.intent, 0) + 1
            summary = ", ".join(f"{n} to {name}" for name, n in counts.items())
            answer = self.prompter.choose(
                "Add to training data",
                f"Add {len(examples)} message(s) with their predicted entities: "
                f"{summary}?{note}", ("Add", "Cancel"), "Cancel")
            if answer != "Add":
                return 0
        done = self.session.history.push_many(
            f"Add {len(examples)} tested message(s)",
            [AddExample(example) for example in examples])
        if not done:
            return 0
        for example in examples:
            self._record_text(example.text, example.intent)
        text = f"Added {len(examples)} message(s) (one undo step)"
        self.batch.status.setText(text + note.replace("\n", " "))
        self.message.emit(text)
        return len(examples)

    # -- history ----------------------------------------------------------------------
    def _on_project_opened(self, project: object) -> None:
        self.set_project_root(getattr(project, "root", None))

    def set_project_root(self, root: Path | None) -> None:
        """Show ``root``'s history (read only: the first entry creates the file)."""
        if self._history is not None:
            self._history.close()
        self._history = None
        self._history_root = Path(root) if root is not None and Path(root).is_dir() \
            else None  # fmt: skip
        self._refresh_history()

    def _refresh_history(self) -> None:
        self.history_list.clear()
        if self._history_root is None:
            self.history_note.setText("Open a project folder to keep a history.")
            return
        if self._history is not None:
            entries, problem = self._history.entries(), None
        else:
            entries, problem = read_history(self._history_root)
        self.history_note.setText(problem or "")
        for entry in entries:
            self.history_list.addItem(_history_item(entry))

    def history_texts(self) -> list[str]:
        """The texts in the history list, newest first."""
        return [self.history_list.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.history_list.count())]

    def keep_in_history(self) -> None:
        """Keep the typed message in the history (once its prediction is shown)."""
        text = self.input.text()
        if not text.strip():
            return
        if self._last is not None and self._last.text == text:
            self._record(self._last)
        elif self.has_model:
            self._record_pending = text
            self._timer.stop()
            self.worker.parse(text)
        else:
            self._record_text(text, None)

    def _record(self, prediction: Prediction) -> None:
        self._record_pending = None
        intent = prediction.intent
        self._record_text(prediction.text, intent.name if intent else None,
                          intent.confidence if intent else None)

    def _record_text(self, text: str, intent: str | None,
                     confidence: float | None = None) -> None:
        if self._history_root is None:
            return
        try:
            if self._history is None:
                self._history = TesterHistory.for_project(self._history_root)
                if self._history.notice:
                    self.message.emit(self._history.notice)
            self._history.record(text, intent, confidence, self.model_path)
        except (HistoryUnavailable, OSError) as error:
            self.history_note.setText(str(error))
            return
        except Exception as error:  # noqa: BLE001 - sqlite errors: say so, keep testing
            self.history_note.setText(f"{history_path(self._history_root)}: {error}")
            return
        self._refresh_history()

    def clear_history(self) -> None:
        """Remove every entry of this project's history."""
        root = self._history_root
        if root is None:
            return
        if self._history is None and history_path(root).exists():
            try:
                self._history = TesterHistory.for_project(root)
            except HistoryUnavailable as error:
                self.history_note.setText(str(error))
                return
        if self._history is not None:
            self._history.clear()
        self._refresh_history()

    def _on_history_item(self, item: QListWidgetItem) -> None:
        self.input.setText(item.data(Qt.ItemDataRole.UserRole))
        self.input.setFocus()

    def close_history(self) -> None:
        """Close the history file (window closing)."""
        if self._history is not None:
            self._history.close()
            self._history = None

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001
        """Ctrl+Enter opens "Add to training data" for the message shown."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:  # fmt: skip
            self.open_add_dialog()
            return
        super().keyPressEvent(event)


def _history_item(entry: TestedMessage) -> QListWidgetItem:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.at))
    label = entry.text
    if entry.intent:
        label += f"   → {entry.intent}"
        if entry.confidence is not None:
            label += f" {entry.confidence:.0%}"
    item = QListWidgetItem(label)
    item.setData(Qt.ItemDataRole.UserRole, entry.text)
    item.setToolTip(f"{entry.text}\n{when}" + (f"\nmodel {entry.model}"
                                                if entry.model else ""))
    return item
