"""ExampleEditorView: annotate one example (spans, intent, text or raw markup).

Span edits are committed at once, each as one undoable ``ReplaceExample``. Text and
markup edits are a draft shown live in the span editor and committed with Enter (which
also moves on to the next example) or when the text box loses focus.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.examples import EntitySpan, Example
from workbench.core.markup import MarkupError, parse_markup, render_markup
from workbench.core.span_remap import remap_spans
from workbench.core.text_rules import TextRuleError, check_example
from workbench.qt.palette import EntityPalette
from workbench.qt.widgets.annotate_everywhere_bar import AnnotateEverywhereBar
from workbench.qt.widgets.entity_type_popup import EntityTypePopup
from workbench.qt.widgets.span_editor import SpanEditorWidget
from workbench.qt.widgets.span_properties_popup import SpanPropertiesPopup

if TYPE_CHECKING:
    from workbench.core.example_list import ExampleList
    from workbench.qt.models.example_table_model import ExampleTableModel
    from workbench.qt.session import ProjectSession


class ExampleEditorView(QWidget):
    """Edit the example at one row of the table model.

    Signals:
        next_requested(): Enter was pressed: the window moves to the next example.
    """

    next_requested = Signal()

    def __init__(
        self,
        session: ProjectSession,
        table_model: ExampleTableModel,
        palette: EntityPalette,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ExampleEditorView")
        self._session = session
        self._table_model = table_model
        self._row = QPersistentModelIndex()
        self._draft: tuple[str, tuple[EntitySpan, ...]] | None = None
        self._draft_invalid = False  # the markup box holds markup that does not parse
        self.header = QLabel("No example selected", self)
        self.header.setObjectName("editorHeader")
        self.intent_box = QComboBox(self)
        self.intent_box.setMinimumWidth(180)
        self.intent_box.setToolTip("Intent of this example")
        self.span_editor = SpanEditorWidget(palette, self)
        self.text_edit = QLineEdit(self)
        self.text_edit.setPlaceholderText(
            "Example text — Enter saves and goes to the next"
        )
        self.markup_button = QToolButton(self)
        self.markup_button.setText("Markup")
        self.markup_button.setCheckable(True)
        self.markup_button.setToolTip("Edit the raw Rasa markup (Ctrl+R)")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.hide()
        self.everywhere_bar = AnnotateEverywhereBar(self)
        self.type_popup = EntityTypePopup(self)
        self.properties_popup = SpanPropertiesPopup(self)
        self._pending_span: tuple[int, int] | None = None
        self._clicked_span = -1

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(QLabel("Intent:", self))
        top.addWidget(self.intent_box)
        text_row = QHBoxLayout()
        text_row.addWidget(self.text_edit, 1)
        text_row.addWidget(self.markup_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.span_editor)
        layout.addLayout(text_row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.everywhere_bar)
        layout.addStretch(1)

        self.span_editor.span_requested.connect(self._on_span_editor_span_requested)
        self.span_editor.span_clicked.connect(self._on_span_editor_span_clicked)
        self.span_editor.span_delete_requested.connect(self.remove_span)
        self.span_editor.next_requested.connect(self._on_next)
        self.type_popup.type_chosen.connect(self._on_type_popup_type_chosen)
        self.type_popup.cancelled.connect(self._on_type_popup_cancelled)
        self.properties_popup.span_edited.connect(self._on_properties_popup_span_edited)
        self.properties_popup.span_removed.connect(
            self._on_properties_popup_span_removed
        )
        self.text_edit.textEdited.connect(self._on_text_edit_text_edited)
        self.text_edit.returnPressed.connect(self._on_next)
        self.text_edit.editingFinished.connect(self.commit_draft)
        self.markup_button.toggled.connect(self._on_markup_button_toggled)
        self.intent_box.activated.connect(self._on_intent_box_activated)
        self.everywhere_bar.accepted.connect(self._session.annotate_everywhere)
        session.history.edited.connect(self.refresh)

    # -- which example ----------------------------------------------------------------
    def current_row(self) -> int | None:
        """Return the project index of the example shown, if any."""
        return self._row.row() if self._row.isValid() else None

    def _examples(self) -> ExampleList | None:
        """The example list this editor shows, while its project is the open one.

        The editor is bound to one project (through its table model): once another
        project is open it shows nothing and writes nothing, so a row number or a
        draft of the old project can never land in the new one.
        """
        project = self._session.project
        examples = self._table_model.examples
        if project is None or project.examples is not examples:
            return None
        return examples

    def current_example(self) -> Example | None:
        """Return the example shown (as stored in the project)."""
        row, examples = self.current_row(), self._examples()
        if row is None or examples is None or not 0 <= row < len(examples):
            return None
        return examples[row]

    def discard_draft(self) -> None:
        """Drop an uncommitted text/markup edit (the user discarded their changes)."""
        self._draft, self._draft_invalid = None, False
        self.error_label.hide()

    def release(self) -> None:
        """Stop showing and editing (the project is being closed); drops any draft.

        Commit the draft first (``commit_draft``) when it should be kept.
        """
        self.discard_draft()
        self._row = QPersistentModelIndex()
        try:
            self._session.history.edited.disconnect(self.refresh)
        except (RuntimeError, TypeError):
            pass  # already disconnected

    def show_row(self, row: int | None) -> None:
        """Show the example at project index ``row`` (``None`` clears the editor)."""
        self.commit_draft()
        index = self._table_model.index(row, 0) if row is not None else QModelIndex()
        self._row = QPersistentModelIndex(index)
        self.everywhere_bar.hide()
        self.refresh()

    def refresh(self) -> None:
        """Re-read the example from the project (after any edit, undo or redo)."""
        self._draft, self._draft_invalid = None, False
        self.error_label.hide()
        example = self.current_example()
        enabled = example is not None
        for widget in (self.intent_box, self.text_edit, self.markup_button):
            widget.setEnabled(enabled)
        self.intent_box.blockSignals(True)
        self.intent_box.clear()
        if self._examples() is not None:
            self.intent_box.addItems(list(self._session.project.intents))
        if example is None:
            self.header.setText("No example selected")
            self.span_editor.set_content("", ())
            self.text_edit.clear()
            self.intent_box.blockSignals(False)
            return
        self.intent_box.setCurrentText(example.intent)
        self.intent_box.blockSignals(False)
        row = self.current_row()
        total = len(self._session.project.examples)
        source = example.source
        where = f" · {source.path.name}:{source.line}" if source else ""
        self.header.setText(f"Example {row + 1} of {total}{where}")
        self.span_editor.set_content(example.text, example.entities)
        self._show_text(example.text, example.entities)

    def _show_text(self, text: str, spans: tuple[EntitySpan, ...]) -> None:
        if self.markup_button.isChecked():
            try:
                shown = render_markup(text, spans)
            except MarkupError as error:
                self._show_error(f"cannot write markup: {error}")
                shown = text
        else:
            shown = text
        if self.text_edit.text() != shown:
            position = self.text_edit.cursorPosition()
            self.text_edit.setText(shown)
            self.text_edit.setCursorPosition(min(position, len(shown)))

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    # -- spans ------------------------------------------------------------------------
    def _on_span_editor_span_requested(self, start: int, end: int) -> None:
        if self.current_example() is None:
            return
        self.commit_draft()
        self._pending_span = (start, end)
        rects = self.span_editor.range_rects(start, end)
        anchor = rects[0].bottomLeft().toPoint() if rects else QPoint(0, 0)
        covering = self.span_editor.span_at(start)
        current = self.span_editor.spans()[
            covering
        ].entity if covering is not None else None
        self.type_popup.set_types(self._session.entity_types(), current)
        self.type_popup.popup_at(self.span_editor.mapToGlobal(anchor + QPoint(0, 4)))

    def _on_type_popup_type_chosen(self, entity: str) -> None:
        if self._pending_span is None:
            return
        start, end = self._pending_span
        self._pending_span = None
        self.annotate(start, end, entity)

    def _on_type_popup_cancelled(self) -> None:
        self._pending_span = None
        self.span_editor.setFocus()

    def annotate(self, start: int, end: int, entity: str) -> bool:
        """Add a span ``[start, end)`` of type ``entity`` (replaces overlaps)."""
        example = self.current_example()
        if example is None:
            return False
        surface = example.text[start:end]
        kept = tuple(s for s in example.entities if s.end <= start or s.start >= end)
        spans = tuple(sorted((*kept, EntitySpan(start, end, entity, surface)),
                             key=lambda s: (s.start, s.end)))
        if not self._replace(dataclasses.replace(example, entities=spans)):
            return False
        self.span_editor.clear_selection()
        self.everywhere_bar.offer(
            surface, entity, self._session.annotate_everywhere_count(surface, entity)
        )
        self.span_editor.setFocus()
        return True

    def _on_span_editor_span_clicked(self, index: int) -> None:
        example = self.current_example()
        if example is None:
            return
        self._clicked_span = index
        span = self.span_editor.spans()[index]
        self.properties_popup.edit(
            span, example.text[span.start : span.end], self._session.entity_types()
        )
        rects = self.span_editor.range_rects(span.start, span.end)
        anchor = rects[0].bottomLeft().toPoint() if rects else QPoint(0, 0)
        self.properties_popup.popup_at(
            self.span_editor.mapToGlobal(anchor + QPoint(0, 18))
        )

    def _on_properties_popup_span_edited(self, span: EntitySpan) -> None:
        example = self.current_example()
        if example is None or not 0 <= self._clicked_span < len(example.entities):
            return
        old = self.span_editor.spans()[self._clicked_span]
        spans = tuple(span if s == old else s for s in example.entities)
        self._replace(dataclasses.replace(example, entities=spans))

    def _on_properties_popup_span_removed(self) -> None:
        self.remove_span(self._clicked_span)

    def remove_span(self, index: int) -> bool:
        """Remove the span with this index (in start order)."""
        example = self.current_example()
        if example is None or not 0 <= index < len(self.span_editor.spans()):
            return False
        doomed = self.span_editor.spans()[index]
        spans = tuple(s for s in example.entities if s != doomed)
        return self._replace(dataclasses.replace(example, entities=spans))

    def _replace(self, example: Example) -> bool:
        row = self.current_row()
        if row is None or self.current_example() is None:
            return False  # nothing shown, or the project is no longer the open one
        return self._session.replace_example(row, example)

    # -- intent -----------------------------------------------------------------------
    def _on_intent_box_activated(self, _index: int) -> None:
        example = self.current_example()
        intent = self.intent_box.currentText()
        if example is not None and intent and intent != example.intent:
            self.commit_draft()
            self._replace(dataclasses.replace(self.current_example(), intent=intent))

    # -- text and markup --------------------------------------------------------------
    def _on_text_edit_text_edited(self, value: str) -> None:
        example = self.current_example()
        if example is None:
            return
        base_text, base_spans = self._draft or (example.text, example.entities)
        if self.markup_button.isChecked():
            try:
                text, spans = parse_markup(value)
            except MarkupError as error:
                column = getattr(error, "column", None)
                where = f" (column {column + 1})" if column is not None else ""
                self._show_error(
                    f"Markup error{where}: {error} — not saved until fixed"
                )
                self._draft_invalid = True
                return
        else:
            text, spans = value, remap_spans(base_text, value, base_spans)
        try:  # characters a file cannot hold: say so now, not at the commit
            check_example(dataclasses.replace(example, text=text, entities=spans))
        except TextRuleError as error:
            self._show_error(f"{error} — not saved until fixed")
            self._draft_invalid = True
            return
        self.error_label.hide()
        self._draft_invalid = False
        self._draft = (text, spans)
        self.span_editor.set_content(text, spans)

    def commit_draft(self) -> bool:
        """Write the text/markup draft to the project as one undo step."""
        draft, self._draft = self._draft, None
        if self._draft_invalid:
            self._draft_invalid = False
            return False  # invalid markup is never written; the error stays shown
        example = self.current_example()
        if draft is None or example is None:
            return False
        text, spans = draft
        if not text.strip():
            self._show_error("An example cannot be empty: the text was not changed.")
            self.refresh()
            return False
        if (text, spans) == (example.text, example.entities):
            return False
        return self._replace(dataclasses.replace(example, text=text, entities=spans))

    def _on_markup_button_toggled(self, _checked: bool) -> None:
        example = self.current_example()
        if example is None:
            return
        text, spans = self._draft or (example.text, example.entities)
        self._show_text(text, spans)

    def _on_next(self) -> None:
        self.commit_draft()
        self.next_requested.emit()

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001
        """Escape dismisses the annotate-everywhere bar."""
        if event.key() == Qt.Key.Key_Escape and self.everywhere_bar.isVisible():
            self.everywhere_bar.hide()
            return
        super().keyPressEvent(event)
