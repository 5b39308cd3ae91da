"""SpanLabeller: edit the entity spans of one message in a span editor.

Owns the spans a message would be added with (not yet in the project): select tokens
and press Space/E (or click a span) to choose a type in the filterable type list,
Delete removes the span under the caret. A retyped span keeps its role and group.
Used by the inbox card and the tester's "Add to training data" dialog.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QPoint

from workbench.core.examples import EntitySpan
from workbench.qt.widgets.entity_type_popup import EntityTypePopup
from workbench.qt.widgets.span_editor import SpanEditorWidget


class SpanLabeller(QObject):
    """The spans of the text shown in ``span_editor``, edited by the user."""

    def __init__(self, span_editor: SpanEditorWidget,
                 entity_types: Callable[[], Sequence[str]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.span_editor = span_editor
        self._entity_types = entity_types
        self._text: str | None = None
        self._spans: tuple[EntitySpan, ...] = ()
        self._pending_span: tuple[int, int] | None = None
        self.type_popup = EntityTypePopup(span_editor)
        span_editor.span_requested.connect(self._on_span_requested)
        span_editor.span_clicked.connect(self._on_span_clicked)
        span_editor.span_delete_requested.connect(self.remove_span)
        self.type_popup.type_chosen.connect(self._on_type_chosen)
        self.type_popup.cancelled.connect(span_editor.setFocus)

    def set_content(self, text: str | None, spans: Sequence[EntitySpan] = ()) -> None:
        """Edit ``text`` starting from ``spans`` (None: nothing to edit)."""
        self._text = text
        self._pending_span = None
        self._spans = tuple(sorted(spans, key=lambda s: (s.start, s.end)))
        self.span_editor.set_content(text or "", self._spans)

    def text(self) -> str | None:
        """The text being labelled."""
        return self._text

    def spans(self) -> tuple[EntitySpan, ...]:
        """The spans as edited."""
        return self._spans

    def annotate(self, start: int, end: int, entity: str) -> None:
        """Add a span (replacing overlapping ones)."""
        if self._text is None:
            return
        text = self._text
        kept = tuple(s for s in self._spans if s.end <= start or s.start >= end)
        self._spans = tuple(sorted((*kept, EntitySpan(start, end, entity,
                                                      text[start:end])),
                                   key=lambda s: (s.start, s.end)))
        self.span_editor.clear_selection()
        self.span_editor.set_content(text, self._spans)

    def remove_span(self, index: int) -> None:
        """Drop a span."""
        if self._text is not None and 0 <= index < len(self._spans):
            self._spans = self._spans[:index] + self._spans[index + 1:]
            self.span_editor.set_content(self._text, self._spans)

    def _on_span_requested(self, start: int, end: int) -> None:
        self._pending_span = (start, end)
        covering = self.span_editor.span_at(start)
        current = self._spans[covering].entity if covering is not None else None
        self.type_popup.set_types(list(self._entity_types()), current)
        rects = self.span_editor.range_rects(start, end)
        anchor = rects[0].bottomLeft().toPoint() if rects else QPoint(0, 0)
        self.type_popup.popup_at(self.span_editor.mapToGlobal(anchor + QPoint(0, 4)))

    def _on_span_clicked(self, index: int) -> None:
        if 0 <= index < len(self._spans):
            span = self._spans[index]
            self._on_span_requested(span.start, span.end)

    def _on_type_chosen(self, entity: str) -> None:
        if self._pending_span is None or self._text is None:
            return
        start, end = self._pending_span
        self._pending_span = None
        same = [s for s in self._spans if (s.start, s.end) == (start, end)]
        if same:  # a retyped span keeps its role and group
            self._spans = tuple(dataclasses.replace(s, entity=entity)
                                if s is same[0] else s for s in self._spans)
            self.span_editor.set_content(self._text, self._spans)
        else:
            self.annotate(start, end, entity)
        self.span_editor.setFocus()
