"""Custom item data roles shared by the models, delegates and views."""

from __future__ import annotations

from PySide6.QtCore import Qt

# The core ``Example`` object of a row.
EXAMPLE_ROLE = Qt.ItemDataRole.UserRole + 1
# The index of a row's example in ``Project.examples``.
EXAMPLE_INDEX_ROLE = Qt.ItemDataRole.UserRole + 2
# A plain-Python sort key for a cell.
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
