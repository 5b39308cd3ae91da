"""How the embedding map copes with 20,000 points: draw, pan, zoom, hover, lasso.

Builds a synthetic map (20,000 points in 40 intent clusters, 5 % misclassified, 40
intent markers) in an offscreen ``ScatterMap`` of 1200 x 800 pixels and measures
(median, 95th percentile, max, in ms):

* draw: ``show_map`` (set every point's brush, symbol and outline) and the first paint;
* pan / zoom: move or scale the view, then paint the frame synchronously (``repaint``);
* hover: the hover handler at a random point (``pointsAt`` + the tooltip text);
* lasso: a 200-vertex lasso over the whole map (``select_region``) and the next frame;
* optionally (``--tsne``) the t-SNE projection of ``--tsne-points`` embeddings.

A frame under 16.7 ms is 60 frames per second. Run:
``.venv/bin/python benchmarks/bench_scatter.py [--points 20000] [--frames 40]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def _synthetic_map(n: int, intents: int, seed: int = 0):
    from workbench.training.embedding_map import EmbeddingMap

    rng = np.random.default_rng(seed)
    names = [f"intent_{i:02d}" for i in range(intents)]
    centres = rng.normal(scale=20.0, size=(intents, 2))
    which = rng.integers(0, intents, size=n)
    points = (centres[which] + rng.normal(size=(n, 2))).astype(np.float32)
    labels = tuple(names[i] for i in which)
    wrong = rng.random(n) < 0.05
    predicted = tuple(names[(i + 1) % intents] if w else names[i]
                      for i, w in zip(which, wrong, strict=True))
    return EmbeddingMap(
        np.arange(n), tuple(f"example text number {i}" for i in range(n)), labels,
        predicted, rng.random(n).astype(np.float32), points, tuple(names),
        centres.astype(np.float32),
    )  # fmt: skip


def _stats(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return (f"median {statistics.median(ms):6.1f}  p95 {p95:6.1f}  "
            f"max {ms[-1]:6.1f} ms  ({len(ms)} frames)")


class _Hover:
    exit = False

    def __init__(self, pos) -> None:
        self._pos = pos

    def pos(self):
        return self._pos

    def acceptClicks(self, *_a) -> None:  # noqa: N802
        pass

    def accept(self) -> None:
        pass

    def ignore(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--intents", type=int, default=40)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--tsne", action="store_true", help="also time t-SNE")
    parser.add_argument("--tsne-points", type=int, default=10_000)
    args = parser.parse_args()

    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication

    from workbench.qt.views.scatter_map import ScatterMap

    app = QApplication.instance() or QApplication([])
    m = _synthetic_map(args.points, args.intents)
    scatter = ScatterMap()
    scatter.resize(1200, 800)
    scatter.show()
    app.processEvents()
    viewport = scatter.plot_widget.viewport()

    t0 = time.perf_counter()
    scatter.show_map(m)
    t1 = time.perf_counter()
    viewport.repaint()
    t2 = time.perf_counter()
    print(f"{args.points:,} points, {args.intents} intents, 1200 x 800 px")
    print(f"draw:   show_map {1000 * (t1 - t0):6.1f} ms, first paint "
          f"{1000 * (t2 - t1):6.1f} ms")

    vb = scatter.view_box
    pans, zooms = [], []
    for i in range(args.frames):
        start = time.perf_counter()
        vb.translateBy(x=0.5 if i % 2 else -0.5, y=0.3)
        viewport.repaint()
        pans.append(time.perf_counter() - start)
    for i in range(args.frames):
        start = time.perf_counter()
        vb.scaleBy(s=(0.9, 0.9) if i < args.frames // 2 else (1.1, 1.1))
        viewport.repaint()
        zooms.append(time.perf_counter() - start)
    print(f"pan:    {_stats(pans)}")
    print(f"zoom:   {_stats(zooms)}")

    rng = np.random.default_rng(1)
    hovers = []
    scatter.plot.autoRange()
    viewport.repaint()
    for row in rng.integers(0, args.points, size=args.frames):
        pos = QPointF(*map(float, m.points[row]))
        start = time.perf_counter()
        scatter.points.hoverEvent(_Hover(pos))
        viewport.repaint()
        hovers.append(time.perf_counter() - start)
    print(f"hover:  {_stats(hovers)}")

    angles = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    lasso = np.stack([40 * np.cos(angles), 30 * np.sin(angles)], axis=1)
    start = time.perf_counter()
    scatter.select_region(lasso)
    viewport.repaint()
    print(f"lasso:  {1000 * (time.perf_counter() - start):6.1f} ms, "
          f"{len(scatter.selected_examples()):,} selected")

    if args.tsne:
        from workbench.training.projection import TSNE, project_2d

        x = np.random.default_rng(2).normal(size=(args.tsne_points, 20))
        start = time.perf_counter()
        project_2d(x.astype(np.float32), TSNE)
        print(f"t-SNE:  {args.tsne_points:,} x 20 in "
              f"{time.perf_counter() - start:5.1f} s")
    scatter.close()


if __name__ == "__main__":
    main()
