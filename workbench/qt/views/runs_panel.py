"""RunsPanel: the project's training runs, to compare, overlay and pick the active one.

Rows come from ``PROJECT/.workbench/runs.db`` (:class:`RunHistory`), newest first: when,
status, epochs, wall time, device, final metrics, what changed since the previous run
(data and settings fingerprints compared) and whether the run's model is the active
one. Ticking a row overlays its curves on the charts; "Use as active model" and
"Delete model…" act on the selected row. The panel only reads the history; the Train
tab does what the buttons ask (it owns the active model and the prompter).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.training.active_model import is_model_folder
from workbench.training.run_history import RunHistory, RunRecord

COLUMNS = ("Overlay", "When", "Status", "Epochs", "Changed since previous",
           "Intent acc", "Entity F1", "Time", "Device", "Model")
OVERLAY, STATUS, CHANGED, MODEL = 0, 2, 4, len(COLUMNS) - 1


def load_runs(project_dir: Path | None) -> tuple[list[RunRecord], str]:
    """Return the project's runs (oldest first) and a problem message ("" if none).

    A project that never trained has no ``runs.db``: nothing is created to list it.
    """
    if project_dir is None:
        return [], ""
    path = Path(project_dir) / ".workbench" / "runs.db"
    if not path.exists():
        return [], ""
    try:
        history = RunHistory(path)
        return history.runs(), history.notice or ""
    except Exception as error:  # noqa: BLE001 - the list is informative only
        return [], f"Run history not readable: {error}"


def changes_since(previous: RunRecord | None, run: RunRecord) -> str:
    """Say what differs from the previous run: data, settings, a finetune start."""
    parts = []
    if run.finetune_from:
        parts.append(f"continued from {Path(run.finetune_from).name}")
    if previous is None:
        parts.append("first run")
    else:
        if run.data_fingerprint != previous.data_fingerprint:
            parts.append("data changed")
        if run.config_fingerprint != previous.config_fingerprint:
            parts.append("settings changed")
        if run.epochs != previous.epochs:
            parts.append(f"epochs {previous.epochs} → {run.epochs}")
        if run.device != previous.device:
            parts.append(f"device {previous.device} → {run.device}")
        if len(parts) == (1 if run.finetune_from else 0):
            parts.append("same data and settings")
    return ", ".join(parts)


def _metric(run: RunRecord, name: str) -> str:
    """Final training value, with the held-out one when there is one."""
    final = run.final_metrics.get(name)
    held = run.final_metrics.get(f"val_{name}", run.evaluation.get(f"val_{name}"))
    if not isinstance(final, (int, float)):
        return ""
    text = f"{final:.3f}"
    if isinstance(held, (int, float)):
        text += f" (held-out {held:.3f})"
    return text


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}" if minutes else f"{seconds:.1f} s"


class RunsPanel(QWidget):
    """Table of runs with overlay ticks and model actions.

    Signals:
        overlays_changed(): the set of ticked runs changed (read :meth:`ticked_runs`).
        activate_requested(str): use this model path as the active model.
        delete_requested(str): delete this run's model folder (after confirmation).
    """

    overlays_changed = Signal()
    activate_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RunsPanel")
        self.runs: list[RunRecord] = []  # newest first, as shown
        self.active_path: Path | None = None
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.activate_button = QPushButton("Use as active model", self)
        self.activate_button.setToolTip(
            "The tester, the scatter and evaluation use the active model")
        self.delete_button = QPushButton("Delete model…", self)
        self.delete_button.setToolTip("Delete the selected run's model from disk")
        self.note = QLabel("", self)
        self.note.setStyleSheet("color: #666;")
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Runs (tick to overlay):", self))
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.activate_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.activate_button.clicked.connect(self._on_activate_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self._filling = False
        self._update_buttons()

    def show_runs(self, runs: Sequence[RunRecord], active: Path | None,
                  problem: str = "") -> None:
        """Fill the table (``runs`` oldest first); ticks of runs still listed stay."""
        ticked = {run.id for run in self.ticked_runs()}
        selected = self.selected_run()
        self.active_path = active
        previous: dict[str, RunRecord | None] = {}
        last = None
        for run in runs:
            previous[run.id] = last
            last = run
        self.runs = list(reversed(runs))
        self._filling = True
        try:
            self.table.setRowCount(len(self.runs))
            for row, run in enumerate(self.runs):
                self._fill_row(row, run, previous[run.id], run.id in ticked)
        finally:
            self._filling = False
        if selected is not None:
            for row, run in enumerate(self.runs):
                if run.id == selected.id:
                    self.table.selectRow(row)
        self.note.setText(problem or ("" if runs else "no runs yet"))
        self._update_buttons()
        if ticked != {run.id for run in self.ticked_runs()}:
            self.overlays_changed.emit()

    def ticked_runs(self) -> list[RunRecord]:
        """Runs whose overlay box is ticked."""
        ticked = []
        for row, run in enumerate(self.runs):
            item = self.table.item(row, OVERLAY)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                ticked.append(run)
        return ticked

    def set_ticked(self, run_id: str, ticked: bool = True) -> None:
        """Tick (or untick) the overlay box of run ``run_id``."""
        for row, run in enumerate(self.runs):
            if run.id == run_id:
                state = Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
                self.table.item(row, OVERLAY).setCheckState(state)

    def selected_run(self) -> RunRecord | None:
        """The run of the selected row, or None."""
        rows = {index.row() for index in self.table.selectedIndexes()}
        if len(rows) != 1:
            return None
        row = rows.pop()
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def select_run(self, run_id: str) -> None:
        """Select the row of run ``run_id``."""
        for row, run in enumerate(self.runs):
            if run.id == run_id:
                self.table.selectRow(row)

    # -- internals --------------------------------------------------------------------
    def _fill_row(self, row: int, run: RunRecord, previous: RunRecord | None,
                  ticked: bool) -> None:
        model = Path(run.model_path) if run.model_path else None
        has_model = model is not None and is_model_folder(model)
        is_active = has_model and self.active_path is not None and \
            model.resolve() == self.active_path.resolve()  # fmt: skip
        if model is None:
            model_text = ""
        elif not has_model:
            model_text = "(deleted)"
        else:
            model_text = ("● active: " if is_active else "") + model.name
        done = len(run.epoch_metrics)
        epochs = f"{done}/{run.epochs}" if run.epochs and done != run.epochs else \
            str(run.epochs or done)  # fmt: skip
        values = (
            "", time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started)),
            run.status, epochs, changes_since(previous, run), _metric(run, "i_acc"),
            _metric(run, "e_f1"), _duration(run.wall_seconds), run.device or "",
            model_text,
        )
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if column == MODEL and model is not None:
                item.setToolTip(str(model))
            if column == OVERLAY:
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable
                              | Qt.ItemFlag.ItemIsEnabled
                              | Qt.ItemFlag.ItemIsSelectable)  # fmt: skip
                item.setCheckState(Qt.CheckState.Checked if ticked
                                   else Qt.CheckState.Unchecked)  # fmt: skip
                item.setToolTip("Overlay this run's curves on the charts")
            if column == STATUS and run.message:
                item.setToolTip(run.message)
            if is_active:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, column, item)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if not self._filling and item.column() == OVERLAY:
            self.overlays_changed.emit()

    def _selected_model(self) -> Path | None:
        run = self.selected_run()
        if run is None or not run.model_path:
            return None
        path = Path(run.model_path)
        return path if is_model_folder(path) else None

    def _update_buttons(self) -> None:
        model = self._selected_model()
        active = self.active_path is not None and model is not None and \
            model.resolve() == self.active_path.resolve()  # fmt: skip
        self.activate_button.setEnabled(model is not None and not active)
        self.delete_button.setEnabled(model is not None)

    def _on_activate_clicked(self) -> None:
        model = self._selected_model()
        if model is not None:
            self.activate_requested.emit(str(model))

    def _on_delete_clicked(self) -> None:
        model = self._selected_model()
        if model is not None:
            self.delete_requested.emit(str(model))
