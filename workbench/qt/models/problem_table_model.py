"""ProblemTableModel: validation issues (severity, message, place, fix) as a table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from workbench.core.issues import Issue
from workbench.qt.models.column_table_model import ColumnTableModel

_Index = QModelIndex | QPersistentModelIndex
ISSUE_ROLE = Qt.ItemDataRole.UserRole + 20
COLUMNS = ("", "Problem", "Where", "Fix")
_FIX_TEXT = {
    "remove_example": "Remove this example",
    "annotate": "Annotate it",
    "trim_span": "Trim the span",
    "add_domain_entity": "Declare in domain",
    "show_confusion": "Show the examples",
}
INSIGHT_PREFIX = "insight-"  # codes of workbench.nlu.insights (advice from evaluation)


class ProblemTableModel(ColumnTableModel):
    """Show a list of ``Issue`` records, errors first."""

    columns = COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._issues: list[Issue] = []

    def set_issues(self, issues: Sequence[Issue]) -> None:
        """Replace the listed issues."""
        ordered = sorted(
            issues, key=lambda i: (i.severity != "error",
                                   i.code.startswith(INSIGHT_PREFIX),
                                   i.example_index or 0)
        )  # insights after the validation warnings
        self.beginResetModel()
        self._issues = ordered
        self.endResetModel()

    def issues(self) -> list[Issue]:
        """Return the listed issues in display order."""
        return list(self._issues)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """One row per issue."""
        return 0 if parent.isValid() else len(self._issues)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, colours and the issue object (``ISSUE_ROLE``)."""
        if not index.isValid():
            return None
        issue = self._issues[index.row()]
        column = index.column()
        if role == ISSUE_ROLE:
            return issue
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                if issue.code.startswith(INSIGHT_PREFIX):
                    return "◆"
                return "✖" if issue.severity == "error" else "▲"
            if column == 1:
                if issue.code.startswith(INSIGHT_PREFIX) and issue.hint:
                    return f"{issue.message} → {issue.hint}"
                return issue.message
            if column == 2:
                return _place(issue)
            if column == 3:
                return _FIX_TEXT.get(
                    issue.fix.kind, issue.fix.kind
                ) if issue.fix else ""
        if role == Qt.ItemDataRole.ForegroundRole and column == 0 and \
                issue.code.startswith(INSIGHT_PREFIX):  # fmt: skip
            return QColor("#1565c0")
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QColor("#c62828") if issue.severity == "error" else QColor("#ef8f00")
        if role == Qt.ItemDataRole.ToolTipRole:
            if issue.code.startswith(INSIGHT_PREFIX):
                return f"Insight from the last evaluation: {issue.message}. Suggested "\
                    f"fix: {issue.hint}"
            return issue.format()
        return None


def _place(issue: Issue) -> str:
    """Where an issue is: ``file:line``, or the example number for unsaved examples."""
    if issue.path is None:
        index = issue.example_index
        return f"example {index + 1}" if index is not None else ""
    return f"{issue.path.name}:{issue.line}" if issue.line else issue.path.name
