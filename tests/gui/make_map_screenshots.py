"""Render the Map tab screenshots into docs/screenshots/ (offscreen).

    .venv/bin/python tests/gui/make_map_screenshots.py [--epochs 40]

Trains a copy of sample_projects/pizza (20 intents) headless, opens it in a window and
grabs the Map tab: t-SNE of the trained model (map-tsne.png), PCA (map-pca.png), the
untrained network (map-untrained.png), one intent highlighted with a lasso selection
(map-lasso.png). ``make_screenshots.py`` calls :func:`map_screenshots` too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def _wait(app, view) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    view.computed.connect(loop.quit)
    view.worker.failed.connect(loop.quit)
    QTimer.singleShot(300_000, loop.quit)
    loop.exec()
    view.computed.disconnect(loop.quit)
    view.worker.failed.disconnect(loop.quit)
    app.processEvents()


def map_screenshots(app, folder: Path, epochs: int = 40, out: Path = OUT,
                    trained: Path | None = None) -> None:
    """Train the pizza sample for ``epochs`` and grab the Map tab in four states.

    ``trained``: a copy of the pizza sample already trained (its copy is used as is).
    """
    import numpy as np

    from workbench.core.project import load_project
    from workbench.qt.dialogs.prompter import ScriptedPrompter
    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import SettingsStore
    from workbench.training.runner import run_training

    project = folder / "map-pizza"
    shutil.copytree(trained or ROOT / "sample_projects" / "pizza", project)
    if trained is None:
        for _event in run_training(load_project(project).snapshot(),
                                   project_dir=project, epochs=epochs, seed=1,
                                   device="cpu"):
            pass
    window = MainWindow(SettingsStore.at_path(folder / "map.ini"), ScriptedPrompter())
    window.resize(1280, 820)
    window.show()
    window.open_project(project)
    view = window.map_view
    window.tabs.setCurrentWidget(view)
    _wait(app, view)
    view.set_method("tsne")
    _wait(app, view)
    window.grab().save(str(out / "map-tsne.png"))
    view.set_method("pca")
    _wait(app, view)
    window.grab().save(str(out / "map-pca.png"))
    view.set_method("tsne")
    _wait(app, view)
    intent = view.scatter.map.labels[0]
    view.scatter.highlight_intent(intent)
    pts = view.scatter.map.points[np.array(view.scatter.map.labels) == intent]
    centre, radius = pts.mean(axis=0), float(np.ptp(pts, axis=0).max()) * 0.6 + 1
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    view.scatter.select_region(centre + radius * np.stack([np.cos(angles),
                                                           np.sin(angles)], 1))
    view.mode_box.setCurrentIndex(view.mode_box.findData("lasso"))
    app.processEvents()
    window.grab().save(str(out / "map-lasso.png"))
    view.scatter.highlight_intent(None)
    view.scatter.select_examples([])
    view.untrained_box.setChecked(True)
    _wait(app, view)
    window.grab().save(str(out / "map-untrained.png"))
    window.discard_and_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--trained", type=Path, default=None,
                        help="an already trained copy of the pizza sample")
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_CACHE_HOME"] = str(Path(folder) / "cache")
        map_screenshots(app, Path(folder), args.epochs, args.out, args.trained)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
