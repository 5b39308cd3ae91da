"""ProblemsPanel: live validation results; double-click jumps, one click fixes."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.issues import Issue
from workbench.qt.models.problem_table_model import ISSUE_ROLE, ProblemTableModel


class ProblemsPanel(QWidget):
    """List issues; jump to an issue's example, apply its fix.

    Signals:
        jump_requested(object): go to this issue's example.
        fix_requested(object): apply this issue's fix.
    """

    jump_requested = Signal(object)
    fix_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProblemsPanel")
        self.model = ProblemTableModel(self)
        self._validation: list[Issue] = []  # from validation
        self._insights: list[Issue] = []  # from the last evaluation (advice)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.summary = QLabel("No problems", self)
        self.fix_button = QPushButton("Apply fix", self)
        self.fix_button.setEnabled(False)
        self.fix_button.setToolTip("Apply the one-click fix of the selected problem")
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.fix_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        self.view.doubleClicked.connect(self._on_view_double_clicked)
        self.view.activated.connect(self._on_view_double_clicked)
        self.view.selectionModel().currentRowChanged.connect(
            self._on_current_row_changed
        )
        self.fix_button.clicked.connect(self._on_fix_button_clicked)

    def set_issues(self, issues: list[Issue]) -> None:
        """Show validation ``issues`` (with the insights) and update the summary."""
        self._validation = list(issues)
        self._show()

    def set_insights(self, insights: list[Issue]) -> None:
        """Show the insights of the last evaluation (with the validation issues)."""
        self._insights = list(insights)
        self._show()

    def _show(self) -> None:
        issues = self._validation
        self.model.set_issues(issues + self._insights)
        errors = sum(1 for i in issues if i.severity == "error")
        warnings = len(issues) - errors
        if not issues:
            text = "No problems"
        else:
            text = f"{errors} error(s), {warnings} warning(s)"
        if self._insights:
            text += f" · {len(self._insights)} insight(s) from the last evaluation"
        self.summary.setText(text)
        self._on_current_row_changed(self.view.currentIndex(), QModelIndex())

    def current_issue(self) -> Issue | None:
        """Return the selected issue."""
        index = self.view.currentIndex()
        return index.data(ISSUE_ROLE) if index.isValid() else None

    def select_next(self) -> Issue | None:
        """Select the next issue (wrapping) and return it."""
        count = self.model.rowCount()
        if not count:
            return None
        row = (self.view.currentIndex().row() + 1) % count
        self.view.setCurrentIndex(self.model.index(row, 1))
        return self.current_issue()

    def _on_current_row_changed(
        self, current: QModelIndex, _previous: QModelIndex
    ) -> None:
        issue = current.data(ISSUE_ROLE) if current.isValid() else None
        self.fix_button.setEnabled(issue is not None and issue.fix is not None)

    def _on_view_double_clicked(self, index: QModelIndex) -> None:
        issue = index.data(ISSUE_ROLE)
        if issue is None:
            return
        if index.column() == 3 and issue.fix is not None:
            self.fix_requested.emit(issue)
        else:
            self.jump_requested.emit(issue)

    def _on_fix_button_clicked(self) -> None:
        issue = self.current_issue()
        if issue is not None and issue.fix is not None:
            self.fix_requested.emit(issue)

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001
        """Enter jumps to the selected problem."""
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.current_issue():
            self.jump_requested.emit(self.current_issue())
            return
        super().keyPressEvent(event)
