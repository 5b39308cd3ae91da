"""The example table and filter models follow the core ExampleList (no widgets)."""

from __future__ import annotations

import pytest

from workbench.core.example_list import ExampleList
from workbench.core.example_query import ExampleQuery
from workbench.core.examples import EntitySpan, Example
from workbench.qt.models.example_filter_model import ExampleFilterModel
from workbench.qt.models.example_table_model import INTENT_COLUMN, ExampleTableModel
from workbench.qt.models.roles import EXAMPLE_ROLE


def _examples() -> ExampleList:
    return ExampleList([
        Example("hello there", "greet"),
        Example("I want a large pizza", "order", (EntitySpan(9, 14, "size", "large"),)),
        Example("bye", "goodbye"),
        Example("a small pizza please", "order", (EntitySpan(2, 7, "size", "small"),)),
    ])  # fmt: skip


def test_table_model_follows_list_events(qtmodeltester):
    examples = _examples()
    model = ExampleTableModel(examples)
    qtmodeltester.check(model)
    examples.insert(1, Example("hi", "greet"))
    assert model.rowCount() == 5
    assert model.index(1, 0).data() == "hi"
    examples.remove_indices([0, 2])
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == [
        "hi", "bye", "a small pizza please"]  # fmt: skip
    examples.replace(1, Example("bye now", "goodbye"))
    assert model.index(1, 0).data() == "bye now"
    qtmodeltester.check(model)


def test_filter_model_query_fields_and_regex(qtmodeltester):
    examples = _examples()
    proxy = ExampleFilterModel()
    proxy.setSourceModel(ExampleTableModel(examples))
    qtmodeltester.check(proxy)
    proxy.set_query(ExampleQuery(text="PIZZA"))
    assert proxy.source_rows() == [1, 3]
    proxy.set_query(ExampleQuery(text="size", field="entity"))
    assert proxy.source_rows() == [1, 3]
    proxy.set_query(ExampleQuery(text="small", field="entity"))  # the entity's words
    assert proxy.source_rows() == [3]
    proxy.set_query(ExampleQuery(text="^(hello|bye)", regex=True))
    assert proxy.source_rows() == [0, 2]
    proxy.set_query(ExampleQuery(text="", intent="order"))
    assert proxy.source_rows() == [1, 3]
    with pytest.raises(ValueError, match="invalid regular expression"):
        proxy.set_query(ExampleQuery(text="(", regex=True))
    assert proxy.source_rows() == [1, 3]  # a bad query leaves the filter in place


def test_filter_model_tracks_inserts_removes_and_sort(qtmodeltester):
    examples = _examples()
    proxy = ExampleFilterModel()
    proxy.setSourceModel(ExampleTableModel(examples))
    proxy.set_query(ExampleQuery(text="pizza"))
    examples.insert(0, Example("pizza time", "order"))
    examples.insert(0, Example("nothing", "greet"))
    assert proxy.source_rows() == [1, 3, 5]
    assert proxy.index(0, 0).data() == "pizza time"
    examples.remove(3)  # "I want a large pizza"
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == [
        "pizza time", "a small pizza please"]  # fmt: skip
    proxy.set_query(ExampleQuery())
    proxy.sort(INTENT_COLUMN)
    intents = [
        proxy.index(r, 0).data(EXAMPLE_ROLE).intent for r in range(proxy.rowCount())
    ]
    assert intents == sorted(intents)
    proxy.sort(-1)
    assert proxy.source_rows() == list(range(len(examples)))
    qtmodeltester.check(proxy)


def test_headers_titles_and_project_row_numbers_through_the_filter():
    from PySide6.QtCore import Qt

    from workbench.qt.models.problem_table_model import ProblemTableModel

    horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
    table = ExampleTableModel(_examples())
    proxy = ExampleFilterModel()
    proxy.setSourceModel(table)
    proxy.set_query(ExampleQuery(text="pizza"))
    assert [proxy.headerData(c, horizontal) for c in range(2)] == ["Text", "Intent"]
    assert [proxy.headerData(r, vertical) for r in range(2)] == ["2", "4"]
    assert proxy.headerData(2, vertical) is None  # past the visible rows
    proxy.set_query(ExampleQuery(text="no such text"))
    assert proxy.headerData(0, horizontal) == "Text"  # titles with no row shown
    assert table.headerData(0, vertical) == "1"
    assert table.headerData(0, horizontal, Qt.ItemDataRole.ToolTipRole) is None
    problems = ProblemTableModel()
    assert problems.headerData(3, horizontal) == "Fix"
    assert problems.headerData(-1, horizontal) is None  # never the last title
