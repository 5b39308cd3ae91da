"""ExamplesView: the filter bar, the example table and the example editor below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.example_query import FIELDS, ExampleQuery
from workbench.qt.models.example_filter_model import ExampleFilterModel
from workbench.qt.models.example_table_model import (
    CONFIDENCE_COLUMN,
    ENTITIES_COLUMN,
    ENTITY_CHECK_COLUMN,
    INTENT_COLUMN,
    MARGIN_COLUMN,
    PREDICTED_COLUMN,
    PREDICTION_COLUMNS,
    SOURCE_COLUMN,
    TEXT_COLUMN,
    ExampleTableModel,
)
from workbench.qt.palette import EntityPalette
from workbench.qt.views.example_editor_view import ExampleEditorView
from workbench.qt.widgets.span_delegate import SpanTextDelegate

if TYPE_CHECKING:
    from workbench.qt.session import ProjectSession

_FILTER_DELAY_MS = 120  # wait for a pause in typing before filtering large projects


class ExamplesView(QWidget):
    """Browse (filter, sort, multi-select) and edit examples.

    Signals:
        selection_changed(): the selected rows changed (enables move/delete actions).
        scope_requested(object): show this intent (the intent list should select it).
    """

    selection_changed = Signal()
    scope_requested = Signal(object)

    def __init__(
        self,
        session: ProjectSession,
        palette: EntityPalette,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ExamplesView")
        self._session = session
        self.table_model: ExampleTableModel | None = None
        self.filter_model = ExampleFilterModel(self)
        self._intent: str | None = None
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Search examples (Ctrl+F)…")
        self.filter_edit.setClearButtonEnabled(True)
        self.field_box = QComboBox(self)
        self.field_box.addItems(
            [f.capitalize() if f != "any" else "Anywhere" for f in FIELDS]
        )
        self.field_box.setToolTip(
            "Where to search: text, intent or entity (type or words)"
        )
        self.regex_box = QCheckBox("Regex", self)
        self.attention_box = QCheckBox("Wrong or unsure", self)
        self.attention_box.setToolTip(
            "Only the examples the model predicts wrongly (intent or entities) or "
            "with a margin (top-1 minus top-2 confidence) below the threshold, "
            "lowest margin first")
        self.margin_box = QDoubleSpinBox(self)
        self.margin_box.setRange(0.0, 1.0)
        self.margin_box.setSingleStep(0.05)
        self.margin_box.setValue(0.3)
        self.margin_box.setPrefix("margin < ")
        self.margin_box.setToolTip("Examples below this margin count as unsure")
        self.prediction_label = QLabel(self)
        self.prediction_label.setObjectName("predictionLabel")
        self.prediction_label.setStyleSheet("color: #555;")
        for widget in (self.attention_box, self.margin_box, self.prediction_label):
            widget.setVisible(False)  # shown once predictions exist
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        self.table = QTableView(self)
        self.table.setModel(self.filter_model)
        self.table.setItemDelegateForColumn(
            TEXT_COLUMN, SpanTextDelegate(palette, self.table)
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # File order until the user clicks a header (sorting column -1); clicking the
        # same header cycles ascending, descending, back to file order.
        header = self.table.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorClearable(True)
        self.table.setSortingEnabled(True)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._palette = palette
        self.editor: ExampleEditorView | None = None
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.field_box)
        bar.addWidget(self.regex_box)
        bar.addWidget(self.attention_box)
        bar.addWidget(self.margin_box)
        bar.addWidget(self.prediction_label)
        bar.addWidget(self.count_label)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("examplesSplitter")
        self.splitter.addWidget(top)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(self._schedule_filter)
        self.field_box.currentIndexChanged.connect(self._schedule_filter)
        self.regex_box.toggled.connect(self._schedule_filter)
        self.attention_box.toggled.connect(self._on_attention_toggled)
        self.margin_box.valueChanged.connect(self._schedule_filter)
        self.filter_model.modelReset.connect(self._update_count)
        self.filter_model.rowsInserted.connect(self._update_count)
        self.filter_model.rowsRemoved.connect(self._update_count)
        self.table.selectionModel().currentRowChanged.connect(
            self._on_table_current_row_changed
        )
        self.table.selectionModel().selectionChanged.connect(
            self._on_table_selection_changed
        )

    # -- project ----------------------------------------------------------------------
    def set_table_model(self, model: ExampleTableModel) -> None:
        """Show a (new) project's examples.

        The old project's editor is released first (its row and any draft are
        dropped: ``MainWindow`` commits or discards the draft before switching), so
        that the selection change below never reaches it.
        """
        old_model, old_editor = self.table_model, self.editor
        if old_editor is not None:
            self.editor = None
            old_editor.release()
            old_editor.hide()
            old_editor.setParent(None)
            old_editor.deleteLater()
        self._intent = None  # the old project's intent scope does not apply
        self.table_model = model
        self.filter_model.setSourceModel(model)
        self.editor = ExampleEditorView(
            self._session, model, self._palette, self.splitter
        )
        self.editor.next_requested.connect(self.go_next)
        self.splitter.addWidget(self.editor)
        self.splitter.setSizes([420, 260])
        if old_model is not None:
            old_model.detach()
            old_model.deleteLater()
        self._size_columns()
        self.set_evaluation(None)
        self.apply_filter()
        if self.filter_model.rowCount():
            self.select_proxy_row(0)

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(TEXT_COLUMN, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (INTENT_COLUMN, 160), (ENTITIES_COLUMN, 150), (SOURCE_COLUMN, 120)
        ):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        for column, width in ((PREDICTED_COLUMN, 120), (CONFIDENCE_COLUMN, 76),
                              (MARGIN_COLUMN, 64), (ENTITY_CHECK_COLUMN, 180)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)

    # -- predictions ------------------------------------------------------------------
    def set_evaluation(self, evaluation: object) -> None:
        """Show each example's predicted intent, confidence, margin and entity
        mistakes from ``evaluation`` (an ``ExampleEvaluation``; ``None`` hides them).

        Rows are matched by object identity: an example edited since shows as stale.
        """
        if self.table_model is not None:
            self.table_model.set_evaluation(evaluation)
        shown = evaluation is not None
        for column in PREDICTION_COLUMNS:
            self.table.setColumnHidden(column, not shown)
        # Eight columns do not fit: the text keeps a readable width and the table
        # scrolls sideways; without predictions the text stretches as before.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(TEXT_COLUMN, QHeaderView.ResizeMode.Interactive
                                    if shown else QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(shown)
        if shown:
            header.resizeSection(TEXT_COLUMN, 240)
        for widget in (self.attention_box, self.margin_box, self.prediction_label):
            widget.setVisible(shown)
        if shown:
            from workbench.qt.views.evaluation_view import honesty

            source = str(getattr(evaluation, "source", ""))
            self.prediction_label.setText("Confidences: " + (
                "cross-validation (honest)" if source.startswith("cross-validation")
                else "training data (optimistic)"))
            self.prediction_label.setToolTip(honesty(source))
        elif self.attention_box.isChecked():
            self.attention_box.setChecked(False)
        if shown and self.query().wrong_or_unsure:
            self.apply_filter()

    def _on_attention_toggled(self, checked: bool) -> None:
        if checked:  # lowest margin first: drop a header sort
            self.table.horizontalHeader().setSortIndicator(
                -1, Qt.SortOrder.AscendingOrder)
        self.apply_filter()

    def discard_draft(self) -> None:
        """Drop the editor's uncommitted text edit (the user discarded changes)."""
        if self.editor is not None:
            self.editor.discard_draft()

    # -- filtering --------------------------------------------------------------------
    def query(self) -> ExampleQuery:
        """The query the filter bar describes."""
        return ExampleQuery(
            text=self.filter_edit.text(),
            field=FIELDS[self.field_box.currentIndex()],
            regex=self.regex_box.isChecked(),
            intent=self._intent,
            wrong_or_unsure=self.attention_box.isChecked(),
            margin_below=self.margin_box.value(),
        )

    def set_intent_scope(self, intent: str | None) -> None:
        """Show only ``intent`` (``None``: all intents)."""
        self._intent = intent
        self.apply_filter()

    def _schedule_filter(self) -> None:
        self._filter_timer.start(_FILTER_DELAY_MS)

    def apply_filter(self) -> None:
        """Filter now, keeping the current example selected when it still matches."""
        self._filter_timer.stop()
        current = self.editor.current_row() if self.editor else None
        try:
            self.filter_model.set_query(self.query())
        except ValueError as error:
            self.filter_edit.setStyleSheet("QLineEdit { background: #ffe0e0; }")
            self.filter_edit.setToolTip(str(error))
            return
        self.filter_edit.setStyleSheet("")
        self.filter_edit.setToolTip("")
        if current is not None and self.table_model is not None:
            index = self.filter_model.mapFromSource(self.table_model.index(current, 0))
            if index.isValid():
                self.select_proxy_row(index.row())
                return
        if self.filter_model.rowCount():
            self.select_proxy_row(0)
        elif self.editor is not None:
            self.editor.show_row(None)

    def _update_count(self) -> None:
        total = len(self.table_model.examples) if self.table_model else 0
        shown = self.filter_model.rowCount()
        self.count_label.setText(
            f"{shown} of {total}" if shown != total else f"{total} examples"
        )

    # -- selection --------------------------------------------------------------------
    def select_proxy_row(self, row: int) -> None:
        """Make the visible row ``row`` current (and the only one selected)."""
        index = self.filter_model.index(row, TEXT_COLUMN)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def select_example(self, source_row: int) -> bool:
        """Show the example at project index ``source_row`` (unfiltering if needed)."""
        if self.table_model is None or not 0 <= source_row < len(
            self.table_model.examples
        ):
            return False
        index = self.filter_model.mapFromSource(self.table_model.index(source_row, 0))
        if not index.isValid():  # hidden by the filter: show its intent, unfiltered
            self.filter_edit.blockSignals(True)
            self.filter_edit.clear()
            self.filter_edit.blockSignals(False)
            intent = self.table_model.examples[source_row].intent
            if self._intent is not None and self._intent != intent:
                self.scope_requested.emit(intent)  # the intent list re-scopes us
            index = self.filter_model.mapFromSource(
                self.table_model.index(source_row, 0)
            )
            if not index.isValid():
                self._intent = None
                self.apply_filter()
                index = self.filter_model.mapFromSource(
                    self.table_model.index(source_row, 0)
                )
        self.select_proxy_row(index.row())
        return True

    def select_examples(self, source_rows: list[int]) -> int:
        """Add the visible examples at these project indices to the selection.

        Returns how many are selected (rows hidden by the filter are skipped).
        """
        if self.table_model is None:
            return 0
        selection = QItemSelection()
        for row in source_rows:
            if not 0 <= row < len(self.table_model.examples):
                continue
            index = self.filter_model.mapFromSource(self.table_model.index(row, 0))
            if index.isValid():
                selection.select(index, index)
        self.table.selectionModel().select(
            selection,
            QItemSelectionModel.SelectionFlag.Select
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        return len(self.table.selectionModel().selectedRows())

    def selected_rows(self) -> list[int]:
        """Project indices of the selected examples, ascending."""
        rows = self.table.selectionModel().selectedRows()
        return sorted(self.filter_model.mapToSource(i).row() for i in rows)

    def go_next(self) -> None:
        """Move to the next visible example."""
        row = self.table.currentIndex().row()
        if row + 1 < self.filter_model.rowCount():
            self.select_proxy_row(row + 1)

    def go_previous(self) -> None:
        """Move to the previous visible example."""
        row = self.table.currentIndex().row()
        if row > 0:
            self.select_proxy_row(row - 1)

    def _on_table_current_row_changed(
        self, current: QModelIndex, _previous: QModelIndex
    ) -> None:
        if self.editor is None:
            return
        source = self.filter_model.mapToSource(current)
        self.editor.show_row(source.row() if source.isValid() else None)

    def _on_table_selection_changed(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        self.selection_changed.emit()
