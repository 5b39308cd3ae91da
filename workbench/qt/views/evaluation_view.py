"""EvaluationView: every evaluation figure as a way into the examples behind it.

Evaluate the active model on the training data or a chosen test file, or run a
cross-validation (in :class:`EvaluationWorker`, with progress and Stop). The result
shows an intent report (precision, recall, F1, support; sortable), the entity reports
(token-level as Rasa computes it, per ``entity[.group][.role]`` label, and exact-span
per entity type), the confusion matrix (a click lists the examples of a cell, a
double-click opens one in the editor), the histogram of confidences for correct and
wrong predictions and the list of errors. Export as JSON or PNG.

Predictions hold the very ``Example`` objects evaluated: opening one looks it up in
the project by identity, so an example edited or removed since is reported as such,
never confused with another example of the same text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.qt.widgets.confidence_histogram import ConfidenceHistogram
from workbench.qt.widgets.confusion_heatmap import ConfusionHeatmap
from workbench.qt.workers.evaluation_worker import (
    CROSS_VALIDATION,
    TEST_FILE,
    TRAINING,
    EvaluationJob,
    EvaluationWorker,
)
from workbench.training.active_model import active_model

if TYPE_CHECKING:
    from workbench.qt.session import ProjectSession

PREDICTION_ROLE = Qt.ItemDataRole.UserRole + 40
_SORT_ROLE = Qt.ItemDataRole.UserRole + 41
_AVERAGES = ("macro avg", "weighted avg", "micro avg")


def honesty(source: str) -> str:
    """Say how far the figures of ``source`` can be trusted."""
    if source.startswith("cross-validation"):
        return (
            f"{source} (honest: every example predicted by a model that never saw it)"
        )
    if source == "training data":
        return "training data (optimistic: the model has seen these examples)"
    return source


class _Item(QTableWidgetItem):
    """A read-only cell that sorts by a number (or text) key."""

    def __init__(self, text: str, key: Any = None) -> None:
        super().__init__(text)
        self.setData(_SORT_ROLE, text.lower() if key is None else key)
        self.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)

    def __lt__(self, other: QTableWidgetItem) -> bool:  # type: ignore[override]
        mine, theirs = self.data(_SORT_ROLE), other.data(_SORT_ROLE)
        try:
            return bool(mine < theirs)
        except TypeError:
            return str(mine) < str(theirs)


def _table(parent: QWidget, headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(22)
    table.setWordWrap(False)
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return table


def _fill(table: QTableWidget, rows: list[list[_Item]]) -> None:
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, items in enumerate(rows):
        for c, item in enumerate(items):
            table.setItem(r, c, item)
    table.setSortingEnabled(True)


def _num(value: float, digits: int = 3) -> _Item:
    return _Item(f"{value:.{digits}f}", float(value))


def _report_rows(report: dict[str, Any], with_confusion: bool) -> list[list[_Item]]:
    rows = []
    for name, row in report.items():
        if not isinstance(row, dict) or name in _AVERAGES:
            continue  # averages are in the summary line: they would sort in between
        items = [_Item(name), _num(row.get("precision", 0.0)),
                 _num(row.get("recall", 0.0)), _num(row.get("f1-score", 0.0)),
                 _Item(str(int(row.get("support", 0))), int(row.get("support", 0)))]
        if with_confusion:
            confused = row.get("confused_with") or {}
            items.append(_Item(", ".join(f"{k} ({v})" for k, v in confused.items())))
        rows.append(items)
    return rows


def prediction_rows(predictions: Sequence[Any], *, mistakes: bool) -> list[list[_Item]]:
    """Rows (text, true, predicted, confidence, margin[, entity mistakes])."""
    rows = []
    for p in predictions:
        text = _Item(p.example.text)
        text.setData(PREDICTION_ROLE, p)
        text.setToolTip(p.example.markup)
        predicted = _Item(p.predicted_intent or "(none)")
        if not p.correct:
            predicted.setForeground(QColor("#c62828"))
        items = [text, _Item(p.example.intent), predicted, _num(p.confidence),
                 _num(p.margin)]
        if mistakes:
            found = "; ".join(p.entity_mistakes)
            items.append(_Item(found))
            items[-1].setToolTip(found)
        rows.append(items)
    return rows


class EvaluationView(QWidget):
    """The Evaluate tab.

    Signals:
        evaluated(object): an ``ExampleEvaluation`` finished (any source).
        predictions_ready(object): one of the project's own examples (training data
            or cross-validation): the examples table shows its confidences.
        insights_ready(object): list of ``Issue`` (insights) for the problems panel.
        example_activated(int): open the example at this project index.
        message(str): for the status bar.
    """

    evaluated = Signal(object)
    predictions_ready = Signal(object)
    insights_ready = Signal(object)
    example_activated = Signal(int)
    message = Signal(str)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EvaluationView")
        self._session = session
        self.evaluation: Any = None
        self.insights: list[Any] = []
        self._auto_pending = False
        self._ignore_results = False  # results of a job of the previous project
        self.worker = EvaluationWorker(self)
        self._build()
        self.training_button.clicked.connect(lambda: self.evaluate_training_data())
        self.test_button.clicked.connect(lambda: self.choose_test_file())
        self.cv_button.clicked.connect(lambda: self.cross_validate())
        self.stop_button.clicked.connect(self.worker.request_stop)
        self.json_button.clicked.connect(lambda: self.choose_export("json"))
        self.png_button.clicked.connect(lambda: self.choose_export("png"))
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(lambda: self._set_status("Stopped: nothing "
                                                               "was changed"))
        self.worker.stopped.connect(self._on_worker_stopped)
        self.heatmap.cell_clicked.connect(self._show_cell)
        self.heatmap.cell_activated.connect(self._open_cell)
        for table in (self.cell_table, self.errors_table):
            table.doubleClicked.connect(
                lambda index, t=table: self._open_row(t, index.row()))
        session.history.edited.connect(self.refresh_insights)
        self._update_buttons()

    # -- construction -----------------------------------------------------------------
    def _build(self) -> None:
        self.training_button = QPushButton("Evaluate on training data", self)
        self.training_button.setToolTip(
            "Predict every example with the active model (optimistic: it has seen "
            "them)")
        self.test_button = QPushButton("Evaluate a test file…", self)
        self.test_button.setToolTip("Evaluate the active model on a Rasa NLU file it "
                                    "was not trained on")
        self.folds_box = QSpinBox(self)
        self.folds_box.setRange(2, 20)
        self.folds_box.setValue(5)
        self.folds_box.setPrefix("folds: ")
        self.cv_button = QPushButton("Cross-validate", self)
        self.cv_button.setToolTip("Train one model per fold; every example is "
                                  "predicted by a model that never saw it (honest)")
        self.stop_button = QPushButton("Stop", self)
        self.progress = QProgressBar(self)
        self.json_button = QPushButton("Export JSON…", self)
        self.png_button = QPushButton("Export PNG…", self)
        self.status = QLabel("No evaluation yet: evaluate the active model or run a "
                             "cross-validation.", self)
        self.status.setWordWrap(True)
        self.summary = QLabel("", self)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.intent_table = _table(self, ("Intent", "Precision", "Recall", "F1",
                                          "Support", "Confused with"))
        self.entity_table = _table(self, ("Label (token-level)", "Precision", "Recall",
                                          "F1", "Support"))
        self.span_table = _table(self, ("Entity type (exact span)", "Precision",
                                        "Recall", "F1", "Support"))
        self.errors_table = _table(self, ("Text", "True", "Predicted", "Confidence",
                                          "Margin", "Entity mistakes"))
        self.cell_table = _table(self, ("Text", "True", "Predicted", "Confidence",
                                        "Margin"))
        self.cell_label = QLabel("Click a cell of the matrix to list its examples.",
                                 self)
        self.heatmap = ConfusionHeatmap(self)
        self.histogram = ConfidenceHistogram(self)
        entities = QSplitter(Qt.Orientation.Vertical, self)
        entities.addWidget(self.entity_table)
        entities.addWidget(self.span_table)
        self.report_tabs = QTabWidget(self)
        self.report_tabs.addTab(self.intent_table, "Intents")
        self.report_tabs.addTab(entities, "Entities")
        self.report_tabs.addTab(self.errors_table, "Errors")
        self.report_tabs.addTab(self.histogram, "Confidence")
        cell_box = QWidget(self)
        cell_layout = QVBoxLayout(cell_box)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        cell_layout.addWidget(self.cell_label)
        cell_layout.addWidget(self.cell_table, 1)
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.heatmap)
        right.addWidget(cell_box)
        right.setSizes([420, 200])
        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.report_tabs)
        self.splitter.addWidget(right)
        self.splitter.setSizes([560, 560])
        top = QHBoxLayout()
        for widget in (self.training_button, self.test_button, self.folds_box,
                       self.cv_button, self.stop_button):
            top.addWidget(widget)
        top.addWidget(self.progress, 1)
        top.addWidget(self.json_button)
        top.addWidget(self.png_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)

    # -- starting work ----------------------------------------------------------------
    def _model(self) -> Path | None:
        project = self._session.project
        if project is None or not project.root:
            return None
        return active_model(Path(project.root))

    def _start(self, job: EvaluationJob, what: str) -> bool:
        if self.worker.is_running():
            self._set_status("An evaluation is running: stop it first.")
            return False
        if not self.worker.start(job):
            return False
        self._ignore_results = False
        self.progress.setRange(0, 0)
        self._set_status(f"{what}…")
        self._update_buttons()
        return True

    def evaluate_training_data(self) -> bool:
        """Predict every project example with the active model."""
        project, model = self._session.project, self._model()
        if project is None:
            return False
        if model is None:
            self._set_status("No active model: train one first (Ctrl+T).")
            return False
        return self._start(EvaluationJob(TRAINING, str(model),
                                         examples=project.examples.to_tuple()),
                           f"Predicting {len(project.examples)} examples with "
                           f"{model.name}")

    def choose_test_file(self) -> bool:
        """Ask for a test file and evaluate the active model on it."""
        name, _ = QFileDialog.getOpenFileName(self, "Test file (Rasa NLU YAML)", "",
                                              "YAML (*.yml *.yaml)")
        return self.evaluate_test_file(Path(name)) if name else False

    def evaluate_test_file(self, path: Path) -> bool:
        """Evaluate the active model on the NLU file ``path``."""
        model = self._model()
        if model is None:
            self._set_status("No active model: train one first (Ctrl+T).")
            return False
        return self._start(EvaluationJob(TEST_FILE, str(model), test_path=str(path)),
                           f"Evaluating {model.name} on {path.name}")

    def cross_validate(self, folds: int | None = None, epochs: int | None = None
                       ) -> bool:
        """Cross-validate the project as it is now (unsaved edits included)."""
        project = self._session.project
        if project is None:
            return False
        folds = folds or self.folds_box.value()
        return self._start(EvaluationJob(CROSS_VALIDATION, snapshot=project.snapshot(),
                                         folds=folds, epochs=epochs,
                                         project_dir=str(project.root)),
                           f"Cross-validating with {folds} folds")

    def model_changed(self, path: str) -> None:
        """The active model changed: predict the training data with it (for the
        examples table), now or after the running job."""
        if not path or self._session.project is None:
            return
        if self.worker.is_running():
            self._auto_pending = True
            return
        self.evaluate_training_data()

    def forget(self) -> None:
        """Another project was opened: stop, and drop what belonged to the old one."""
        self._auto_pending = False
        self.worker.stop_and_wait()
        self._ignore_results = True  # its last signals may still be queued
        self.evaluation = None
        self.insights = []
        for table in (self.intent_table, self.entity_table, self.span_table,
                      self.errors_table, self.cell_table):
            table.setRowCount(0)
        self.heatmap.set_predictions(())
        self.histogram.set_predictions(())
        self.summary.setText("")
        self.insights_ready.emit([])
        self._set_status("No evaluation yet: evaluate the active model or run a "
                         "cross-validation.")
        self._update_buttons()

    def shutdown(self, msecs: int = 30000) -> bool:
        """The window closes: stop the job and wait for its thread."""
        self._auto_pending = False
        return self.worker.stop_and_wait(msecs)

    # -- showing a result -------------------------------------------------------------
    def show_evaluation(self, evaluation: Any) -> None:
        """Show ``evaluation`` (an ``ExampleEvaluation``) in every part of the view."""
        self.evaluation = evaluation
        report = evaluation.report
        predictions = evaluation.predictions
        _fill(self.intent_table, _report_rows(report.intent_report, True))
        self.intent_table.sortItems(3, Qt.SortOrder.AscendingOrder)
        _fill(self.entity_table, _report_rows(report.entity_report, False))
        span = report.entity_span or {}
        _fill(self.span_table, _report_rows(
            {name: {**row, "f1-score": row.get("f1", 0.0)}
             for name, row in span.get("per_entity", {}).items()}, False))
        errors = evaluation.errors()
        _fill(self.errors_table, prediction_rows(errors, mistakes=True))
        self.errors_table.sortItems(3, Qt.SortOrder.DescendingOrder)
        self.report_tabs.setTabText(2, f"Errors ({len(errors)})")
        self.heatmap.set_predictions(predictions)
        self.histogram.set_predictions(predictions)
        self.cell_table.setRowCount(0)
        self.cell_label.setText("Click a cell of the matrix to list its examples.")
        s = report.summary()
        folds = (f" · {len(evaluation.fold_reports)} fold reports"
                 if evaluation.fold_reports else "")
        model = Path(evaluation.model_path).name if evaluation.model_path else ""
        self.summary.setText(
            f"<b>{honesty(evaluation.source)}</b>{' · model ' + model if model else ''}"
            f"<br>{s['n_examples']} examples · intent accuracy "
            f"{s['intent_accuracy']:.3f} · macro F1 {s['intent_macro_f1']:.3f} · "
            f"weighted F1 {s['intent_weighted_f1']:.3f} · entity F1 token "
            f"{s['entity_token_f1']:.3f} / exact span {s['entity_span_f1']:.3f}{folds}")
        self._set_status(f"Evaluated: {len(errors)} of {len(predictions)} examples "
                         "have a wrong intent or entity.")
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.evaluated.emit(evaluation)
        if not evaluation.source.startswith("test file"):
            self.predictions_ready.emit(evaluation)
        self.refresh_insights()

    def refresh_insights(self) -> None:
        """Recompute the insights against the project as it is now."""
        from workbench.nlu.insights import insights

        project = self._session.project
        if self.evaluation is None or project is None:
            self.insights = []
        else:
            where = {id(e): i for i, e in enumerate(project.examples)}
            examples = project.examples

            def index_of(example: Any) -> int | None:
                i = where.get(id(example))
                return i if i is not None and examples[i] is example else None

            counts: dict[str, int] = {}
            for example in examples:
                base = example.base_intent
                counts[base] = counts.get(base, 0) + 1
            self.insights = insights(self.evaluation, index_of=index_of,
                                     training_counts=counts)
        self.insights_ready.emit(list(self.insights))

    def show_confusion(self, first: str, second: str) -> bool:
        """Show the cell of ``first`` predicted as ``second`` (or the reverse)."""
        if self.evaluation is None:
            return False
        cells = self.heatmap._cells  # noqa: SLF001 - same package
        true, predicted = ((first, second) if cells.count(first, second)
                           or not cells.count(second, first) else (second, first))
        return self.heatmap.select_cell(true, predicted)

    # -- cells and rows ---------------------------------------------------------------
    def _show_cell(self, true: str, predicted: str, predictions: list[Any]) -> None:
        _fill(self.cell_table, prediction_rows(predictions, mistakes=False))
        self.cell_label.setText(f"True {true} predicted as {predicted}: "
                                f"{len(predictions)} example(s) (double-click opens)")

    def cell_predictions(self) -> list[Any]:
        """The predictions listed for the clicked cell, in display order."""
        return [self.cell_table.item(r, 0).data(PREDICTION_ROLE)
                for r in range(self.cell_table.rowCount())]

    def _open_cell(self, true: str, predicted: str, predictions: list[Any]) -> None:
        self._show_cell(true, predicted, predictions)
        if predictions:
            self.open_prediction(predictions[0])

    def _open_row(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        if item is not None:
            self.open_prediction(item.data(PREDICTION_ROLE))

    def open_prediction(self, prediction: Any) -> bool:
        """Open the evaluated example in the editor (found by identity)."""
        project = self._session.project
        if project is None or prediction is None:
            return False
        example = prediction.example
        index = next((i for i, e in enumerate(project.examples) if e is example), None)
        if index is None:
            where = ""
            if self.evaluation is not None and \
                    self.evaluation.source.startswith("test file"):  # fmt: skip
                where = " (it is in the test file, not in the project)"
            else:
                where = " (edited or removed since the evaluation)"
            self.message.emit(f"“{example.text}” is not in the project{where}")
            return False
        self.example_activated.emit(index)
        return True

    # -- export -----------------------------------------------------------------------
    def choose_export(self, kind: str) -> bool:
        """Ask where to export (``json`` or ``png``) and write it."""
        if self.evaluation is None:
            self._set_status("Nothing to export yet: run an evaluation first.")
            return False
        pattern = "JSON (*.json)" if kind == "json" else "PNG image (*.png)"
        name, _ = QFileDialog.getSaveFileName(self, f"Export evaluation as {kind}",
                                              f"evaluation.{kind}", pattern)
        if not name:
            return False
        return self.export_json(Path(name)) if kind == "json" \
            else self.export_png(Path(name))

    def export_json(self, path: Path) -> bool:
        """Write the evaluation (report + every prediction) as JSON, atomically."""
        from workbench.core.yaml_io.atomic import FileWrite, commit_files

        if self.evaluation is None:
            return False
        text = json.dumps(self.evaluation.to_json(), indent=2, ensure_ascii=False)
        try:
            commit_files([FileWrite(path, text + "\n", create=not path.exists())])
        except OSError as error:
            self._set_status(f"Not exported: {error}")
            return False
        self.message.emit(f"Exported the evaluation to {path}")
        return True

    def export_png(self, path: Path) -> bool:
        """Save a picture of the view (reports, matrix and lists) as PNG."""
        if not self.grab().save(str(path), "PNG"):
            self._set_status(f"Not exported: could not write {path}")
            return False
        self.message.emit(f"Saved a picture of the evaluation to {path}")
        return True

    # -- worker feedback --------------------------------------------------------------
    def _on_finished(self, evaluation: Any) -> None:
        if not self._ignore_results:
            self.show_evaluation(evaluation)

    def _on_progress(self, done: int, total: int, what: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, 0)
        if what:
            counted = total and not what.startswith(("fold", "cross"))
            self._set_status(f"{what}: {done}/{total}" if counted else what)

    def _on_failed(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._set_status(f"Evaluation failed: {message}")
        self.message.emit(f"Evaluation failed: {message.splitlines()[0]}")

    def _on_worker_stopped(self) -> None:
        self._update_buttons()
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        if self._auto_pending:
            self._auto_pending = False
            self.evaluate_training_data()

    def _update_buttons(self) -> None:
        running = self.worker.is_running()
        has_project = self._session.project is not None
        for button in (self.training_button, self.test_button, self.cv_button):
            button.setEnabled(has_project and not running)
        self.stop_button.setEnabled(running)

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
