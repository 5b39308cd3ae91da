"""MetricChart: per-epoch curves of a training run, with earlier runs overlaid.

One ``PlotDataItem`` per series, created once and updated with ``setData`` (pyqtgraph's
"reuse the item" pattern). Curves are drawn from a :class:`MetricsHistory` when
:meth:`MetricChart.redraw` is called; the Train tab calls it on a timer, not per event,
so a fast run does not spend the GUI thread (and the GIL) on redraws.

The legend sits *under* the plot, so it never covers a curve: one row per measure, its
training series left and its held-out twin ("held-out", dashed) right; each
entry's tooltip says what the series measures. Training series are solid, held-out
(``val_``) ones dashed, overlaid runs dotted and lighter. Downsampling (peak method)
and clipping keep 500+ epochs readable and cheap.

Redraws are kept cheap enough for the event loop (issue 11: no 10 ms timer delayed by
50 ms during a run): while a run goes the x axis spans its epochs from the start
(:meth:`MetricChart.set_epochs`) and the y axis of an autoscaled chart moves only in
"nice" steps, so the axes (cached as pixmaps) are not redrawn per epoch; the legend
sits in a box of reserved rows, so a new entry does not re-lay out the plot. Zooming or
panning by hand stops the chart from following the run until the "A" (auto-range)
button is pressed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGridLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.training.metrics import MetricsHistory

# Base name -> (readable name, what it is).
SERIES_INFO: dict[str, tuple[str, str]] = {
    "t_loss": ("total loss", "Sum of all of DIET's losses (what training minimises)"),
    "i_loss": ("intent loss", "Similarity loss between each message and its intent"),
    "e_loss": ("entity loss", "CRF loss of the entity tags of each token"),
    "r_loss": ("role loss", "CRF loss of the entity role tags"),
    "g_loss": ("group loss", "CRF loss of the entity group tags"),
    "m_loss": ("mask loss", "Masked-language-model loss (use_masked_language_model)"),
    "reg_loss": (
        "regularisation",
        "L2 penalty on the weights (regularization_constant)",
    ),
    "i_acc": ("intent accuracy", "Share of messages whose intent is ranked first"),
    "e_f1": ("entity F1", "Token-level F1 of the predicted entity tags"),
    "r_f1": ("role F1", "Token-level F1 of the predicted entity roles"),
    "g_f1": ("group F1", "Token-level F1 of the predicted entity groups"),
    "m_acc": ("mask accuracy", "Accuracy of the masked-token predictions"),
}
_COLOURS = {"t_loss": "#333333", "i_loss": "#3f6ad8", "e_loss": "#e4572e",
            "r_loss": "#9b5de5", "g_loss": "#f4a259", "m_loss": "#577590",
            "reg_loss": "#999999", "i_acc": "#3f6ad8", "e_f1": "#e4572e",
            "r_f1": "#9b5de5", "g_f1": "#f4a259", "m_acc": "#577590"}
_OTHER = ("#29a36a", "#8d6e63", "#00838f", "#c2185b")
VALIDATION_PREFIX = "val_"
_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """Return the smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k >= ``value``."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    return next(step * scale for step in _NICE_STEPS if step * scale >= value * 0.9999)


def readable_name(name: str) -> str:
    """Return "intent accuracy (held-out)" for ``val_i_acc`` and so on."""
    base = name.removeprefix(VALIDATION_PREFIX)
    label = SERIES_INFO.get(base, (base, ""))[0]
    if base == name:
        return f"{label} (training)" if base.endswith(("_acc", "_f1")) else label
    return f"{label} (held-out)"


def series_tooltip(name: str) -> str:
    """Say what series ``name`` measures, and on which examples."""
    base = name.removeprefix(VALIDATION_PREFIX)
    what = SERIES_INFO.get(base, (base, f"DIET's {base}"))[1]
    where = ("on the held-out evaluation examples (evaluate_on_number_of_examples)"
             if base != name else "on the training examples, averaged over the epoch")
    return f"{what}, {where}. Series {name}."


class MetricChart(QWidget):
    """A plot of some of a run's series, its legend below, overlays of other runs.

    Args:
        title: Plot title.
        accepts: Which series names this chart shows.
        y_range: Fixed y range (metrics), or None to autoscale (losses).
        legend_rows: Legend rows (one per measure) reserved from the start, so that
            the curves of a run do not re-lay out the plot as they appear.
    """

    def __init__(self, title: str, accepts: Callable[[str], bool],
                 y_range: tuple[float, float] | None = None,
                 parent: QWidget | None = None, legend_rows: int = 2) -> None:
        super().__init__(parent)
        self._accepts = accepts
        self.plot = pg.PlotWidget(title=title)
        self.plot.setBackground("w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "epoch")
        for name in ("left", "bottom"):
            # The grid makes each axis item span the plot, so every curve update
            # repainted both axes by replaying their QPicture (text included): most
            # of a redraw. Cached as a pixmap, an axis repaints only when it changes.
            self.plot.getAxis(name).setCacheMode(
                QGraphicsItem.CacheMode.DeviceCoordinateCache)
        if y_range is not None:
            self.plot.getViewBox().setLimits(yMin=y_range[0] - 0.05,
                                             yMax=y_range[1] + 0.05)
        self._fixed_y = y_range  # None: the y axis follows the data
        self._epochs = 0  # of the run shown; 0: the x axis follows the data
        self._following = True  # False once the user zooms or pans by hand
        self._shown_range: tuple[float, float, float, float] | None = None
        view_box = self.plot.getViewBox()
        view_box.disableAutoRange()
        view_box.sigRangeChangedManually.connect(self._on_manual_range)
        self.plot.getPlotItem().autoBtn.clicked.connect(self._on_auto_button)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.overlays: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.legend_labels: dict[str, QLabel] = {}
        self._legend = QWidget(self)
        self._legend_grid = QGridLayout(self._legend)
        self._legend_grid.setContentsMargins(4, 0, 4, 0)
        self._legend_grid.setVerticalSpacing(0)
        self._legend_rows = 0
        self._legend_row_of: dict[str, int] = {}  # measure -> its legend row
        self._reserve_legend_rows(legend_rows)
        # Columns as wide from the start as the longest known name (left) and
        # "held-out" (right): the chart's minimum width never changes during a run.
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(f"——— {label}")
                      for base, (label, _what) in SERIES_INFO.items()
                      if accepts(base)), default=0)
        self._legend_grid.setColumnMinimumWidth(0, widest + 8)
        self._legend_grid.setColumnMinimumWidth(
            1, metrics.horizontalAdvance("- - - held-out") + 8)
        self._legend_grid.setColumnStretch(2, 1)  # the two columns stay left
        self.empty_note = QLabel("", self)
        self.empty_note.setWordWrap(True)
        self.empty_note.setStyleSheet("color: #666;")
        self.empty_note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self._legend)
        layout.addWidget(self.empty_note)
        self._update_range()  # the empty chart's view (a fixed range: that range)

    # -- the current run --------------------------------------------------------------
    def set_epochs(self, epochs: int) -> None:
        """Span the x axis over a run of ``epochs`` from its start (0: follow data)."""
        self._epochs = max(0, int(epochs))
        self._following = True
        self._update_range()

    def redraw(self, history: MetricsHistory, new_curves: int | None = None) -> bool:
        """Show the accepted series of ``history``; return False if some were left.

        A series seen for the first time gets a curve and a legend entry (a few ms
        each, and a first paint): ``new_curves`` caps how many are made in this call,
        so the first redraw of a run can be spread over event-loop turns.
        """
        complete = True
        for name in history.names:
            if not self._accepts(name):
                continue
            curve = self.curves.get(name)
            if curve is None:
                if new_curves is not None and new_curves <= 0:
                    complete = False
                    continue
                curve = self._add_curve(name)
                new_curves = None if new_curves is None else new_curves - 1
            epochs, values = history.series(name)
            curve.setData(epochs, values)
        self._update_range()
        return complete

    def clear(self) -> None:
        """Empty the current run's curves (their items and legend stay)."""
        for curve in self.curves.values():
            curve.setData([], [])
        self._update_range()

    def set_note(self, text: str) -> None:
        """Show a line under the legend (e.g. why held-out curves are missing)."""
        self.empty_note.setText(text)
        self.empty_note.setVisible(bool(text))

    # -- overlays ---------------------------------------------------------------------
    def set_overlays(self, runs: Iterable[tuple[str, MetricsHistory]]) -> None:
        """Overlay earlier runs (label, history), replacing the previous overlays."""
        for item in self.overlays.values():
            self.plot.removeItem(item)
        self.overlays.clear()
        for number, (label, history) in enumerate(runs):
            style = (Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)[number % 2]
            for name in history.names:
                if not self._accepts(name):
                    continue
                colour = pg.mkColor(self._colour_of(name))
                colour.setAlpha(150)
                pen = pg.mkPen(colour, width=1.5, style=style)
                epochs, values = history.series(name)
                item = self.plot.plot(epochs, values, pen=pen)
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
                item.setToolTip(f"{label}: {readable_name(name)}")
                self.overlays[(label, name)] = item
        self._update_range()

    # -- internals --------------------------------------------------------------------
    def _update_range(self) -> None:
        """Fit the view to the data in coarse steps (unless the user took over)."""
        if not self._following:
            return
        x_max, y_low, y_high = float(self._epochs), math.inf, -math.inf
        for item in (*self.curves.values(), *self.overlays.values()):
            xs, ys = item.getData()
            if xs is None or len(xs) == 0:
                continue
            finite = np.asarray(ys, dtype=float)
            finite = finite[np.isfinite(finite)]
            x_max = max(x_max, float(np.max(xs)))
            if finite.size:
                y_low = min(y_low, float(finite.min()))
                y_high = max(y_high, float(finite.max()))
        x_max = max(x_max, 1.0) if self._epochs else nice_ceiling(max(x_max, 1.0))
        if self._fixed_y is not None:
            bottom, top = self._fixed_y
        elif y_high >= y_low:
            top = nice_ceiling(y_high) if y_high > 0 else 0.0
            bottom = 0.0 if y_low >= 0 else -nice_ceiling(-y_low)
            if top == bottom:
                top = bottom + 1.0
        else:
            bottom, top = 0.0, 1.0
        wanted = (0.0, x_max, bottom, top)
        if wanted == self._shown_range:
            return  # the axes stay as they are: nothing to regenerate
        self._shown_range = wanted
        self.plot.getViewBox().setRange(xRange=(0.0, x_max), yRange=(bottom, top),
                                        padding=0.02, disableAutoRange=False)

    def _on_manual_range(self, *_args: object) -> None:
        self._following = False  # the user zoomed or panned: leave the view alone

    def _on_auto_button(self) -> None:
        self.plot.getViewBox().disableAutoRange()  # we fit the view ourselves
        self._following = True
        self._shown_range = None
        self._update_range()

    def _reserve_legend_rows(self, rows: int) -> None:
        """Give the legend room for ``rows`` rows, so new entries do not re-lay out."""
        if rows <= self._legend_rows:
            return
        self._legend_rows = rows
        line = self.fontMetrics().height()
        self._legend.setFixedHeight(rows * line + 2)

    def _colour_of(self, name: str) -> str:
        base = name.removeprefix(VALIDATION_PREFIX)
        if base in _COLOURS:
            return _COLOURS[base]
        return _OTHER[sum(map(ord, base)) % len(_OTHER)]

    def _add_curve(self, name: str) -> pg.PlotDataItem:
        dashed = name.startswith(VALIDATION_PREFIX)
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        colour = self._colour_of(name)
        curve = self.plot.plot([], [], pen=pg.mkPen(colour, width=2, style=style))
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        self.curves[name] = curve
        # One row per measure: the training series left, its held-out twin right.
        base = name.removeprefix(VALIDATION_PREFIX)
        row = self._legend_row_of.setdefault(base, len(self._legend_row_of))
        text = "held-out" if dashed else SERIES_INFO.get(base, (base, ""))[0]
        label = QLabel(f'<span style="color:{colour}; font-weight:bold">'
                       f'{"- - -" if dashed else "———"}</span> {text}', self)
        label.setToolTip(series_tooltip(name))
        # No minimum width from the text: a long name would widen the chart, and the
        # splitter would re-lay out all three plots in the middle of a run.
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._reserve_legend_rows(row + 1)
        self._legend_grid.addWidget(label, row, int(dashed))
        self.legend_labels[name] = label
        return curve
