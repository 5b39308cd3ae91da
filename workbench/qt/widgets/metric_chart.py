"""MetricChart: per-epoch curves of a training run, with earlier runs overlaid.

One ``PlotDataItem`` per series, created once and updated with ``setData`` (pyqtgraph's
"reuse the item" pattern). Curves are drawn from a :class:`MetricsHistory` when
:meth:`MetricChart.redraw` is called; the Train tab calls it on a timer, not per event,
so a fast run does not spend the GUI thread (and the GIL) on redraws.

The legend is a row of labels *under* the plot, so it never covers a curve, and each
entry's tooltip says what the series measures. Training series are solid, held-out
(``val_``) ones dashed, overlaid runs dotted and lighter. Downsampling (peak method)
and clipping keep 500+ epochs readable and cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

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
LEGEND_COLUMNS = 2


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
    """

    def __init__(self, title: str, accepts: Callable[[str], bool],
                 y_range: tuple[float, float] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._accepts = accepts
        self.plot = pg.PlotWidget(title=title)
        self.plot.setBackground("w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "epoch")
        if y_range is not None:
            self.plot.setYRange(*y_range)
            self.plot.getViewBox().setLimits(yMin=y_range[0] - 0.05,
                                             yMax=y_range[1] + 0.05)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.overlays: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.legend_labels: dict[str, QLabel] = {}
        self._legend_grid = QGridLayout()  # two entries a row: fits a narrow chart
        self._legend_grid.setContentsMargins(4, 0, 4, 0)
        self._legend_grid.setVerticalSpacing(0)
        self.empty_note = QLabel("", self)
        self.empty_note.setWordWrap(True)
        self.empty_note.setStyleSheet("color: #666;")
        self.empty_note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addLayout(self._legend_grid)
        layout.addWidget(self.empty_note)

    # -- the current run --------------------------------------------------------------
    def redraw(self, history: MetricsHistory) -> None:
        """Show every accepted series of ``history`` (new series get a curve)."""
        for name in history.names:
            if not self._accepts(name):
                continue
            curve = self.curves.get(name) or self._add_curve(name)
            epochs, values = history.series(name)
            curve.setData(epochs, values)

    def clear(self) -> None:
        """Empty the current run's curves (their items and legend stay)."""
        for curve in self.curves.values():
            curve.setData([], [])

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

    # -- internals --------------------------------------------------------------------
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
        dash = "- - -" if dashed else "———"
        label = QLabel(f'<span style="color:{colour}; font-weight:bold">{dash}</span>'
                       f" {readable_name(name)}", self)
        label.setToolTip(series_tooltip(name))
        row, column = divmod(len(self.legend_labels), LEGEND_COLUMNS)
        self._legend_grid.addWidget(label, row, column)
        self.legend_labels[name] = label
        return curve
