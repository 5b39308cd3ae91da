"""AddExampleDialog: a tested message, its predicted label editable, added on confirm.

The text is shown in the span editor with the predicted entities placed (select tokens
and press Space/E to add one, click a span to retype it, Delete removes it). The
predicted intent is preselected in a filterable intent list (type to filter, 1-9
pick, Enter creates) unless its confidence is under the warning threshold: then the
user must choose. Nothing is added before "Add" is pressed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.examples import EntitySpan, Example
from workbench.nlu.predictor import Prediction
from workbench.qt.palette import EntityPalette
from workbench.qt.widgets.entity_type_popup import EntityTypePopup
from workbench.qt.widgets.span_editor import SpanEditorWidget
from workbench.qt.widgets.span_labeller import SpanLabeller
from workbench.training.inbox_decisions import choices_for, spans_from_parse

#: ``commit(example)`` adds the example; returns None, or why it was not added.
Commit = Callable[[Example], "str | None"]

HELP = ("In the text: Shift+←/→ or the mouse select tokens, Space/E annotate, click a "
        "span to retype it, Del removes it · I or the intent button: choose the intent")


def predicted_spans(prediction: Prediction) -> tuple[EntitySpan, ...]:
    """The prediction's entities as spans (value mapped by synonyms kept as value)."""
    return spans_from_parse(prediction.text, prediction.to_rasa())


class AddExampleDialog(QDialog):
    """Confirm (and correct) one tested message before it joins the training data."""

    def __init__(self, prediction: Prediction, intents: Sequence[str],
                 entity_types: Callable[[], Sequence[str]], palette: EntityPalette,
                 commit: Commit, threshold: float = 0.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AddExampleDialog")
        self.setWindowTitle("Add to training data")
        self.prediction = prediction
        self._commit = commit
        self._choices = choices_for(prediction.to_rasa(), list(intents))
        top = prediction.intent
        confident = top is not None and top.confidence >= threshold
        self._intent: str | None = (top.name if confident and top.name in intents
                                    else None)
        self.span_editor = SpanEditorWidget(palette, self)
        self.labeller = SpanLabeller(self.span_editor, entity_types, self)
        self.labeller.set_content(prediction.text, predicted_spans(prediction))
        self.intent_button = QPushButton(self)
        self.intent_button.setObjectName("intentButton")
        self.intent_popup = EntityTypePopup(self)
        self.intent_popup.setObjectName("IntentChooser")
        self.intent_popup.filter_edit.setPlaceholderText(
            "type to filter or create an intent…")
        self.warning = QLabel(self)
        self.warning.setObjectName("errorLabel")
        self.warning.setWordWrap(True)
        if top is not None and not confident:
            self.warning.setText(
                f"The model is unsure ({top.name} {top.confidence:.0%}, under the "
                f"{threshold:.0%} threshold): choose the intent yourself.")
        elif top is not None and top.name not in intents:
            self.warning.setText(f"“{top.name}” is not an intent of this project: "
                                 "choose one.")
        self.warning.setVisible(bool(self.warning.text()))
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setProperty("error", True)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        hint = QLabel(HELP, self)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.add_button = QPushButton("Add", self)
        self.add_button.setDefault(False)
        self.add_button.setAutoDefault(False)
        cancel = QPushButton("Cancel", self)
        cancel.setAutoDefault(False)
        intent_row = QHBoxLayout()
        intent_row.addWidget(QLabel("Intent:", self))
        intent_row.addWidget(self.intent_button, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.span_editor)
        layout.addLayout(intent_row)
        layout.addWidget(self.warning)
        layout.addWidget(self.error_label)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        self.resize(640, 260)
        self.intent_button.clicked.connect(self.open_intent_list)
        self.intent_popup.type_chosen.connect(self.set_intent)
        self.intent_popup.cancelled.connect(self.span_editor.setFocus)
        self.add_button.clicked.connect(self.confirm)
        cancel.clicked.connect(self.reject)
        self._update_intent()
        self.span_editor.setFocus()

    # -- the label --------------------------------------------------------------------
    def intent(self) -> str | None:
        """The intent the message would be added to (None: not chosen yet)."""
        return self._intent

    def set_intent(self, name: str) -> None:
        """Choose the intent (an existing one or a new name)."""
        self._intent = name.strip() or None
        self._update_intent()
        self.span_editor.setFocus()

    def spans(self) -> tuple[EntitySpan, ...]:
        """The entities the message would be added with."""
        return self.labeller.spans()

    def example(self) -> Example | None:
        """The example "Add" would add (None until an intent is chosen)."""
        if self._intent is None:
            return None
        return Example(self.prediction.text, self._intent, self.spans())

    def open_intent_list(self) -> None:
        """Open the filterable intent list (the model's ranking first)."""
        self.intent_popup.set_types(self._choices, self._intent)
        anchor = self.intent_button.mapToGlobal(QPoint(0, self.intent_button.height()))
        self.intent_popup.popup_at(anchor)

    def _update_intent(self) -> None:
        self.intent_button.setText(f"{self._intent}  ▾" if self._intent
                                   else "Choose an intent…  ▾")
        self.add_button.setEnabled(self._intent is not None)

    # -- confirming -------------------------------------------------------------------
    def confirm(self) -> bool:
        """Add the example; on a refusal say why and stay open (nothing added)."""
        example = self.example()
        if example is None:
            self.open_intent_list()
            return False
        problem = self._commit(example)
        if problem is not None:
            self.error_label.setText(f"Not added: {problem}")
            self.error_label.show()
            return False
        self.accept()
        return True

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001
        """I opens the intent list; Ctrl+Enter adds (Enter is the editor's)."""
        key = event.key()
        if key == Qt.Key.Key_I and not event.modifiers():
            self.open_intent_list()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.confirm()
            return  # a plain Enter never adds by accident
        super().keyPressEvent(event)
