"""TrainView: train the open project, follow it live, compare runs, pick the active one.

Layout: buttons and progress (epochs per second, ETA) on top; a loss chart, a metric
chart (intent accuracy and entity F1 on the training and held-out examples) and the
embedding scatter in the middle; the run list (:class:`RunsPanel`) and a log below.

Charts are redrawn on a timer (``REDRAW_MS``), never per event: each redraw costs the
GUI thread milliseconds and holds the GIL the training thread needs.

The active model (``workbench.training.active_model``) is what the tester and the
scatter use. A finished (or stopped, with a model kept) run becomes active only when no
model was active, or when the user says so ("Use the new model", or "Use as active
model" in the run list); the choice is stored in the project and survives restarts.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.qt.dialogs.prompter import DialogPrompter, Prompter
from workbench.qt.views.embedding_view import EmbeddingView
from workbench.qt.views.runs_panel import RunsPanel, load_runs
from workbench.qt.widgets.metric_chart import MetricChart
from workbench.qt.workers.training_worker import TrainingWorker
from workbench.training.active_model import (
    active_model,
    chosen_model,
    is_model_folder,
    newest_model,
    set_active_model,
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

if TYPE_CHECKING:
    from workbench.core.snapshot import ProjectSnapshot
    from workbench.qt.session import ProjectSession
    from workbench.training.run_history import RunRecord

REDRAW_MS = 500  # charts follow a run at most this often
NEW_CURVES_PER_TURN = 2  # a first redraw is spread over turns (issue 11: 50 ms)
_METRIC_BASES = ("i_acc", "e_f1", "r_f1", "g_f1")


def _is_loss(name: str) -> bool:
    # Training losses, and only the held-out total: seven loss curves are unreadable.
    return name.endswith("_loss") and (
        not name.startswith("val_") or name == "val_t_loss"
    )


def _is_metric(name: str) -> bool:
    return name.removeprefix("val_") in _METRIC_BASES


def format_eta(seconds: float) -> str:
    """Return "1:05:03", "4:07" or "12 s"."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}" if minutes else f"{secs} s"


class TrainView(QWidget):
    """Train and continue-training buttons, live charts, the run list and a log.

    Signals:
        model_trained(str): path of the model a finished run wrote.
        active_model_changed(str): the project's active model ("" when none).
        example_activated(int): a point of the embedding scatter was clicked; the
            index of its example in the current project.
        about_to_train(): emitted (synchronously) just before the snapshot is taken,
            so the window can commit a pending text edit: unsaved edits are trained.
    """

    model_trained = Signal(str)
    active_model_changed = Signal(str)
    example_activated = Signal(int)
    about_to_train = Signal()

    def __init__(self, session: ProjectSession, parent: QWidget | None = None,
                 prompter: Prompter | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrainView")
        self._session = session
        self.prompter = prompter or DialogPrompter(self)
        self.worker = TrainingWorker(self)
        self.history = MetricsHistory()
        self.active: Path | None = None  # the project's active model
        self._run_root: Path | None = None  # project folder of the current run
        self._active_at_start: Path | None = None
        self._run_snapshot: ProjectSnapshot | None = None
        self._run_projection: EmbeddingsProjected | None = None
        self._last_model: Path | None = None  # the last run's model (if kept)
        self._last_run_scatter: (
            tuple[EmbeddingsProjected, ProjectSnapshot] | None) = None
        # What the scatter shows: the active model's projection and its snapshot.
        self._active_scatter: tuple[EmbeddingsProjected, ProjectSnapshot] | None = None
        self._snapshot: ProjectSnapshot | None = None  # snapshot of the shown scatter
        self._run_open = False  # a run started and its end not handled yet
        self._ignore_run = False  # that run's project was closed
        self._build()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self._redraw_some)
        self.train_button.clicked.connect(self.start_training)
        self.continue_button.clicked.connect(self.continue_training)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.use_new_button.clicked.connect(self._on_use_new_clicked)
        self.worker.event.connect(self.on_training_event)
        self.worker.finished.connect(self._on_worker_finished)
        self.embedding_view.example_activated.connect(self._on_point_clicked)
        self.runs_panel.overlays_changed.connect(self._on_overlays_changed)
        self.runs_panel.activate_requested.connect(
            lambda path: self.use_model(Path(path)))
        self.runs_panel.delete_requested.connect(
            lambda path: self.delete_model(Path(path)))
        self._update_buttons()

    def _build(self) -> None:
        self.train_button = QPushButton("Train", self)
        self.train_button.setToolTip(
            "Train DIET on the current data, unsaved edits included (Ctrl+T)")
        self.continue_button = QPushButton("Continue training", self)
        self.continue_button.setToolTip(
            "Train the active model further on the current data (new intents and "
            "entity types allowed)")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop now; the best model so far is kept")
        self.epochs_box = QSpinBox(self)
        self.epochs_box.setRange(0, 100000)
        self.epochs_box.setSpecialValueText("as configured")
        self.epochs_box.setPrefix("epochs: ")
        self.progress = QProgressBar(self)
        self.speed = QLabel("", self)
        self.status = QLabel("Not trained yet", self)
        # Updated ~10 times a second: a label that resizes with its text would
        # re-lay out (and repaint) the charts each time. Fixed height, clipped width.
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.speed.setMinimumWidth(
            self.speed.fontMetrics().horizontalAdvance("999.99 epochs/s · ETA 99:59:59")
        )
        self.active_label = QLabel("No active model", self)
        self.active_label.setWordWrap(True)
        self.use_new_button = QPushButton("Use the new model", self)
        self.use_new_button.hide()
        self.loss_chart = MetricChart("Losses", _is_loss, parent=self, legend_rows=4)
        self.metric_chart = MetricChart("Intent accuracy and entity F1", _is_metric,
                                        (0.0, 1.02), self)
        self.embedding_view = EmbeddingView(self._example_text, self)
        self.runs_panel = RunsPanel(self)
        self.log = QListWidget(self)
        top = QHBoxLayout()
        for widget in (self.train_button, self.continue_button, self.stop_button,
                       self.epochs_box):
            top.addWidget(widget)
        top.addWidget(self.progress, 1)
        top.addWidget(self.speed)
        active_row = QHBoxLayout()
        active_row.addWidget(self.active_label, 1)
        active_row.addWidget(self.use_new_button)
        charts = QSplitter(self)
        charts.addWidget(self.loss_chart)
        charts.addWidget(self.metric_chart)
        charts.addWidget(self.embedding_view)
        charts.setSizes([320, 320, 560])
        bottom = QSplitter(self)
        bottom.addWidget(self.runs_panel)
        bottom.addWidget(self.log)
        bottom.setSizes([800, 400])
        vertical = QSplitter(Qt.Orientation.Vertical, self)
        vertical.addWidget(charts)
        vertical.addWidget(bottom)
        vertical.setSizes([520, 220])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addLayout(active_row)
        layout.addWidget(vertical, 1)

    # -- the project ------------------------------------------------------------------
    def project_opened(self) -> None:
        """A project was opened (or reloaded): show its runs and its active model."""
        root = self._project_root()
        found = active_model(root) if root is not None else None
        self._set_active(found, announce=found != self.active)
        self.refresh_runs()
        project = self._session.project
        if project is not None:
            # Build the scatter's items and legend now, a few per turn: during a run
            # each legend entry re-lays out the canvas (tens of ms of GUI thread).
            self.embedding_view.prepare(sorted({e.intent for e in project.examples}))

    def forget_run(self) -> None:
        """Another project was opened: drop the last run (and stop a running one).

        A run trains the old project's snapshot: its model, charts and embedding
        points (whose indices are the old project's examples) must not be applied
        to the new project.
        """
        if self._run_open:
            self.worker.request_stop()
            self._ignore_run = True  # its remaining events belong to the old project
        self._snapshot = self._run_snapshot = None
        self._active_scatter = self._last_run_scatter = None
        self._last_model = None
        self.active = None
        self.history = MetricsHistory()
        self.loss_chart.clear()
        self.metric_chart.clear()
        self.loss_chart.set_overlays([])
        self.metric_chart.set_overlays([])
        for chart in (self.loss_chart, self.metric_chart):
            chart.set_epochs(0)
        self.embedding_view.clear()
        self.log.clear()
        self.progress.setValue(0)
        self.speed.setText("")
        self.use_new_button.hide()
        self.status.setText("Not trained yet")
        self.active_label.setText("No active model")
        self.runs_panel.show_runs([], None)
        self._update_buttons()

    def shutdown(self, msecs: int = 30000) -> bool:
        """The window closes: stop a run, wait for its thread, ignore what it sends.

        The run records itself as cancelled (its model so far is kept on disk); its
        last events, still queued, must not start the tester on a closing window.
        """
        if self._run_open:
            self._ignore_run = True
        self._redraw_timer.stop()
        return self.worker.stop_and_wait(msecs)

    def refresh_runs(self) -> None:
        """Re-read the run history into the run list."""
        runs, problem = load_runs(self._project_root())
        self.runs_panel.show_runs(runs, self.active, problem)

    # -- training ---------------------------------------------------------------------
    def start_training(self, *, finetune: bool = False) -> bool:
        """Train a snapshot of the project as it is now (edits may continue).

        ``finetune`` continues the active model instead of starting from scratch.
        """
        project = self._session.project
        if project is None or self.worker.is_running():
            return False
        finetune_from = None
        if finetune:
            if self.active is None or not is_model_folder(self.active):
                self.status.setText("No active model to continue: train one first.")
                return False
            finetune_from = self.active
        self.about_to_train.emit()  # e.g. commit the example being typed
        epochs = self.epochs_box.value() or None
        snapshot = project.snapshot()
        if not self.worker.start(snapshot, project.root, epochs,
                                 finetune_from=finetune_from):
            return False
        self.history = MetricsHistory()
        self.loss_chart.clear()
        self.metric_chart.clear()
        self.metric_chart.set_note("")
        self.log.clear()
        self.progress.setValue(0)
        self.speed.setText("")
        self.use_new_button.hide()
        self._run_root = project.root
        self._run_snapshot = snapshot  # projections index its examples
        self._run_projection = None
        self._active_at_start = self.active
        self._run_open = True
        self._update_buttons()
        what = f"Continuing {finetune_from.name}" if finetune_from else "Starting"
        self.status.setText(f"{what} (loading torch)…")
        return True

    def continue_training(self) -> bool:
        """Continue training the active model on the current data."""
        return self.start_training(finetune=True)

    def _on_stop_button_clicked(self) -> None:
        self.worker.request_stop()
        self.status.setText("Stopping after the current batch…")

    def _on_worker_finished(self) -> None:
        self._run_open = self._ignore_run = False
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.worker.is_running() or self._run_open
        has_project = self._session.project is not None
        self.train_button.setEnabled(not running and has_project)
        self.continue_button.setEnabled(not running and has_project
                                        and self.active is not None)
        self.stop_button.setEnabled(running)

    def on_training_event(self, event: object) -> None:
        """Show one training event (dispatch on its type)."""
        if self._ignore_run:
            return  # the run of a project that was closed meanwhile
        match event:
            case TrainingStarted():
                base = (f" continuing {Path(event.finetune_from).name}"
                        if event.finetune_from else "")
                self._note(
                    f"Training {event.n_examples} examples, {len(event.intents)} "
                    f"intents, {len(event.entity_types)} entity types on "
                    f"{event.device}{base}")
                if event.n_validation_examples == 0:
                    self.metric_chart.set_note(
                        "No held-out curves: set evaluate_on_number_of_examples "
                        "in config.yml to see how the model generalises.")
                self.progress.setRange(0, max(1, event.epochs))
                for chart in (self.loss_chart, self.metric_chart):
                    chart.set_epochs(event.epochs)  # the x axis stays put all run
                self.embedding_view.prepare(event.intents)  # spread over a few turns
            case TrainingNote():
                self._note(event.message)
            case NodeCompleted():
                how = "from cache" if event.from_cache else f"{event.seconds:.1f} s"
                self._note(f"{event.name}: {how}")
            case FeaturizationProgress():
                self.status.setText(f"{event.name}: {event.done}/{event.total}")
            case BatchProgress():
                self.status.setText(
                    f"epoch {event.epoch}: batch {event.batch}/{event.n_batches}")
            case EpochCompleted():
                self.history.add(event)
                self.progress.setValue(event.epoch)
                self._show_speed(event)
                self.status.setText(f"epoch {event.epoch}/{event.total_epochs} · "
                                    + _format(event.metrics))  # fmt: skip
                self._schedule_redraw()
            case EvaluationCompleted():
                self.history.add(event)
                self._schedule_redraw()
            case EmbeddingsProjected():
                self._run_projection = event
                self._show_scatter(event, self._run_snapshot)
            case TrainingFinished():
                self._redraw()
                self.speed.setText(f"{format_eta(event.wall_seconds)} in all")
                self.status.setText(f"Finished in {event.wall_seconds:.1f} s: "
                                    f"{event.model_path}")
                self._note(f"Model saved to {event.model_path}")
                self.model_trained.emit(event.model_path)
                self._run_ended(Path(event.model_path))
            case TrainingCancelled():
                self._redraw()
                kept = event.model_path
                self.status.setText(
                    f"Stopped after {event.epochs_completed} epoch(s)"
                    + (f"; the model so far was kept: {kept}" if kept else ""))
                self._note("Training stopped; " + (
                    f"the model so far was saved to {kept}" if kept
                    else "no epoch had finished, so no model was saved"))
                self._run_ended(Path(kept) if kept else None)
            case TrainingFailed():
                self._redraw()
                self.status.setText(f"Training failed: {event.message}")
                self.status.setToolTip(event.message)
                self.status.setStyleSheet("color: #b00020;")
                self._note(f"Failed: {event.message}")
                self._run_ended(None)
                self.prompter.inform("Training failed", _failure_text(event.message))
            case _:
                pass
        if not isinstance(event, TrainingFailed) and isinstance(
                event, (TrainingStarted, TrainingFinished, TrainingCancelled)):
            self.status.setStyleSheet("")

    # -- end of a run and the active model --------------------------------------------
    def _run_ended(self, model: Path | None) -> None:
        """Decide what the run's model (if any) is to the project; restore the scatter.
        """
        self._run_open = False
        root = self._run_root
        self._last_model = model
        run_scatter = None
        if self._run_projection is not None and self._run_snapshot is not None:
            run_scatter = (self._run_projection, self._run_snapshot)
        self._last_run_scatter = run_scatter
        before = self._active_at_start
        if model is not None and root is not None and is_model_folder(model):
            if before is None or not is_model_folder(before):
                self._store_choice(root, model)
                self._active_scatter = run_scatter
                self._set_active(model, announce=True)
                self._note(f"{model.name} is now the active model "
                           "(no model was active before)")
            else:
                if chosen_model(root) is None:  # pin it: newer runs must not take over
                    self._store_choice(root, before)
                self._note(f"{model.name} is not active: the tester and the scatter "
                           f"keep using {before.name} (use 'Use the new model' or the "
                           "run list to switch)")
                self.use_new_button.setText(f"Use the new model ({model.name})")
                self.use_new_button.show()
        self._restore_active_scatter()
        self.refresh_runs()
        self._update_buttons()

    def use_model(self, model: Path) -> bool:
        """Make ``model`` the project's active model (stored in the project)."""
        root = self._project_root()
        if root is None or not is_model_folder(model):
            return False
        if not self._store_choice(root, model):
            return False
        if self._last_model is not None and model.resolve() == \
                self._last_model.resolve():  # fmt: skip
            self._active_scatter = self._last_run_scatter
        elif self.active is None or model.resolve() != self.active.resolve():
            self._active_scatter = None  # no projection of that model in memory
        self._set_active(model, announce=True)
        self.use_new_button.hide()
        self._restore_active_scatter()
        self.refresh_runs()
        return True

    def delete_model(self, model: Path) -> bool:
        """Delete a run's model folder from disk after asking; True if deleted."""
        root = self._project_root()
        if root is None or not is_model_folder(model):
            return False
        if self._run_open and self._active_at_start is not None and \
                model.resolve() == self._active_at_start.resolve():  # fmt: skip
            self.prompter.inform("Delete model",
                                 "This model is being trained further: stop the run "
                                 "first.")
            return False
        is_active = self.active is not None and model.resolve() == self.active.resolve()
        warning = ("\n\nIt is the active model: the newest remaining model becomes "
                   "active." if is_active else "")
        answer = self.prompter.choose(
            "Delete model", f"Delete the model {model} from disk? This cannot be "
            f"undone.{warning}", ["Delete", "Cancel"], "Cancel")
        if answer != "Delete":
            return False
        try:
            shutil.rmtree(model)
        except OSError as error:
            self.prompter.inform("Delete model", f"Could not delete {model}: {error}")
            self.refresh_runs()
            return False
        self._note(f"Deleted {model}")
        if is_active:
            self._store_choice(root, None)
            replacement = newest_model(root)
            if replacement is not None:
                self._store_choice(root, replacement)
            self._active_scatter = None
            self._set_active(replacement, announce=True)
            self._restore_active_scatter()
        if (
            self._last_model is not None
            and model.resolve() == self._last_model.resolve()
        ):
            self.use_new_button.hide()
        self.refresh_runs()
        return True

    def _on_use_new_clicked(self) -> None:
        if self._last_model is not None:
            self.use_model(self._last_model)

    def _store_choice(self, root: Path, model: Path | None) -> bool:
        try:
            set_active_model(root, model)
        except (OSError, ValueError) as error:
            self._note(f"Could not remember the active model: {error}")
            return False
        return True

    def _set_active(self, model: Path | None, *, announce: bool) -> None:
        self.active = model
        root = self._project_root()
        if model is None:
            self.active_label.setText("No active model: train one (Ctrl+T).")
        else:
            how = ("chosen" if root is not None and chosen_model(root) is not None
                   else "the newest finished run")
            self.active_label.setText(
                f"Active model ({how}): {model.name} — the tester and the scatter use "
                "it; a new run becomes active only if no model was or you choose it.")
            self.active_label.setToolTip(str(model))
        self._update_buttons()
        if announce:
            self.active_model_changed.emit(str(model) if model is not None else "")

    def _restore_active_scatter(self) -> None:
        """Show the active model's scatter (or nothing, if it is not in memory)."""
        if self._active_scatter is not None:
            self._show_scatter(*self._active_scatter)
        else:
            self.embedding_view.clear()
            self._snapshot = None

    def _show_scatter(self, event: EmbeddingsProjected,
                      snapshot: ProjectSnapshot | None) -> None:
        self._snapshot = snapshot
        self.embedding_view.show_projection(event)  # rare (~10 a run): not deferred

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        """Draw the curves of epochs that ended while another tab was shown."""
        super().showEvent(event)
        self._redraw()

    # -- overlays ---------------------------------------------------------------------
    def _on_overlays_changed(self) -> None:
        runs = self.runs_panel.ticked_runs()
        histories = [
            (_run_label(run), MetricsHistory.from_epoch_rows(run.epoch_metrics))
            for run in runs
        ]
        self.loss_chart.set_overlays(histories)
        self.metric_chart.set_overlays(histories)

    # -- scatter clicks ---------------------------------------------------------------
    def _on_point_clicked(self, index: int) -> None:
        """Re-emit a clicked point as the index of that example in the project now.

        The project may have changed since training: the example is looked up where
        it was, then by value; if it is gone, the status line says so.
        """
        snapshot, project = self._snapshot, self._session.project
        if (
            snapshot is None
            or project is None
            or not 0 <= index < len(snapshot.examples)
        ):
            return
        trained = snapshot.examples[index]
        current = project.examples
        if index < len(current) and current[index] == trained:
            self.example_activated.emit(index)
            return
        found = next(
            (i for i, example in enumerate(current) if example == trained), None
        )
        if found is None:
            self.status.setText(
                f"'{trained.text}' was edited or removed since training"
            )
            return
        self.example_activated.emit(found)

    def _example_text(self, index: int) -> str | None:
        """Return the text of example ``index`` of the shown scatter's snapshot."""
        snapshot = self._snapshot
        if snapshot is None or not 0 <= index < len(snapshot.examples):
            return None
        return snapshot.examples[index].text

    # -- internals --------------------------------------------------------------------
    def _project_root(self) -> Path | None:
        project = self._session.project
        return Path(project.root) if project is not None and project.root else None

    def _note(self, text: str) -> None:
        self.log.addItem(text)
        self.log.scrollToBottom()

    def _show_speed(self, event: EpochCompleted) -> None:
        if event.elapsed_seconds > 0:
            rate = event.epoch / event.elapsed_seconds
            self.speed.setText(f"{rate:.2f} epochs/s · ETA "
                               f"{format_eta(event.eta_seconds)}")

    def _schedule_redraw(self) -> None:
        # Hidden charts are drawn when shown: no GUI time (and GIL) spent on them.
        if self.isVisible() and not self._redraw_timer.isActive():
            self._redraw_timer.start(REDRAW_MS)

    def _redraw(self) -> None:
        """Draw every curve now (the end of a run, a tab shown)."""
        self._redraw_timer.stop()
        self.loss_chart.redraw(self.history)
        self.metric_chart.redraw(self.history)

    def _redraw_some(self) -> None:
        """The timer's redraw: new curves two per chart and turn, the rest next turn."""
        done = self.loss_chart.redraw(self.history, NEW_CURVES_PER_TURN)
        done = self.metric_chart.redraw(self.history, NEW_CURVES_PER_TURN) and done
        if not done:
            self._redraw_timer.start(0)


def _run_label(run: RunRecord) -> str:
    return f"run {run.id}"


def _failure_text(message: str) -> str:
    return (f"{message}\n\nThe project and your edits are unchanged; fix the cause "
            "and train again.")


def _format(values: Mapping[str, float]) -> str:
    """Return ``"i_acc 0.950 e_f1 0.800"`` for a mapping of metric values."""
    return " ".join(f"{name} {value:.3f}" for name, value in values.items())
