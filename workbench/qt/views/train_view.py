"""TrainView: train the open project, with live loss and metric charts and a stop.

Charts follow pyqtgraph's "reuse the item" pattern: one ``PlotDataItem`` per series,
created once and updated with ``setData`` from ``MetricsHistory`` after each epoch.
A third pane (``EmbeddingView``) scatters the model's sentence embeddings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.training.events import (
    BatchProgress,
    EmbeddingsProjected,
    EpochCompleted,
    EvaluationCompleted,
    FeaturizationProgress,
    NodeCompleted,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingNote,
    TrainingStarted,
)
from workbench.training.metrics import MetricsHistory
from workbench.qt.views.embedding_view import EmbeddingView
from workbench.qt.workers.training_worker import TrainingWorker

if TYPE_CHECKING:
    from workbench.core.snapshot import ProjectSnapshot
    from workbench.qt.session import ProjectSession

_PENS = ("#3f6ad8", "#e4572e", "#29a36a", "#9b5de5", "#f4a259", "#577590")


class TrainView(QWidget):
    """Train button, progress, live charts and a log of what happened.

    Signals:
        model_trained(str): path of the model a finished run wrote.
        example_activated(int): a point of the embedding scatter was clicked; the
            index of its example in the snapshot that was trained.
    """

    model_trained = Signal(str)
    example_activated = Signal(int)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrainView")
        self._session = session
        self.worker = TrainingWorker(self)
        self.history = MetricsHistory()
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._snapshot: ProjectSnapshot | None = None  # what the last run trained
        self._run_open = False  # a run started and its end not handled yet
        self._ignore_run = False  # that run's project was closed
        self.train_button = QPushButton("Train", self)
        self.train_button.setToolTip("Train DIET on the current (unsaved too) data")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setEnabled(False)
        self.epochs_box = QSpinBox(self)
        self.epochs_box.setRange(0, 10000)
        self.epochs_box.setSpecialValueText("as configured")
        self.epochs_box.setPrefix("epochs: ")
        self.progress = QProgressBar(self)
        self.status = QLabel("Not trained yet", self)
        self.loss_plot = pg.PlotWidget(title="Loss")
        self.metric_plot = pg.PlotWidget(title="Training metrics")
        # Losses fall and metrics rise: legends go where the curves are not.
        for plot, corner in (
            (self.loss_plot, (-10, 10)), (self.metric_plot, (-10, -30))
        ):
            plot.setBackground("w")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.addLegend(offset=corner)
            plot.setLabel("bottom", "epoch")
        self.metric_plot.setYRange(0, 1.05)
        self.embedding_view = EmbeddingView(self._example_text, self)
        self.log = QListWidget(self)
        top = QHBoxLayout()
        for widget in (self.train_button, self.stop_button, self.epochs_box):
            top.addWidget(widget)
        top.addWidget(self.progress, 1)
        charts = QSplitter(self)
        charts.addWidget(self.loss_plot)
        charts.addWidget(self.metric_plot)
        charts.addWidget(self.embedding_view)
        charts.setSizes([300, 300, 600])  # relative: the scatter has a legend beside it
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(charts, 3)
        layout.addWidget(self.log, 1)
        self.train_button.clicked.connect(self.start_training)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.worker.event.connect(self.on_training_event)
        self.worker.finished.connect(self._on_worker_finished)
        self.embedding_view.example_activated.connect(self._on_point_clicked)

    def start_training(self) -> bool:
        """Train a snapshot of the project as it is now (edits may continue)."""
        project = self._session.project
        if project is None or self.worker.is_running():
            return False
        self.history = MetricsHistory()
        for curve in self._curves.values():
            curve.setData([], [])
        self.embedding_view.clear()
        self.log.clear()
        self.progress.setValue(0)
        epochs = self.epochs_box.value() or None
        snapshot = project.snapshot()
        if not self.worker.start(snapshot, project.root, epochs):
            return False
        self._snapshot = snapshot  # projections index its examples
        self._run_open = True
        self.train_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status.setText("Starting (loading torch)…")
        return True

    def forget_run(self) -> None:
        """Another project was opened: drop the last run (and stop a running one).

        A run trains the old project's snapshot: its model, charts and embedding
        points (whose indices are the old project's examples) must not be applied
        to the new project.
        """
        if self._run_open:
            self.worker.request_stop()
            self._ignore_run = True  # its remaining events belong to the old project
        self._snapshot = None
        self.history = MetricsHistory()
        for curve in self._curves.values():
            curve.setData([], [])
        self.embedding_view.clear()
        self.log.clear()
        self.progress.setValue(0)
        self.status.setText("Not trained yet")

    def _on_stop_button_clicked(self) -> None:
        self.worker.request_stop()
        self.status.setText("Stopping after the current batch…")

    def _on_worker_finished(self) -> None:
        self._run_open = self._ignore_run = False
        self.train_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def on_training_event(self, event: object) -> None:
        """Show one training event (dispatch on its type)."""
        if self._ignore_run:
            return  # the run of a project that was closed meanwhile
        match event:
            case TrainingStarted():
                self._note(
                    f"Training {event.n_examples} examples, {len(event.intents)} "
                    f"intents, {len(event.entity_types)} entity types on {event.device}"
                )
                self.progress.setRange(0, max(1, event.epochs))
            case TrainingNote():
                self._note(event.message)
            case NodeCompleted():
                how = "from cache" if event.from_cache else f"{event.seconds:.1f} s"
                self._note(f"{event.name}: {how}")
            case FeaturizationProgress():
                self.status.setText(f"{event.name}: {event.done}/{event.total}")
            case BatchProgress():
                self.status.setText(
                    f"epoch {event.epoch}: batch {event.batch}/{event.n_batches}"
                )
            case EpochCompleted():
                self.history.add(event)
                self.progress.setValue(event.epoch)
                self.status.setText(f"epoch {event.epoch}/{event.total_epochs} · "
                                    + _format(event.metrics))  # fmt: skip
                self._redraw()
            case EvaluationCompleted():
                self.history.add(event)
                self._redraw()
            case EmbeddingsProjected():
                self.embedding_view.show_projection(event)
            case TrainingFinished():
                self.status.setText(
                    f"Finished in {event.wall_seconds:.1f} s: {event.model_path}"
                )
                self._note(f"Model saved to {event.model_path}")
                self.model_trained.emit(event.model_path)
            case TrainingCancelled():
                self.status.setText(f"Stopped after {event.epochs_completed} epoch(s)")
                self._note("Training stopped; no model was saved")
            case TrainingFailed():
                self.status.setText(f"Training failed: {event.message}")
                self._note(f"Failed: {event.message}")
            case _:
                pass

    def _on_point_clicked(self, index: int) -> None:
        """Re-emit a clicked point as the index of that example in the project now.

        The project may have changed since training: the example is looked up where
        it was, then by value; if it is gone, the status line says so.
        """
        snapshot, project = self._snapshot, self._session.project
        if snapshot is None or project is None or not 0 <= index < len(snapshot.examples):
            return
        trained = snapshot.examples[index]
        current = project.examples
        if index < len(current) and current[index] == trained:
            self.example_activated.emit(index)
            return
        found = next((i for i, example in enumerate(current) if example == trained), None)
        if found is None:
            self.status.setText(f"'{trained.text}' was edited or removed since training")
            return
        self.example_activated.emit(found)

    def _example_text(self, index: int) -> str | None:
        """Return the text of example ``index`` of the trained snapshot (or None)."""
        snapshot = self._snapshot
        if snapshot is None or not 0 <= index < len(snapshot.examples):
            return None
        return snapshot.examples[index].text

    def _note(self, text: str) -> None:
        self.log.addItem(text)
        self.log.scrollToBottom()

    def _redraw(self) -> None:
        for name in self.history.names:
            plot = self.loss_plot if "loss" in name else self.metric_plot
            curve = self._curves.get(name)
            if curve is None:
                dashed = name.startswith("val_")  # validation series
                style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
                colour = _PENS[len(self._curves) % len(_PENS)]
                pen = pg.mkPen(colour, width=2, style=style)
                curve = plot.plot([], [], pen=pen, name=name)
                curve.setDownsampling(auto=True)
                curve.setClipToView(True)
                self._curves[name] = curve
            epochs, values = self.history.series(name)
            curve.setData(epochs, values)


def _format(values: Mapping[str, float]) -> str:
    """Return ``"i_acc 0.950 e_f1 0.800"`` for a mapping of metric values."""
    return " ".join(f"{name} {value:.3f}" for name, value in values.items())
