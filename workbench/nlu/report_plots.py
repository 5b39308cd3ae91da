"""Rasa's evaluation charts as PNG bytes: confusion matrix and confidence histogram.

Drawn like ``rasa.utils.plotting``: the confusion matrix with log-scaled "Blues" colours
and the count in every non-empty cell; the histogram as two horizontal bar charts over
the confidence bins 0.05, 0.10, ... 1.00 (confidences below 0.05 are not counted, as in
Rasa), correct predictions on the left and wrong ones on the right.

matplotlib is imported lazily with the Agg backend (no display, no Qt); functions
return PNG bytes so callers decide where and how they are written.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_FIGURE_INCHES = 60.0  # a 150-intent matrix stays readable without a huge file


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot

    return pyplot


def _png(figure: Any) -> bytes:
    pyplot = _pyplot()
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    finally:
        pyplot.close(figure)
    return buffer.getvalue()


def confusion_matrix_png(labels: Sequence[str], matrix: Sequence[Sequence[int]],
                         title: str) -> bytes:
    """The confusion matrix (rows: true label, columns: predicted label)."""
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FuncFormatter

    pyplot = _pyplot()
    counts = np.asarray(matrix, dtype=np.int64).reshape(len(labels), len(labels))
    side = min(MAX_FIGURE_INCHES, max(6.0, 0.35 * len(labels) + 3))
    figure, axes = pyplot.subplots(figsize=(side, side))
    vmax = max(int(counts.max(initial=0)), 2)
    image = axes.imshow(np.where(counts > 0, counts, np.nan), cmap="Blues",
                        norm=LogNorm(vmin=1, vmax=vmax), interpolation="nearest")
    bar = figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    bar.ax.yaxis.set_major_formatter(plain)
    bar.ax.yaxis.set_minor_formatter(plain)
    axes.set_title(title)
    ticks = np.arange(len(labels))
    font = max(4, min(10, int(400 / max(len(labels), 1))))
    axes.set_xticks(ticks, list(labels), rotation=90, fontsize=font)
    axes.set_yticks(ticks, list(labels), fontsize=font)
    axes.set_ylabel("True label")
    axes.set_xlabel("Predicted label")
    threshold = vmax ** 0.5  # log scale midpoint: white text on dark cells
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j] > 0:
                axes.text(j, i, str(counts[i, j]), ha="center", va="center",
                          fontsize=font,
                          color="white" if counts[i, j] > threshold else "black")
    return _png(figure)


def confidence_histogram_png(hits: Sequence[float], misses: Sequence[float],
                             title: str) -> bytes:
    """Paired horizontal histograms of the confidences of hits and misses."""
    pyplot = _pyplot()
    bins = [round(0.05 * i, 2) for i in range(1, 21)]  # Rasa: 0.05 ... 1.00
    hit_counts, _ = np.histogram(np.asarray(hits, dtype=float), bins=bins)
    miss_counts, _ = np.histogram(np.asarray(misses, dtype=float), bins=bins)
    centres = [b + 0.025 for b in bins[:-1]]
    height = 0.045
    figure, (left, right) = pyplot.subplots(ncols=2, sharey=True, figsize=(10, 6))
    left.barh(centres, hit_counts, height=height, color="#009292")
    right.barh(centres, miss_counts, height=height, color="#920000")
    top = max(int(hit_counts.max(initial=0)), int(miss_counts.max(initial=0)), 1) * 1.1
    left.set_xlim(top, 0)  # bars grow to the left
    right.set_xlim(0, top)
    left.set_title(f"Correct ({len(hits)})")
    right.set_title(f"Wrong ({len(misses)})")
    left.set_ylabel("Confidence")
    left.set_xlabel("Number of samples")
    right.set_xlabel("Number of samples")
    left.set_ylim(0.05, 1.0)
    figure.suptitle(title)
    return _png(figure)
