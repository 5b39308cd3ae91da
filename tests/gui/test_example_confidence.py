"""Confidence in the examples table: identity, staleness, the wrong-or-unsure filter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.gui.conftest import TINY
from workbench.qt.models.example_table_model import (
    CONFIDENCE_COLUMN,
    MARGIN_COLUMN,
    PREDICTED_COLUMN,
    STALE_TEXT,
    UNEVALUATED_TEXT,
)


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project with "hi" also under goodbye (same text, two examples)."""
    pytest.importorskip("torch")
    from tests.training.conftest import tiny_config
    from workbench.core.project import load_project
    from workbench.training.events import TrainingFinished
    from workbench.training.runner import run_training

    root = tmp_path_factory.mktemp("confidence-gui") / "tiny"
    shutil.copytree(TINY, root)
    nlu = root / "data" / "nlu.yml"
    nlu.write_text(nlu.read_text(encoding="utf-8").replace(
        "    - see ya\n", "    - see ya\n    - hi\n"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root.parent / "user-cache"))
        events = list(run_training(load_project(root).snapshot(),
                                   config=tiny_config(epochs=4), project_dir=root,
                                   seed=5, device="cpu", force=True))
    assert isinstance(events[-1], TrainingFinished), events[-1]
    return root


@pytest.fixture
def window(qtbot, settings_store, prompter, tmp_path, trained_tiny):
    """A window whose examples table shows the active model's confidences."""
    from workbench.qt.main_window import MainWindow

    root = tmp_path / "tiny"
    shutil.copytree(trained_tiny, root, symlinks=True)
    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(root)
    win.resize(1280, 800)
    win.show()
    qtbot.waitUntil(lambda: win.examples_view.table_model.evaluation is not None,
                    timeout=60_000)
    qtbot.waitUntil(lambda: not win.evaluation_view.worker.is_running(),
                    timeout=10_000)
    yield win
    win.discard_and_close()


def _rows(window, text: str) -> list[int]:
    return [i for i, e in enumerate(window.session.project.examples) if e.text == text]


def test_two_examples_with_the_same_text_have_their_own_predictions(window) -> None:
    table = window.examples_view.table_model
    first, second = _rows(window, "hi")
    project = window.session.project
    assert project.examples[first].intent == "greet"
    assert project.examples[second].intent == "goodbye"
    a, b = table.prediction(first), table.prediction(second)
    assert a is not None and b is not None and a is not b
    assert a.example is project.examples[first] and a.index == first
    assert b.example is project.examples[second] and b.index == second
    assert a.correct != b.correct or not a.correct  # one intent at most is right
    shown = table.data(table.index(first, PREDICTED_COLUMN))
    assert shown == (a.predicted_intent or "(none)")
    assert table.data(table.index(second, CONFIDENCE_COLUMN)) == f"{b.confidence:.3f}"


def test_wrong_or_unsure_filter_sorts_by_margin(qtbot, window) -> None:
    view = window.examples_view
    view.margin_box.setValue(1.0)  # every evaluated example is "unsure"
    view.attention_box.setChecked(True)
    view.apply_filter()
    rows = view.filter_model.source_rows()
    table = view.table_model
    assert len(rows) == len(window.session.project.examples)
    margins = [table.prediction(r).margin for r in rows]
    assert margins == sorted(margins)
    shown = [float(view.filter_model.index(i, MARGIN_COLUMN).data())
             for i in range(len(rows))]
    assert shown == sorted(shown)
    # a realistic threshold: only wrong ones and those below it, still by margin
    view.margin_box.setValue(0.2)
    view.apply_filter()
    rows = view.filter_model.source_rows()
    for row in rows:
        p = table.prediction(row)
        assert not p.correct or p.entity_mistakes or p.margin < 0.2
    outside = set(range(len(window.session.project.examples))) - set(rows)
    for row in outside:
        p = table.prediction(row)
        assert p.correct and not p.entity_mistakes and p.margin >= 0.2
    margins = [table.prediction(r).margin for r in rows]
    assert margins == sorted(margins)


def test_edited_example_is_stale_and_undo_restores_its_prediction(qtbot,
                                                                  window) -> None:
    from workbench.core.commands import ReplaceExample
    from workbench.core.examples import Example

    table = window.examples_view.table_model
    row = _rows(window, "hello")[0]
    old = window.session.project.examples[row]
    assert table.prediction(row) is not None
    assert window.session.push(ReplaceExample(row, Example("hello", "goodbye")))
    assert table.prediction(row) is None and table.is_stale(row)
    assert table.data(table.index(row, PREDICTED_COLUMN)) == STALE_TEXT
    assert table.data(table.index(row, CONFIDENCE_COLUMN)) == ""
    # same text again, but a new object: still stale (never matched by text)
    assert window.session.push(ReplaceExample(row, Example("hello", "greet")))
    assert table.prediction(row) is None and table.is_stale(row)
    window.session.history.stack.undo()
    window.session.history.stack.undo()
    assert window.session.project.examples[row] is old
    assert table.prediction(row) is not None


def test_new_and_moved_examples(qtbot, window) -> None:
    from workbench.core.commands import AddExample, MoveExamples
    from workbench.core.examples import Example

    table = window.examples_view.table_model
    project = window.session.project
    assert window.session.push(AddExample(Example("hello again", "greet"), 0))
    assert table.data(table.index(0, PREDICTED_COLUMN)) == UNEVALUATED_TEXT
    row = _rows(window, "bye")[0]
    moved = project.examples[row]
    prediction = table.prediction(row)
    assert window.session.push(MoveExamples([row], "ask_price"))
    new_row = next(i for i, e in enumerate(project.examples) if e.text == "bye")
    if project.examples[new_row] is moved:  # a move that keeps the object
        assert table.prediction(new_row) is prediction
    else:  # the intent changed: a new object, so stale
        assert table.prediction(new_row) is None


def test_sorting_by_confidence(qtbot, window) -> None:
    from PySide6.QtCore import Qt

    view = window.examples_view
    view.filter_model.sort(CONFIDENCE_COLUMN, Qt.SortOrder.AscendingOrder)
    rows = view.filter_model.source_rows()
    values = [view.table_model.prediction(r).confidence for r in rows]
    assert values == sorted(values)


def test_new_project_hides_the_columns(qtbot, window, pizza_project_dir) -> None:
    view = window.examples_view
    assert not view.table.isColumnHidden(PREDICTED_COLUMN)
    assert window.open_project(pizza_project_dir)
    assert view.table_model.evaluation is None
    assert view.table.isColumnHidden(PREDICTED_COLUMN)
    assert not view.attention_box.isVisible()
