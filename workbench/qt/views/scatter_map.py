"""ScatterMap: the embedding map canvas (points, intent markers, legend, selection).

All examples are one ``ScatterPlotItem`` with per-point brush/symbol/pen (one item
stays smooth at 20,000 points, where one item per intent multiplies the per-item cost);
each spot's data is its row in the shown :class:`EmbeddingMap`, so a click or hover
maps back to exactly one example, also when two examples share a text. The intents'
label embeddings are a second item of large stars. Misclassified examples get a dark
outline. Box and lasso selection run in the view box (``SelectViewBox``); the selected
points are ringed by an overlay item.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainterPath, QPixmap
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.qt.views.intent_styles import LABEL_SYMBOL, styles_for
from workbench.training.embedding_map import EmbeddingMap
from workbench.training.projection import METHOD_NAMES, points_in_polygon

PAN, BOX, LASSO = "pan", "box", "lasso"
TOOLTIP_TEXT_LIMIT = 160
LABEL_NAMES_UP_TO = 40  # intents whose label markers are also named on the plot
FADED_ALPHA = 35  # points of other intents while one intent is highlighted
LABEL_ALPHA = 110  # fill of the intents' stars


class SelectViewBox(pg.ViewBox):
    """A view box whose left drag pans, or draws a box or a lasso (``mode``).

    Signals:
        region_selected(object): ``(m, 2)`` polygon in data coordinates.
    """

    region_selected = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.mode = PAN
        self._path: list[QPointF] = []
        self._outline = QGraphicsPathItem()
        self._outline.setPen(pg.mkPen("#333333", width=1.5, style=Qt.PenStyle.DashLine,
                                      cosmetic=True))
        self._outline.setZValue(1e6)
        self.addItem(self._outline, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (Qt naming)
        if self.mode == PAN or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        here = self.mapToView(ev.pos())
        if ev.isStart():
            self._path = [self.mapToView(ev.buttonDownPos())]
        if self.mode == LASSO:
            self._path.append(here)
        else:
            self._path = self._path[:1] + [here]
        self._outline.setPath(self._shape_path())
        if ev.isFinish():
            polygon = self.polygon()
            self._path = []
            self._outline.setPath(QPainterPath())
            self.region_selected.emit(polygon)

    def polygon(self) -> np.ndarray:
        """The box's corners or the lasso's points, ``(m, 2)``."""
        if not self._path:
            return np.zeros((0, 2))
        if self.mode == BOX and len(self._path) >= 2:
            (x0, y0), (x1, y1) = ((p.x(), p.y()) for p in (self._path[0],
                                                            self._path[-1]))
            return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        return np.array([[p.x(), p.y()] for p in self._path], dtype=np.float64)

    def _shape_path(self) -> QPainterPath:
        path = QPainterPath()
        polygon = self.polygon()
        if len(polygon):
            path.moveTo(*polygon[0])
            for x, y in polygon[1:]:
                path.lineTo(x, y)
            path.closeSubpath()
        return path


class IntentLegend(QWidget):
    """Searchable intent list; clicking an intent highlights it (again: all intents).

    Signals:
        highlight_requested(object): the intent to highlight, or None for all.
    """

    highlight_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search intents…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.list = QListWidget(self)
        self.list.itemClicked.connect(self._on_clicked)
        self.show_all = QPushButton("Show all intents", self)
        self.show_all.clicked.connect(lambda: self.set_highlight(None, emit=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.show_all)
        self.highlighted: str | None = None
        self.setMinimumWidth(180)
        self.setMaximumWidth(280)

    def set_intents(self, counts: dict[str, int], wrong: dict[str, int],
                    styles: dict[str, tuple[str, str]]) -> None:
        """Fill the list: a colour swatch, the name, its points and misclassified."""
        self.list.clear()
        for name in sorted(counts):
            colour = styles.get(name, ("#888888", "o"))[0]
            pixmap = QPixmap(12, 12)
            pixmap.fill(QColor(colour))
            bad = f", {wrong[name]} wrong" if wrong.get(name) else ""
            shown = (f"{counts[name]}{bad}" if counts[name]
                     else "label only")  # e.g. "faq": its examples are "faq/…"
            item = QListWidgetItem(QIcon(pixmap), f"{name}  ({shown})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(f"{name}: {counts[name]} examples{bad}. Click to "
                            "highlight it; click again to show all intents.")
            self.list.addItem(item)
        self._filter(self.search.text())
        if self.highlighted not in counts:
            self.highlighted = None

    def names(self, visible_only: bool = False) -> list[str]:
        """The listed intents (only those matching the search, if asked)."""
        items = (self.list.item(i) for i in range(self.list.count()))
        return [it.data(Qt.ItemDataRole.UserRole) for it in items
                if not (visible_only and it.isHidden())]

    def set_highlight(self, name: str | None, emit: bool = False) -> None:
        """Mark ``name`` as the highlighted intent (None: no highlight)."""
        self.highlighted = name
        for i in range(self.list.count()):
            item = self.list.item(i)
            font = item.font()
            font.setBold(item.data(Qt.ItemDataRole.UserRole) == name)
            item.setFont(font)
        if emit:
            self.highlight_requested.emit(name)

    def _on_clicked(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        self.set_highlight(None if name == self.highlighted else name, emit=True)

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            name = str(item.data(Qt.ItemDataRole.UserRole)).lower()
            item.setHidden(bool(needle) and needle not in name)


class ScatterMap(QWidget):
    """The map of one model: examples, intent markers, legend, hover, selection.

    Signals:
        example_activated(int): a point was clicked; its example index.
        selection_changed(): the selected examples changed (box, lasso, click, table).
    """

    example_activated = Signal(int)
    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScatterMap")
        self.map: EmbeddingMap | None = None
        self.pinned = False
        self.styles: dict[str, tuple[str, str]] = {}
        self.highlighted: str | None = None
        self._selected = np.zeros(0, dtype=bool)  # (n,) rows of the shown map
        self._row_of: dict[int, int] = {}  # example index -> row
        self.view_box = SelectViewBox()
        self.view_box.setDefaultPadding(0.06)  # names beside the outermost stars
        self.view_box.region_selected.connect(self.select_region)
        self.plot_widget = pg.PlotWidget(viewBox=self.view_box, background="w")
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        # No axes or grid: projected coordinates mean nothing, and a grid over the
        # whole plot cost half of every pan/zoom frame at 20,000 points.
        self.plot.hideAxis("bottom")
        self.plot.hideAxis("left")
        self.plot.hideButtons()
        self.points = pg.ScatterPlotItem(size=8, hoverable=True, hoverSize=13,
                                         hoverPen=pg.mkPen("k", width=1.5),
                                         tip=self._tip)  # fmt: skip
        self.points.sigClicked.connect(self._on_clicked)
        self.labels = pg.ScatterPlotItem(size=18, symbol=LABEL_SYMBOL, hoverable=True,
                                         tip=self._label_tip)  # fmt: skip
        self.labels.setZValue(10)
        self.selection = pg.ScatterPlotItem(size=15, symbol="o", brush=None,
                                            pen=pg.mkPen("#ff1493", width=2.5))
        self.selection.setZValue(5)
        self._names: list[pg.TextItem] = []
        for item in (self.points, self.selection, self.labels):
            self.plot.addItem(item)
        self.legend = IntentLegend(self)
        self.legend.highlight_requested.connect(self.highlight_intent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.legend)

    # -- showing ----------------------------------------------------------------------
    def show_map(self, embedding_map: EmbeddingMap, new_model: bool = True) -> None:
        """Draw ``embedding_map``; auto-range for a new model unless the view is pinned.

        The selection is kept for examples that are still shown.
        """
        previous = set(self.selected_examples())
        self.map = embedding_map
        self.styles = styles_for([*embedding_map.labels, *embedding_map.intent_names])
        self._row_of = {int(e): r for r, e in enumerate(embedding_map.example_indices)}
        self._misclassified = embedding_map.misclassified()
        self._selected = np.zeros(len(embedding_map.labels), dtype=bool)
        for example in previous:
            if example in self._row_of:
                self._selected[self._row_of[example]] = True
        if self.highlighted is not None and self.highlighted not in self.styles:
            self.highlighted = None
        self._redraw()
        counts: dict[str, int] = {}
        wrong: dict[str, int] = {}
        for label, bad in zip(embedding_map.labels, self._misclassified, strict=True):
            counts[label] = counts.get(label, 0) + 1
            wrong[label] = wrong.get(label, 0) + int(bad)
        for name in embedding_map.intent_names:
            counts.setdefault(name, 0)
        self.legend.set_intents(counts, wrong, self.styles)
        self.legend.set_highlight(self.highlighted)
        method = METHOD_NAMES.get(embedding_map.method, embedding_map.method)
        which = "untrained model" if embedding_map.untrained else "model"
        self.plot.setTitle(f"{len(embedding_map.labels):,} examples, "
                           f"{len(embedding_map.intent_names)} intent markers "
                           f"({method}, {which}); "
                           f"{int(self._misclassified.sum())} misclassified (outlined)",
                           size="9pt")  # fmt: skip
        if new_model and not self.pinned:
            self.plot.enableAutoRange()  # also follows later resizes, until a zoom
        self._update_selection_item()

    def clear(self) -> None:
        """Show nothing (no model, or another project)."""
        self.map = None
        self._selected = np.zeros(0, dtype=bool)
        self._row_of = {}
        self.points.setData([], [])
        self.labels.setData([], [])
        self.selection.setData([], [])
        for text in self._names:
            self.plot.removeItem(text)
        self._names = []
        self.legend.set_intents({}, {}, {})
        self.plot.setTitle("")

    def highlight_intent(self, name: str | None) -> None:
        """Fade every intent but ``name`` (None: all drawn normally)."""
        self.highlighted = name
        self.legend.set_highlight(name)
        if self.map is not None:
            self._redraw()

    # -- selection --------------------------------------------------------------------
    def selected_examples(self) -> list[int]:
        """Example indices of the selected points, ascending."""
        if self.map is None:
            return []
        return sorted(int(i) for i in self.map.example_indices[self._selected])

    def select_examples(self, indices: Iterable[int], emit: bool = True) -> None:
        """Select the points of these example indices (others deselected)."""
        if self.map is None:
            return
        self._selected[:] = False
        for index in indices:
            row = self._row_of.get(int(index))
            if row is not None:
                self._selected[row] = True
        self._update_selection_item()
        if emit:
            self.selection_changed.emit()

    def select_region(self, polygon: np.ndarray) -> None:
        """Select the points inside ``polygon`` (data coordinates)."""
        if self.map is None:
            return
        self._selected = points_in_polygon(self.map.points, polygon)
        self._update_selection_item()
        self.selection_changed.emit()

    def set_mode(self, mode: str) -> None:
        """Left drag pans (``PAN``) or selects (``BOX``, ``LASSO``)."""
        self.view_box.mode = mode
        self.view_box.setMouseEnabled(True, True)

    # -- text -------------------------------------------------------------------------
    def tooltip(self, row: int) -> str:
        """Hover text of the point in ``row``: text, true and predicted intent."""
        m = self.map
        if m is None or not 0 <= row < len(m.labels):
            return ""
        text = m.texts[row]
        if len(text) > TOOLTIP_TEXT_LIMIT:
            text = text[: TOOLTIP_TEXT_LIMIT - 1] + "…"
        predicted = m.predicted[row] or "(none)"
        mark = "  ✗ misclassified" if self._misclassified[row] else ""
        return (f"{text}\ntrue: {m.labels[row]}\npredicted: {predicted} "
                f"({float(m.confidences[row]):.2f}){mark}\n"
                f"example {int(m.example_indices[row]) + 1}")

    # -- internals --------------------------------------------------------------------
    def _redraw(self) -> None:
        m = self.map
        assert m is not None
        brushes: dict[tuple[str, bool], object] = {}
        pens = {
            True: pg.mkPen("#111111", width=1.8),
            False: pg.mkPen(255, 255, 255, 160, width=0.5),
        }
        faded_pen = pg.mkPen(None)
        brush_list, symbol_list, pen_list = [], [], []
        for label, bad in zip(m.labels, self._misclassified, strict=True):
            colour, symbol = self.styles[label]
            faded = self.highlighted is not None and label != self.highlighted
            brush = brushes.get((label, faded))
            if brush is None:
                qcolour = QColor(colour)
                if faded:
                    qcolour.setAlpha(FADED_ALPHA)
                brush = brushes[(label, faded)] = pg.mkBrush(qcolour)
            brush_list.append(brush)
            symbol_list.append(symbol)
            pen_list.append(faded_pen if faded else pens[bool(bad)])
        self.points.setData(
            pos=m.points, data=np.arange(len(m.labels)), brush=brush_list,
            symbol=symbol_list, pen=pen_list,
        )  # fmt: skip
        label_brushes = []  # see-through: a trained intent's points sit under its star
        for name in m.intent_names:
            colour = QColor(self.styles[name][0])
            colour.setAlpha(LABEL_ALPHA)
            label_brushes.append(pg.mkBrush(colour))
        self.labels.setData(
            pos=m.intent_points, data=np.arange(len(m.intent_names)),
            brush=label_brushes, pen=pg.mkPen("k", width=1.5),
        )  # fmt: skip
        for text in self._names:
            self.plot.removeItem(text)
        self._names = []
        if len(m.intent_names) <= LABEL_NAMES_UP_TO:
            for name, (x, y) in zip(m.intent_names, m.intent_points, strict=True):
                if self.highlighted is not None and name != self.highlighted:
                    continue
                text = pg.TextItem(name, color="#202020", anchor=(0, 1))
                text.setPos(float(x), float(y))
                text.setZValue(11)
                self.plot.addItem(text, ignoreBounds=True)
                self._names.append(text)

    def _update_selection_item(self) -> None:
        if self.map is None or not self._selected.any():
            self.selection.setData([], [])
            return
        self.selection.setData(pos=self.map.points[self._selected])

    def _tip(self, x: float, y: float, data: object) -> str:
        return self.tooltip(int(data))

    def _label_tip(self, x: float, y: float, data: object) -> str:
        if self.map is None:
            return ""
        name = self.map.intent_names[int(data)]
        return f"{name}\n(the intent's label embedding)"

    def _on_clicked(self, _item: object, spots: list, _event: object) -> None:
        if self.map is None or len(spots) == 0:
            return
        row = int(spots[0].data())
        self.select_examples([int(self.map.example_indices[row])])
        self.example_activated.emit(int(self.map.example_indices[row]))
