"""RankingBars: intents by confidence as horizontal bars, with their full names."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

_ROW = 22
_GAP = 8
_PERCENT = "100.0%"
_RIGHT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight


class RankingBars(QWidget):
    """Paint one row per intent: full name, a bar as long as its confidence, percent.

    The names are never cut: the widget asks for the width of the longest one. The
    top intent's bar is drawn in the highlight colour (warning colour when ``low``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RankingBars")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self._rows: list[tuple[str, float]] = []
        self._low = False

    def set_ranking(self, rows: Sequence[tuple[str, float]], low: bool = False) -> None:
        """Show ``(intent, confidence)`` rows in this order."""
        self._rows = [(str(name), float(conf)) for name, conf in rows]
        self._low = low
        self.setToolTip("\n".join(f"{n}: {c:.1%}" for n, c in self._rows))
        self.updateGeometry()
        self.update()

    def rows(self) -> list[tuple[str, float]]:
        """The rows shown."""
        return list(self._rows)

    def _name_width(self) -> int:
        metrics = QFontMetrics(self.font())
        return max((metrics.horizontalAdvance(n) for n, _ in self._rows), default=0)

    def sizeHint(self) -> QSize:  # noqa: N802
        """Room for every full name, a bar and the percentage."""
        metrics = QFontMetrics(self.font())
        width = self._name_width() + 160 + metrics.horizontalAdvance(_PERCENT)
        width += 3 * _GAP
        return QSize(width, max(1, len(self._rows)) * _ROW + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """Names stay whole; the bar may shrink."""
        metrics = QFontMetrics(self.font())
        width = self._name_width() + 40 + metrics.horizontalAdvance(_PERCENT) + 3 * _GAP
        return QSize(width, max(1, len(self._rows)) * _ROW + 4)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """Draw the rows."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        name_w = self._name_width()
        pct_w = metrics.horizontalAdvance(_PERCENT)
        bar_x = name_w + 2 * _GAP
        bar_w = max(10, self.width() - bar_x - pct_w - 2 * _GAP)
        text_colour = self.palette().windowText().color()
        track = QColor(text_colour)
        track.setAlpha(28)
        top = self.palette().highlight().color()
        other = QColor(top)
        other.setAlpha(110)
        for row, (name, conf) in enumerate(self._rows):
            y = 2 + row * _ROW
            painter.setPen(text_colour)
            painter.drawText(QRectF(_GAP, y, name_w, _ROW),
                             _RIGHT,
                             name)
            rect = QRectF(bar_x, y + 4, bar_w, _ROW - 8)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(rect, 3, 3)
            colour = (QColor("#d9822b") if self._low else top) if row == 0 else other
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(rect.x(), rect.y(),
                                           max(0.0, min(1.0, conf)) * bar_w,
                                           rect.height()), 3, 3)
            painter.setPen(text_colour)
            painter.drawText(QRectF(bar_x + bar_w + _GAP, y, pct_w, _ROW),
                             _RIGHT,
                             f"{conf:.1%}")
        painter.end()
