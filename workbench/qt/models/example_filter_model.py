"""ExampleFilterModel: filter and sort the example table in plain Python.

``QSortFilterProxyModel`` calls back into Python once per row (``filterAcceptsRow``) and
once per comparison (``lessThan``): over 50,000 examples that takes seconds. This proxy
computes its row mapping with one list comprehension (``ExampleQuery.select``) and one
``sorted`` call instead, and follows the source's row events incrementally so that
selections survive edits.
"""

from __future__ import annotations

import bisect
from typing import Any

from PySide6.QtCore import QAbstractProxyModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.core.example_query import (
    ExampleQuery,
    SearchIndex,
    needs_attention,
)
from workbench.qt.models.example_table_model import (
    MARGIN_COLUMN,
    PREDICTED_COLUMN,
    ExampleTableModel,
)

_Index = QModelIndex | QPersistentModelIndex


class ExampleFilterModel(QAbstractProxyModel):
    """Show the source rows that match an ``ExampleQuery``, optionally sorted."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[int] = []  # proxy row -> source row
        self._lookup: dict[int, int] | None = None  # source row -> proxy row (lazy)
        self._query = ExampleQuery()
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._table: ExampleTableModel | None = None
        self._index = SearchIndex()  # lower-cased search strings, kept in step

    # -- configuration ----------------------------------------------------------------
    def setSourceModel(self, model: ExampleTableModel) -> None:  # noqa: N802
        """Follow ``model`` (an ``ExampleTableModel``)."""
        if self._table is not None:
            for signal, slot in self._source_connections():
                signal.disconnect(slot)
        self.beginResetModel()
        super().setSourceModel(model)
        self._table = model
        self._index.reset(model.examples)
        for signal, slot in self._source_connections():
            signal.connect(slot)
        self._recompute()
        self.endResetModel()

    def _source_connections(self) -> list[tuple[Any, Any]]:
        table = self._table
        assert table is not None
        return [
            (table.rowsInserted, self._on_source_rows_inserted),
            (table.rowsAboutToBeRemoved, self._on_source_rows_about_to_be_removed),
            (table.rowsRemoved, self._on_source_rows_removed),
            (table.dataChanged, self._on_source_data_changed),
            (table.modelReset, self._on_source_model_reset),
        ]

    @property
    def query(self) -> ExampleQuery:
        """The active query."""
        return self._query

    def set_query(self, query: ExampleQuery) -> None:
        """Filter by ``query``.

        Raises:
            ValueError: If the query is invalid (bad regular expression); the current
                filter stays in place.
        """
        query.pattern()  # validate before touching the view
        self.beginResetModel()
        self._query = query
        self._recompute()
        self.endResetModel()

    def sort(
        self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
    ) -> None:
        """Sort the visible rows by a column (``-1`` restores file order)."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        sources = [self._rows[i.row()] if i.isValid() else -1 for i in old]
        self._sort = None if column < 0 else (column, order)
        self._apply_sort()
        lookup = self._source_lookup()
        self.changePersistentIndexList(
            old,
            [
                self.index(lookup[s], i.column()) if s in lookup else QModelIndex()
                for s, i in zip(sources, old, strict=True)
            ],
        )
        self.layoutChanged.emit()

    # -- mapping ----------------------------------------------------------------------
    def _recompute(self) -> None:
        table = self._table
        self._rows = self._query.select(self._index) if table is not None else []
        if table is not None and self._query.wrong_or_unsure:
            self._rows = self._attention_rows(self._rows)
        self._apply_sort()

    def _attention_rows(self, rows: list[int]) -> list[int]:
        """Keep the rows the model gets wrong or is unsure about (item 4)."""
        assert self._table is not None
        threshold = self._query.margin_below
        predictions = ((row, self._table.prediction(row)) for row in rows)
        return [row for row, p in predictions
                if p is not None and needs_attention(p, threshold)]

    def _apply_sort(self) -> None:
        self._lookup = None
        table = self._table
        if self._sort is None:
            if table is not None and self._query.wrong_or_unsure:
                # Lowest margin first: the examples the model is least sure about.
                self._rows.sort(key=lambda row: (table.sort_key(row, MARGIN_COLUMN),
                                                 row))
            else:
                self._rows.sort()
            return
        if table is None:
            return
        column, order = self._sort
        self._rows.sort(
            key=lambda row: table.sort_key(row, column),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )

    def _source_lookup(self) -> dict[int, int]:
        if self._lookup is None:
            self._lookup = {source: proxy for proxy, source in enumerate(self._rows)}
        return self._lookup

    def source_rows(self) -> list[int]:
        """Return the source row of every visible row, in display order."""
        return list(self._rows)

    def mapToSource(self, proxy_index: _Index) -> QModelIndex:  # noqa: N802
        """Proxy index -> source index."""
        if not proxy_index.isValid() or self._table is None:
            return QModelIndex()
        return self._table.index(self._rows[proxy_index.row()], proxy_index.column())

    def mapFromSource(self, source_index: _Index) -> QModelIndex:  # noqa: N802
        """Source index -> proxy index (invalid if filtered out)."""
        if not source_index.isValid():
            return QModelIndex()
        proxy_row = self._source_lookup().get(source_index.row())
        if proxy_row is None:
            return QModelIndex()
        return self.index(proxy_row, source_index.column())

    def index(
        self, row: int, column: int, parent: _Index = QModelIndex()  # noqa: B008
    ) -> QModelIndex:
        """Flat table index."""
        if parent.isValid() or not (0 <= row < len(self._rows)) or column < 0:
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        """Flat table: no parents."""
        return QModelIndex()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Visible rows."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Same columns as the source."""
        if parent.isValid() or self._table is None:
            return 0
        return self._table.columnCount()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Delegate to the source row."""
        if not index.isValid() or self._table is None:
            return None
        return self._table.data(self.mapToSource(index), role)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """The source's headers: a row keeps its number in the project."""
        if orientation == Qt.Orientation.Vertical:
            if not 0 <= section < len(self._rows):
                return None
            section = self._rows[section]
        return None if self._table is None else self._table.headerData(
            section, orientation, role)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        """Selectable and enabled, not editable in place."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled

    # -- source events ----------------------------------------------------------------
    def _on_source_rows_inserted(
        self, _parent: QModelIndex, first: int, last: int
    ) -> None:
        assert self._table is not None
        count = last - first + 1
        self._index.insert(first, self._table.examples[first : last + 1])
        self._rows = [row + count if row >= first else row for row in self._rows]
        self._lookup = None
        new = self._query.select(self._index, range(first, last + 1))
        if not new:
            return
        # File order: new rows go to their place; sorted: appended until the next sort.
        if self._sort:
            position = len(self._rows)
        else:
            position = bisect.bisect_left(self._rows, first)
        self.beginInsertRows(QModelIndex(), position, position + len(new) - 1)
        self._rows[position:position] = new
        self._lookup = None
        self.endInsertRows()

    def _on_source_rows_about_to_be_removed(
        self, _parent: QModelIndex, first: int, last: int
    ) -> None:
        doomed = sorted(
            (proxy for proxy, row in enumerate(self._rows) if first <= row <= last),
            reverse=True,
        )
        while doomed:  # contiguous proxy runs, last run first
            end = start = doomed.pop(0)
            while doomed and doomed[0] == start - 1:
                start = doomed.pop(0)
            self.beginRemoveRows(QModelIndex(), start, end)
            del self._rows[start : end + 1]
            self._lookup = None
            self.endRemoveRows()

    def _on_source_rows_removed(
        self, _parent: QModelIndex, first: int, last: int
    ) -> None:
        count = last - first + 1
        self._index.remove(first, count)
        self._rows = [row - count if row > last else row for row in self._rows]
        self._lookup = None

    def _on_source_data_changed(
        self, top_left: QModelIndex, bottom_right: QModelIndex
    ) -> None:
        # An edited row stays visible even if it no longer matches: rows vanishing under
        # the cursor while annotating would be disorienting. The next filter change
        # re-evaluates it.
        if top_left.column() >= PREDICTED_COLUMN:  # new predictions: one signal
            if self._rows:
                self.dataChanged.emit(self.index(0, top_left.column()), self.index(
                    len(self._rows) - 1, self.columnCount() - 1))
            return
        lookup = self._source_lookup()
        assert self._table is not None
        for source in range(top_left.row(), bottom_right.row() + 1):
            self._index.replace(source, self._table.examples[source])
            proxy = lookup.get(source)
            if proxy is not None:
                self.dataChanged.emit(
                    self.index(proxy, 0), self.index(proxy, self.columnCount() - 1)
                )

    def _on_source_model_reset(self) -> None:
        assert self._table is not None
        self._index.reset(self._table.examples)
        self.beginResetModel()
        self._recompute()
        self.endResetModel()
