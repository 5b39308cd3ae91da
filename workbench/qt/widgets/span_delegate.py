"""Paint an example's text in a table cell with its entity spans coloured by type."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize
from PySide6.QtGui import QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from workbench.qt.models.roles import EXAMPLE_ROLE
from workbench.qt.palette import EntityPalette


class SpanTextDelegate(QStyledItemDelegate):
    """Draw ``Example.text`` on one line, each span on a rounded coloured background.

    The example comes from the model's ``EXAMPLE_ROLE``; text that does not fit is cut
    at the cell edge (the span editor shows the whole text).
    """

    def __init__(self, palette: EntityPalette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._palette = palette

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Paint background, spans, then text."""
        example = index.data(EXAMPLE_ROLE)
        if example is None:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(
                QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget
            )
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setClipRect(option.rect)
        metrics = QFontMetricsF(option.font)
        text = example.text
        rect = QRectF(option.rect).adjusted(4, 0, -4, 0)
        baseline = rect.top() + (
            rect.height() + metrics.ascent() - metrics.descent()
        ) / 2
        for span in example.entities:
            x1 = rect.left() + metrics.horizontalAdvance(text[: span.start])
            if x1 > rect.right():
                break
            width = metrics.horizontalAdvance(text[span.start : span.end])
            box = QRectF(
                x1 - 2, baseline - metrics.ascent() - 1, width + 4, metrics.height() + 2
            )
            colour = self._palette.colour(span.entity)
            painter.setPen(QPen(colour.darker(135), 1))
            painter.setBrush(colour)
            painter.drawRoundedRect(box, 3, 3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        colour = option.palette.highlightedText() if selected else option.palette.text()
        painter.setPen(colour.color())
        painter.setFont(option.font)
        # Spans sit on light backgrounds: keep their text dark even in a selected row.
        if selected and example.entities:
            painter.setPen(option.palette.text().color())
        painter.drawText(rect.left(), baseline, text)
        painter.restore()

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """One line of text with a little room for the span boxes."""
        size = super().sizeHint(option, index)
        return QSize(size.width(), int(QFontMetricsF(option.font).height() + 8))
