"""IntentPanel: the intent list with counts, a name filter and intent buttons."""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.qt.models.intent_list_model import INTENT_ROLE, IntentTableModel
from workbench.qt.models.roles import SORT_ROLE


class _IntentFilterModel(QSortFilterProxyModel):
    """Filter intents by name, always keeping the "All intents" row."""

    def filterAcceptsRow(  # noqa: N802
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if source_row == 0:
            return True
        return super().filterAcceptsRow(source_row, source_parent)


class IntentPanel(QWidget):
    """List intents; selecting one scopes the example table to it.

    Signals:
        intent_selected(object): the current intent name, or ``None`` for all.
    """

    intent_selected = Signal(object)

    def __init__(
        self,
        model: IntentTableModel,
        actions: list[QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("IntentPanel")
        self.model = model
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter intents…")
        self.filter_edit.setClearButtonEnabled(True)
        self.proxy = _IntentFilterModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(0)
        self.proxy.setSortRole(SORT_ROLE)
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.setShowGrid(False)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        for action in actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.view.selectionModel().currentRowChanged.connect(
            self._on_view_current_row_changed
        )
        self._last_intent: str | None = None
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._restore_selection)

    def current_intent(self) -> str | None:
        """Return the intent of the current row (``None`` for "All intents")."""
        index = self.view.currentIndex()
        return index.data(INTENT_ROLE) if index.isValid() else None

    def selected_intents(self) -> list[str]:
        """Return the selected intents (without the "All intents" row)."""
        rows = self.view.selectionModel().selectedRows()
        names = [index.data(INTENT_ROLE) for index in rows]
        return [name for name in names if name is not None]

    def select_intent(self, intent: str | None) -> None:
        """Make ``intent`` (``None``: all) the current row."""
        source_row = self.model.row_of(intent)
        if source_row < 0:
            source_row = 0
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not index.isValid():  # filtered out: clear the filter first
            self.filter_edit.clear()
            index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        self.view.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def _on_view_current_row_changed(
        self, current: QModelIndex, _previous: QModelIndex
    ) -> None:
        intent = current.data(INTENT_ROLE) if current.isValid() else None
        if intent != self._last_intent or not current.isValid():
            self._last_intent = intent
            self.intent_selected.emit(intent)

    def _remember_selection(self) -> None:
        self._restore_to = self.current_intent()

    def _restore_selection(self) -> None:
        wanted = getattr(self, "_restore_to", None)
        if wanted is not None and wanted not in self.model.names():
            wanted = None  # renamed or deleted: fall back to all intents
        self._last_intent = object()  # force a signal so the table re-scopes
        self.select_intent(wanted)
