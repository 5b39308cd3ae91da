"""EmbeddingView: a live 2-D scatter of sentence embeddings, coloured by intent.

Training yields ``EmbeddingsProjected`` events (a PCA projection of the sentence
embeddings of a sample of training examples) about every 10 % of the epochs and once
for the finished model. The view follows pyqtgraph's "reuse the item" pattern: one
``ScatterPlotItem`` per intent, created the first time the intent appears and updated
with ``setData`` afterwards. Each spot carries its example index as data, so a hover
can show the example text and a click can jump to the example. The legend sits beside
the plot, not on it: a project has tens of intents, which would hide the points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QSizePolicy, QVBoxLayout, QWidget

from workbench.qt.views.intent_styles import style_of
from workbench.training.events import EmbeddingsProjected

TOOLTIP_TEXT_LIMIT = 120  # characters of the example text shown on hover
LEGEND_ROWS = 20  # legend entries per column
PREPARE_CHUNK = 4  # items built per event-loop turn by prepare()


def group_by_label(
    points: np.ndarray, labels: Sequence[str], example_indices: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Split a projection into its intents.

    Args:
        points: ``(n, 2)`` projected points.
        labels: Intent of each point, ``n`` names.
        example_indices: ``(n,)`` example index of each point.

    Returns:
        Intent -> (``(k, 2)`` points, ``(k,)`` example indices), intents sorted by name,
        points in their original order.
    """
    label_array = np.asarray(labels, dtype=object)
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for label in sorted(set(labels)):
        mask = label_array == label  # (n,) bool
        groups[label] = (points[mask], example_indices[mask])
    return groups


def plot_title(event: EmbeddingsProjected | None) -> str:
    """Return "Sentence embeddings (epoch 30, PCA, final)" for ``event`` (or None)."""
    if event is None:
        return "Sentence embeddings (PCA)"
    final = ", final" if event.final else ""
    return f"Sentence embeddings (epoch {event.epoch}, PCA{final})"


class EmbeddingView(QWidget):
    """Scatter of the latest projection; hover shows the example, click jumps to it.

    Args:
        text_of: Example index -> example text (``None`` when unknown); used for the
            hover tooltips.

    Signals:
        example_activated(int): a point was clicked; its example index.
    """

    example_activated = Signal(int)

    def __init__(
        self,
        text_of: Callable[[int], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("EmbeddingView")
        self._text_of = text_of
        self.items: dict[str, pg.ScatterPlotItem] = {}
        self._styles: dict[str, tuple[str, str]] = {}  # intent -> (colour, symbol)
        # One canvas: the title over the plot and its legend on the right. A title
        # needs its full width, so it spans both (the plot's own would widen the plot).
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.title = self.canvas.addLabel(
            plot_title(None), row=0, col=0, colspan=2, size="11pt"
        )
        self.plot: pg.PlotItem = self.canvas.addPlot(row=1, col=0)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "PC 1")
        self.plot.setLabel("left", "PC 2")
        self.legend = pg.LegendItem(labelTextSize="8pt", verSpacing=-6, frame=False)
        self.canvas.addItem(self.legend, row=1, col=1)
        # Entries keep their height, at the top (a stretched legend spreads them out).
        self.legend.setSizePolicy(QSizePolicy.Policy.Preferred,
                                  QSizePolicy.Policy.Maximum)  # fmt: skip
        self.canvas.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self.pin_box = QCheckBox("Pin view", self)
        self.pin_box.setToolTip("Keep the zoom for the next run (otherwise each new "
                                "run re-ranges the plot to its points).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pin_box)
        layout.addWidget(self.canvas)
        self._to_prepare: list[str] = []
        self._prepare_timer = QTimer(self)
        self._prepare_timer.setSingleShot(True)
        self._prepare_timer.timeout.connect(self._prepare_some)

    def prepare(self, intents: Sequence[str]) -> None:
        """Create the items of ``intents`` before the first projection, a few per turn.

        A first projection of a project with tens of intents built every item and
        legend entry at once (60-80 ms of GUI thread, issue 11's 50 ms budget).
        Training announces its intents early (TrainingStarted); building
        ``PREPARE_CHUNK`` of them per event-loop turn keeps each turn short.
        """
        self._to_prepare.extend(i for i in intents if i not in self.items
                                and i not in self._to_prepare)
        if self._to_prepare and not self._prepare_timer.isActive():
            self._prepare_timer.start(0)

    def _prepare_some(self) -> None:
        for _ in range(PREPARE_CHUNK):
            if not self._to_prepare:
                break
            intent = self._to_prepare.pop(0)
            if intent not in self.items:
                self._add_item(intent)
        if self._to_prepare:
            self._prepare_timer.start(0)

    def show_projection(self, event: EmbeddingsProjected) -> None:
        """Replace the points by those of ``event`` (intents missing from it empty)."""
        groups = group_by_label(event.points, event.labels, event.example_indices)
        for intent, (points, indices) in groups.items():
            item = self.items.get(intent)
            if item is None:  # first time this intent shows up
                item = self._add_item(intent)
            item.setData(
                x=points[:, 0], y=points[:, 1], data=[int(i) for i in indices]
            )
        for intent, item in self.items.items():
            if intent not in groups:
                item.setData(x=[], y=[], data=[])
        self.title.setText(plot_title(event))

    def clear(self) -> None:
        """Remove every point and intent (a new training starts); colours are kept.

        The view re-ranges to the new run's points unless "Pin view" is on.
        """
        self._to_prepare.clear()
        self._prepare_timer.stop()
        for item in self.items.values():
            self.plot.removeItem(item)
        self.legend.clear()
        self.items.clear()
        self.title.setText(plot_title(None))
        if not self.pin_box.isChecked():
            self.plot.enableAutoRange()

    def colour_of(self, intent: str) -> str:
        """Return the colour of ``intent``'s points (stable for the view's lifetime)."""
        return self._style_of(intent)[0]

    def tooltip(self, intent: str, example_index: int) -> str:
        """Return the hover text of a point: its intent and its example's text."""
        text = self._text_of(example_index)
        if text is None:
            return f"{intent}\n(example {example_index})"
        if len(text) > TOOLTIP_TEXT_LIMIT:
            text = text[: TOOLTIP_TEXT_LIMIT - 1] + "…"
        return f"{intent}\n{text}"

    # -- internals --------------------------------------------------------------------
    def _style_of(self, intent: str) -> tuple[str, str]:
        """Give each intent, the first time it is seen, the next colour and symbol."""
        style = self._styles.get(intent)
        if style is None:
            style = self._styles[intent] = style_of(len(self._styles))
        return style

    def _add_item(self, intent: str) -> pg.ScatterPlotItem:
        colour, symbol = self._style_of(intent)
        brush = pg.mkBrush(colour)
        item = pg.ScatterPlotItem(
            name=intent, size=8, symbol=symbol, pen=pg.mkPen("w", width=0.5),
            brush=brush, hoverable=True, hoverSize=12, hoverPen=pg.mkPen("k"),
            tip=partial(self._tip, intent),
        )  # fmt: skip
        item.sigClicked.connect(self._on_item_clicked)
        self.plot.addItem(item)
        self.items[intent] = item
        # Long legends wrap into more columns (setColumnCount re-lays the entries).
        self.legend.addItem(item, intent)
        self.legend.setColumnCount(math.ceil(len(self.items) / LEGEND_ROWS))
        return item

    def _tip(self, intent: str, x: float, y: float, data: object) -> str:
        """pyqtgraph's ``tip`` callback: ``data`` is the spot's example index."""
        return self.tooltip(intent, int(data))

    def _on_item_clicked(
        self, _item: pg.ScatterPlotItem, spots: Sequence[pg.SpotItem], _event: object
    ) -> None:
        """Emit the example index of the topmost clicked spot."""
        if len(spots) > 0:
            self.example_activated.emit(int(spots[0].data()))
