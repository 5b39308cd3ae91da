"""SpanEditorWidget: one example's text with coloured entity spans, selectable by token.

The widget owns no domain state: it shows a text and its spans and reports what the user
asks for (``span_requested``, ``span_clicked``, ``span_delete_requested``). Selections
snap to the model's tokens (``workbench.nlu.token_snap``), with the mouse or with
Shift+Left/Right; Space or E asks for a span over the selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.nlu.token_snap import TokenBounds, snap_selection, tokenize
from workbench.qt.palette import EntityPalette

_MARGIN = 8.0


class SpanEditorWidget(QWidget):
    """Paint a text with entity spans and let the user select token ranges.

    Signals:
        span_requested(int, int): the user asks for a span over ``[start, end)``.
        span_clicked(int): the user clicked the span with this index.
        span_delete_requested(int): Delete was pressed with the caret on this span.
        next_requested(): Enter was pressed (accept and go to the next example).
    """

    span_requested = Signal(int, int)
    span_clicked = Signal(int)
    span_delete_requested = Signal(int)
    next_requested = Signal()

    def __init__(self, palette: EntityPalette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SpanEditor")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self._palette = palette
        self._text = ""
        self._spans: tuple[Any, ...] = ()
        self._tokens: list[TokenBounds] = []
        self._anchor: int | None = None  # token index where keyboard selection started
        self._caret: int | None = None  # token index of the keyboard caret
        self._selection: tuple[int, int] | None = None  # snapped character range
        self._press_position: int | None = None
        self._layout: QTextLayout | None = None
        self._layout_width = -1.0
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self.setFont(font)
        self._label_font = QFont(self.font())
        self._label_font.setPointSizeF(self.font().pointSizeF() * 0.62)

    # -- content ----------------------------------------------------------------------
    def set_content(self, text: str, spans: Sequence[Any]) -> None:
        """Show ``text`` with ``spans`` (start, end, entity, value, role, group)."""
        same_text = text == self._text
        self._text = text
        self._spans = tuple(sorted(spans, key=lambda s: (s.start, s.end)))
        if not same_text:
            self._tokens = tokenize(text)
            self._anchor = self._caret = None
            self._selection = None
            self._layout = None
        self.updateGeometry()
        self.update()

    def text(self) -> str:
        """Return the text shown."""
        return self._text

    def spans(self) -> tuple[Any, ...]:
        """Return the spans shown, sorted by start."""
        return self._spans

    def tokens(self) -> list[TokenBounds]:
        """Return the token offsets the selection snaps to."""
        return list(self._tokens)

    def selection(self) -> tuple[int, int] | None:
        """Return the current (token-snapped) selection, if any."""
        return self._selection

    def select_range(self, start: int, end: int) -> tuple[int, int] | None:
        """Select ``[start, end)`` widened to whole tokens; return the snapped range."""
        self._selection = snap_selection(self._tokens, start, end)
        self.update()
        return self._selection

    def clear_selection(self) -> None:
        """Drop the selection (after it became a span)."""
        self._selection, self._anchor = None, None
        self.update()

    def span_at(self, position: int) -> int | None:
        """Return the index of the span covering character ``position``, if any."""
        for index, span in enumerate(self._spans):
            if span.start <= position < span.end:
                return index
        return None

    # -- geometry ---------------------------------------------------------------------
    def _line_height(self) -> float:
        # Text plus two rows of labels: adjacent short spans ("2 large") alternate rows.
        text_height = QFontMetricsF(self.font()).height()
        return text_height + 2 * QFontMetricsF(self._label_font).height() + 8

    def _ensure_layout(self, width: float) -> QTextLayout:
        if self._layout is not None and self._layout_width == width:
            return self._layout
        layout = QTextLayout(self._text, self.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        y = 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(max(20.0, width - 2 * _MARGIN))
            line.setPosition(QPointF(_MARGIN, _MARGIN + y))
            y += self._line_height()
        layout.endLayout()
        self._layout, self._layout_width = layout, width
        return layout

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        """Wrapped text: the height depends on the width."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        """Return the height needed to show every line at ``width``."""
        layout = self._ensure_layout(float(width))
        return int(max(1, layout.lineCount()) * self._line_height() + 2 * _MARGIN)

    def sizeHint(self) -> QSize:  # noqa: N802
        """Prefer a wide, two-line area."""
        return QSize(480, int(2 * self._line_height() + 2 * _MARGIN))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """At least one line."""
        return QSize(120, int(self._line_height() + 2 * _MARGIN))

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001
        """Re-wrap on resize."""
        self._layout = None
        super().resizeEvent(event)

    def position_at(self, point: QPointF) -> int | None:
        """Return the character index under ``point`` (widget coordinates)."""
        layout = self._ensure_layout(float(self.width()))
        line_height = self._line_height()
        for number in range(layout.lineCount()):
            line = layout.lineAt(number)
            top = line.position().y()
            if top <= point.y() < top + line_height:
                cursor = line.xToCursor(
                    point.x(), line.CursorPosition.CursorOnCharacter
                )
                if point.x() > line.naturalTextWidth() + _MARGIN:
                    return None
                return min(max(cursor, 0), max(len(self._text) - 1, 0))
        return None

    def range_rects(self, start: int, end: int) -> list[QRectF]:
        """Return the text rectangles (one per wrapped line) of ``[start, end)``."""
        layout = self._ensure_layout(float(self.width()))
        rects = []
        text_height = QFontMetricsF(self.font()).height()
        for number in range(layout.lineCount()):
            line = layout.lineAt(number)
            line_start = line.textStart()
            line_end = line_start + line.textLength()
            lo, hi = max(start, line_start), min(end, line_end)
            if lo >= hi:
                continue
            x1 = line.cursorToX(lo)[0]
            x2 = line.cursorToX(hi)[0]
            top = line.position().y()
            rects.append(QRectF(x1 - 2, top, x2 - x1 + 4, text_height))
        return rects

    # -- painting ---------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """Draw span backgrounds and labels, the selection, the text and the caret."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        layout = self._ensure_layout(float(self.width()))
        if not self._text:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.rect().adjusted(
                    8, 8, -8, -8
                ), Qt.AlignmentFlag.AlignLeft, "(no example)"
            )
            return
        label_ends: dict[float, float] = {}  # label row top -> end of its last label
        for span in self._spans:
            colour = self._palette.colour(span.entity)
            for number, rect in enumerate(self.range_rects(span.start, span.end)):
                painter.setPen(QPen(colour.darker(135), 1))
                painter.setBrush(colour)
                painter.drawRoundedRect(rect, 4, 4)
                if number == 0:
                    self._draw_label(painter, rect, span, label_ends)
        if self._selection is not None:
            highlight = QColor(self.palette().highlight().color())
            highlight.setAlpha(90)
            painter.setPen(QPen(highlight.darker(150), 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(highlight)
            for rect in self.range_rects(*self._selection):
                painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(self.palette().text().color())
        layout.draw(painter, QPointF(0, 0))
        if self._caret is not None and self.hasFocus():
            token = self._tokens[self._caret]
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            for rect in self.range_rects(token.start, token.end):
                painter.drawLine(rect.bottomLeft(), rect.bottomRight())

    def _draw_label(
        self, painter: QPainter, rect: QRectF, span: Any, label_ends: dict[float, float]
    ) -> None:
        label = span.entity
        if getattr(span, "role", None):
            label += f" · {span.role}"
        if getattr(span, "group", None):
            label += f" #{span.group}"
        if span.value != self._text[span.start : span.end]:
            label += f" → {span.value}"
        painter.save()
        painter.setFont(self._label_font)
        painter.setPen(self._palette.colour(span.entity).darker(260))
        metrics = QFontMetricsF(self._label_font)
        left = rect.left() + 2
        top = rect.bottom() + 1
        if label_ends.get(top, -1.0) > left:  # would overlap the previous label
            top += metrics.height()
            if label_ends.get(top, -1.0) > left:
                label = metrics.elidedText(
                    label, Qt.TextElideMode.ElideRight, rect.width()
                )
        label_ends[top] = left + metrics.horizontalAdvance(label) + 6
        painter.drawText(QPointF(left, top + metrics.ascent()), label)
        painter.restore()

    # -- mouse ------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Start a selection (or a click on a span)."""
        self.setFocus()
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_position = self.position_at(event.position())
            self._selection = None
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Extend the selection while dragging, snapped to tokens."""
        position = self.position_at(event.position())
        dragging = bool(event.buttons() & Qt.MouseButton.LeftButton)
        if self._press_position is not None and dragging:
            if position is not None and position != self._press_position:
                lo, hi = sorted((self._press_position, position))
                self._selection = snap_selection(self._tokens, lo, hi + 1)
                self.update()
        over_span = position is not None and self.span_at(position) is not None
        shape = Qt.CursorShape
        self.setCursor(shape.PointingHandCursor if over_span else shape.IBeamCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Finish: a drag asks for a span, a click on a span reports the span."""
        if event.button() != Qt.MouseButton.LeftButton or self._press_position is None:
            return
        press, self._press_position = self._press_position, None
        release = self.position_at(event.position())
        if self._selection is None and press is not None and release == press:
            span_index = self.span_at(press)
            if span_index is not None:
                self.span_clicked.emit(span_index)
                return
            self._selection = snap_selection(self._tokens, press, press)
            self.update()
        if self._selection is not None:
            self.span_requested.emit(*self._selection)

    # -- keyboard ---------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Arrows move the token caret, Shift+arrows select, Space/E annotate."""
        key, shift = event.key(), bool(
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End):
            self._move_caret(key, shift)
        elif key in (Qt.Key.Key_Space, Qt.Key.Key_E) and self._keyboard_range():
            self.span_requested.emit(*self._keyboard_range())
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            if self._caret is None:
                return
            span_index = self.span_at(self._tokens[self._caret].start)
            if span_index is not None:
                self.span_delete_requested.emit(span_index)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.next_requested.emit()
        elif key == Qt.Key.Key_Escape and self._selection is not None:
            self._selection, self._anchor = None, None
            self.update()
        else:
            super().keyPressEvent(event)

    def _keyboard_range(self) -> tuple[int, int] | None:
        if self._selection is not None:
            return self._selection
        if self._caret is not None:
            token = self._tokens[self._caret]
            return token.start, token.end
        return None

    def _move_caret(self, key: int, shift: bool) -> None:
        if not self._tokens:
            return
        last = len(self._tokens) - 1
        if self._caret is None:
            caret = 0 if key in (Qt.Key.Key_Right, Qt.Key.Key_Home) else last
        elif key == Qt.Key.Key_Left:
            caret = max(0, self._caret - 1)
        elif key == Qt.Key.Key_Right:
            caret = min(last, self._caret + 1)
        else:
            caret = 0 if key == Qt.Key.Key_Home else last
        if shift:
            if self._anchor is None:
                self._anchor = self._caret if self._caret is not None else caret
            lo, hi = sorted((self._anchor, caret))
            self._selection = (self._tokens[lo].start, self._tokens[hi].end)
        else:
            self._anchor, self._selection = None, None
        self._caret = caret
        self.update()

    def focusInEvent(self, event) -> None:  # noqa: N802, ANN001
        """Put the caret on the first token when focused from the keyboard."""
        if self._caret is None and self._tokens:
            self._caret = 0
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event) -> None:  # noqa: N802, ANN001
        """Hide the caret."""
        super().focusOutEvent(event)
        self.update()
