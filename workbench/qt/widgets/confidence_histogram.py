"""ConfidenceHistogram: how confident the model was, for correct and wrong intents.

Two bar series over 20 bins of [0, 1] (Rasa's intent histogram): correct predictions
in green, wrong ones in red, side by side in each bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

BINS = 20
CORRECT_COLOUR, WRONG_COLOUR = "#29a36a", "#d64545"


def histogram_counts(predictions: Sequence[Any], bins: int = BINS
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (bin edges, correct counts, wrong counts) of the intent confidences."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    labelled = [p for p in predictions if p.example.intent]
    right = np.array([p.confidence for p in labelled if p.correct], dtype=float)
    wrong = np.array([p.confidence for p in labelled if not p.correct], dtype=float)
    return (edges, np.histogram(np.clip(right, 0, 1), edges)[0],
            np.histogram(np.clip(wrong, 0, 1), edges)[0])


class ConfidenceHistogram(QWidget):
    """A pyqtgraph bar chart of confidences (correct vs wrong)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConfidenceHistogram")
        self.plot = pg.PlotWidget(self, background="w")
        self.plot.setLabel("bottom", "confidence of the predicted intent")
        self.plot.setLabel("left", "examples")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setXRange(0, 1, padding=0.02)
        width = 1.0 / BINS
        self._right = pg.BarGraphItem(x=[], height=[], width=width * 0.45,
                                      brush=CORRECT_COLOUR, pen=None)
        self._wrong = pg.BarGraphItem(x=[], height=[], width=width * 0.45,
                                      brush=WRONG_COLOUR, pen=None)
        self.plot.addItem(self._right)
        self.plot.addItem(self._wrong)
        self.legend = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def set_predictions(self, predictions: Sequence[Any]) -> None:
        """Draw the histogram of ``predictions``."""
        edges, right, wrong = histogram_counts(predictions)
        self.counts = (edges, right, wrong)
        centres = (edges[:-1] + edges[1:]) / 2
        offset = (edges[1] - edges[0]) * 0.23
        self._right.setOpts(x=centres - offset, height=right)
        self._wrong.setOpts(x=centres + offset, height=wrong)
        self.plot.setYRange(0, max(1, int(max(right.max(initial=0),
                                              wrong.max(initial=0)))), padding=0.05)
        self.legend.setText(
            f"<span style='color:{CORRECT_COLOUR}'>■</span> "
            f"correct ({int(right.sum())})"
            f" &nbsp; <span style='color:{WRONG_COLOUR}'>■</span> wrong "
            f"({int(wrong.sum())})"
        )
