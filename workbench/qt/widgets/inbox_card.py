"""InboxCard: one inbox message with the model's label, its entities editable.

Shows the text in a span editor with the predicted entities placed, the predicted
intent, ranking and entity confidences, and the review buttons. The entities the
message would be accepted with (:meth:`InboxCard.spans`) are edited here: select
tokens and press Space/E (or click a span) to choose a type, Delete removes a span.
The card owns no decision: the Inbox view connects the buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.core.examples import EntitySpan
from workbench.qt.palette import EntityPalette
from workbench.qt.widgets.span_editor import SpanEditorWidget
from workbench.qt.widgets.span_labeller import SpanLabeller
from workbench.training.inbox_decisions import spans_from_parse
from workbench.training.inbox_store import SKIPPED, InboxMessage

KEYS_HELP = ("Enter accept · I intent… · X reject · S skip · Ctrl+Z undo · in the "
             "text: Shift+←/→ select, Space annotate, Del remove a span")


class InboxCard(QWidget):
    """The message under review and the label it would be accepted with."""

    def __init__(
        self,
        palette: EntityPalette,
        entity_types: Callable[[], Sequence[str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.message: InboxMessage | None = None
        self.header = QLabel("No message", self)
        self.header.setObjectName("editorHeader")
        self.span_editor = SpanEditorWidget(palette, self)
        self.intent_label = QLabel(self)
        self.intent_label.setTextFormat(Qt.TextFormat.PlainText)
        self.ranking_label = QLabel(self)
        self.ranking_label.setWordWrap(True)
        self.entities_label = QLabel(self)
        self.entities_label.setWordWrap(True)
        self.entities_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.accept_button = QPushButton("Accept (Enter)", self)
        self.intent_button = QPushButton("Intent… (I)", self)
        self.reject_button = QPushButton("Reject (X)", self)
        self.skip_button = QPushButton("Skip (S)", self)
        keys = QLabel(KEYS_HELP, self)
        keys.setObjectName("hint")
        keys.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in self.buttons():
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        for widget in (self.header, self.span_editor, self.intent_label,
                       self.ranking_label, self.entities_label, self.error_label):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(keys)
        layout.addStretch(1)
        self.labeller = SpanLabeller(self.span_editor, entity_types, self)
        self.type_popup = self.labeller.type_popup

    def buttons(self) -> tuple[QPushButton, ...]:
        """Accept, intent, reject, skip."""
        return (self.accept_button, self.intent_button, self.reject_button,
                self.skip_button)

    # -- content ----------------------------------------------------------------------
    def show_message(self, message: InboxMessage | None, *, keep_spans: bool = False,
                     empty: str = "Nothing to review", has_model: bool = True) -> None:
        """Show ``message`` (its predicted entities placed unless ``keep_spans``)."""
        self.message = message
        for button in self.buttons():
            button.setEnabled(message is not None)
        if message is None:
            self.header.setText(empty)
            self.labeller.set_content(None)
            for label in (self.intent_label, self.ranking_label, self.entities_label):
                label.setText("")
            return
        spans = (self.labeller.spans() if keep_spans
                 else spans_from_parse(message.text, message.parse))
        self.labeller.set_content(message.text, spans)
        where = f"line {message.line}" if message.line else ""
        self.header.setText(
            f"Message {message.id} {where}"
            + (" · skipped before" if message.status == SKIPPED else "")
        )
        parse = message.parse
        if parse is None:
            self.intent_label.setText("Not scored yet" + (
                "" if has_model else " (no trained model: choose the intent with I)"))
            self.ranking_label.setText("")
            self.entities_label.setText("")
            return
        intent = parse.get("intent") or {}
        self.intent_label.setText(
            f"→ {intent.get('name') or '(none)'}  "
            f"{float(intent.get('confidence') or 0):.0%}  ·  margin "
            f"{message.margin if message.margin is not None else 0:.2f}")
        ranking = parse.get("intent_ranking") or []
        self.ranking_label.setText("   ".join(
            f"{i}: {r.get('name')} {float(r.get('confidence') or 0):.0%}"
            for i, r in enumerate(ranking[:5], start=1)))
        self.entities_label.setText("Predicted entities: " + (
            "   ".join(_entity_text(message.text, e)
                       for e in parse.get("entities") or []) or "none"))

    def show_note(self, text: str | None, error: bool = False) -> None:
        """A line under the message (import report, refusal); None hides it."""
        if not text:
            self.error_label.hide()
            return
        self.error_label.setProperty("error", error)
        self.error_label.setText(text)
        self.error_label.show()

    # -- entity spans -----------------------------------------------------------------
    def spans(self) -> tuple[EntitySpan, ...]:
        """The entities the message would be accepted with."""
        return self.labeller.spans()

    def annotate(self, start: int, end: int, entity: str) -> None:
        """Add a span (replacing overlapping ones)."""
        self.labeller.annotate(start, end, entity)

    def remove_span(self, index: int) -> None:
        """Drop a span."""
        self.labeller.remove_span(index)


def _entity_text(text: str, entity: dict[str, Any]) -> str:
    """``size.role #group “large” 93%`` for one predicted entity."""
    role = f".{entity['role']}" if entity.get("role") else ""
    group = f" #{entity['group']}" if entity.get("group") else ""
    surface = text[int(entity.get("start", 0)):int(entity.get("end", 0))]
    confidence = float(entity.get("confidence_entity") or 0)
    return f"{entity.get('entity')}{role}{group} “{surface}” {confidence:.0%}"
