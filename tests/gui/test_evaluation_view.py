"""The Evaluate tab with a real tiny model: report, confusion cells, errors, export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.gui.conftest import TINY

TEST_FILE = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello friend
    - good morning to you
- intent: order_pizza
  examples: |
    - I would like a [large](size) [hawaiian](product)
"""


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sample_projects/tiny with one finished run of a few epochs (some mistakes)."""
    pytest.importorskip("torch")
    from tests.training.conftest import tiny_config
    from workbench.core.project import load_project
    from workbench.training.events import TrainingFinished
    from workbench.training.runner import run_training

    root = tmp_path_factory.mktemp("evaluation-gui") / "tiny"
    shutil.copytree(TINY, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root.parent / "user-cache"))
        events = list(run_training(load_project(root).snapshot(),
                                   config=tiny_config(epochs=4), project_dir=root,
                                   seed=3, device="cpu", force=True))
    assert isinstance(events[-1], TrainingFinished), events[-1]
    return root


@pytest.fixture
def eval_window(qtbot, settings_store, prompter, tmp_path, trained_tiny):
    """A window on a copy of the trained project, its training data evaluated."""
    from workbench.qt.main_window import MainWindow

    root = tmp_path / "tiny"
    shutil.copytree(trained_tiny, root, symlinks=True)
    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(root)  # the active model predicts the training data at once
    win.resize(1280, 800)
    win.show()
    view = win.evaluation_view
    qtbot.waitUntil(lambda: view.evaluation is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not view.worker.is_running(), timeout=10_000)
    yield win
    win.discard_and_close()


def test_reports_fill_every_part_of_the_view(eval_window) -> None:
    view = eval_window.evaluation_view
    evaluation = view.evaluation
    assert evaluation.source == "training data"
    assert len(evaluation.predictions) == len(eval_window.session.project.examples)
    intents = {view.intent_table.item(r, 0).text()
               for r in range(view.intent_table.rowCount())}
    assert {"greet", "goodbye", "order_pizza", "ask_price"} <= intents
    spans = {
        view.span_table.item(r, 0).text() for r in range(view.span_table.rowCount())
    }
    assert spans == {"product", "size"}
    assert view.errors_table.rowCount() == len(evaluation.errors())
    edges, right, wrong = view.histogram.counts
    assert right.sum() + wrong.sum() == len(evaluation.predictions)
    assert "optimistic" in view.summary.text()
    # The examples table shows the same predictions (training data, optimistic).
    examples_view = eval_window.examples_view
    assert examples_view.table_model.evaluation is evaluation
    assert "optimistic" in examples_view.prediction_label.text()


def test_intent_report_sorts_numerically(qtbot, eval_window) -> None:
    from PySide6.QtCore import Qt

    table = eval_window.evaluation_view.intent_table
    table.sortItems(4, Qt.SortOrder.DescendingOrder)  # support
    supports = [float(table.item(r, 4).text()) for r in range(table.rowCount())
                if "avg" not in table.item(r, 0).text()]
    assert supports == sorted(supports, reverse=True)


def test_confusion_cell_lists_exactly_its_examples_and_opens_them(qtbot,
                                                                  eval_window) -> None:
    view = eval_window.evaluation_view
    heatmap = view.heatmap
    predictions = view.evaluation.predictions
    model = heatmap.model
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            true, predicted = model.cell(model.index(row, column))
            expected = [p for p in predictions if p.example.base_intent == true
                        and (p.predicted_intent or "(none)") == predicted]
            shown = model.data(model.index(row, column))
            assert shown == (str(len(expected)) if expected else "")
            tip = model.data(model.index(row, column), 3)  # ToolTipRole
            assert tip == f"true {true} predicted as {predicted}: {len(expected)}"
    # click the fullest cell: its list holds exactly those prediction objects
    true, predicted = max(
        heatmap._cells.cells, key=lambda k: len(heatmap._cells.cells[k])
    )
    assert heatmap.select_cell(true, predicted)
    listed = view.cell_predictions()
    expected = [p for p in predictions if p.example.base_intent == true
                and (p.predicted_intent or "(none)") == predicted]
    assert sorted(map(id, listed)) == sorted(map(id, expected))
    # double-click a listed example: the editor shows that very example
    target = listed[-1]
    view._open_row(view.cell_table, len(listed) - 1)  # what double-click calls
    project = eval_window.session.project
    index = next(i for i, e in enumerate(project.examples) if e is target.example)
    assert eval_window.tabs.currentWidget() is eval_window.examples_view
    assert eval_window.examples_view.editor.current_row() == index


def test_double_click_on_a_cell_opens_its_first_example(qtbot, eval_window) -> None:
    view = eval_window.evaluation_view
    model = view.heatmap.model
    labels = model.labels
    index = model.index(labels.index("greet"), labels.index("greet"))
    if not model.data(index):
        pytest.skip("the tiny model predicted no greet example right")
    view.heatmap.cell_activated.emit("greet", "greet",
                                     view.heatmap._cells.cells[("greet", "greet")])
    first = view.heatmap._cells.cells[("greet", "greet")][0]
    assert eval_window.examples_view.editor.current_example() is first.example


def test_sort_by_confusion_and_top_n(eval_window) -> None:
    heatmap = eval_window.evaluation_view.heatmap
    cells = heatmap._cells
    heatmap.order_box.setCurrentIndex(1)
    labels = heatmap.model.labels
    assert [cells.confused[n] for n in labels] == sorted(
        (cells.confused[n] for n in labels), reverse=True)
    heatmap.top_box.setValue(1)
    confused = [n for n in cells.labels if cells.confused[n]]
    assert len(heatmap.model.labels) == min(1, len(confused))
    heatmap.top_box.setValue(0)
    assert len(heatmap.model.labels) == len(cells.labels)


def test_test_file_evaluation_is_not_applied_to_the_table(qtbot, eval_window,
                                                          tmp_path) -> None:
    view = eval_window.evaluation_view
    table_evaluation = eval_window.examples_view.table_model.evaluation
    path = tmp_path / "test.yml"
    path.write_text(TEST_FILE, encoding="utf-8")
    with qtbot.waitSignal(view.evaluated, timeout=60_000):
        assert view.evaluate_test_file(path)
    assert view.evaluation.source == "test file test.yml"
    assert len(view.evaluation.predictions) == 3
    assert eval_window.examples_view.table_model.evaluation is table_evaluation
    messages = []
    view.message.connect(messages.append)
    assert not view.open_prediction(view.evaluation.predictions[0])
    assert "test file" in messages[-1]
    qtbot.waitUntil(lambda: not view.worker.is_running(), timeout=10_000)


def test_bad_test_file_is_refused_with_a_message(qtbot, eval_window, tmp_path) -> None:
    view = eval_window.evaluation_view
    path = tmp_path / "broken.yml"
    path.write_text("nlu:\n- intent: greet\n  examples: |\n    - [open(x\n  bad: [\n",
                    encoding="utf-8")
    with qtbot.waitSignal(view.worker.failed, timeout=60_000) as failed:
        assert view.evaluate_test_file(path)
    assert "broken.yml" in failed.args[0] and "Traceback" not in failed.args[0]
    assert view.evaluation.source == "training data"  # the last result stays
    qtbot.waitUntil(lambda: not view.worker.is_running(), timeout=10_000)


def test_stop_cancels_without_changing_the_result(qtbot, eval_window) -> None:
    view = eval_window.evaluation_view
    before = view.evaluation
    with qtbot.waitSignal(view.worker.cancelled, timeout=60_000):
        assert view.evaluate_training_data()
        view.stop_button.click()
    qtbot.waitUntil(lambda: not view.worker.is_running(), timeout=10_000)
    assert view.evaluation is before and "Stopped" in view.status.text()


def test_export_json_and_png(eval_window, tmp_path) -> None:
    view = eval_window.evaluation_view
    assert view.export_json(tmp_path / "evaluation.json")
    data = json.loads((tmp_path / "evaluation.json").read_text(encoding="utf-8"))
    assert data["source"] == "training data"
    assert len(data["predictions"]) == len(view.evaluation.predictions)
    assert "intent_report" in data["report"]
    assert view.export_png(tmp_path / "evaluation.png")
    assert (tmp_path / "evaluation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_insights_reach_the_problems_panel(eval_window) -> None:
    view = eval_window.evaluation_view
    panel = eval_window.problems_panel
    shown = [i for i in panel.model.issues() if i.code.startswith("insight-")]
    def key(issue):
        return issue.message

    assert sorted(shown, key=key) == sorted(view.insights, key=key)
    for issue in shown:
        assert issue.hint
        if issue.example_index is not None:
            assert eval_window.show_example(issue.example_index)
    pairs = [i for i in shown if i.fix is not None and i.fix.kind == "show_confusion"]
    if not pairs:
        pytest.skip("the tiny model confused no pair of intents twice")
    issue = pairs[0]
    panel.fix_requested.emit(issue)  # "Show the examples"
    assert eval_window.tabs.currentWidget() is view
    listed = view.cell_predictions()
    project = eval_window.session.project
    indices = sorted(next(i for i, e in enumerate(project.examples) if e is p.example)
                     for p in listed)
    assert set(indices) <= set(issue.fix.payload["indices"])
    assert all(not p.correct for p in listed) and listed


def test_cross_validation_fills_the_table_with_honest_predictions(qtbot,
                                                                  eval_window) -> None:
    view = eval_window.evaluation_view
    progress = []
    view.worker.progress.connect(lambda done, total, what: progress.append(what))
    with qtbot.waitSignal(view.evaluated, timeout=300_000):
        assert view.cross_validate(folds=2, epochs=1)
    qtbot.waitUntil(lambda: not view.worker.is_running(), timeout=10_000)
    evaluation = view.evaluation
    assert evaluation.source.startswith("cross-validation")
    assert len(evaluation.fold_reports) == 2
    assert any(what.startswith("fold") for what in progress)
    project = eval_window.session.project
    indices = [p.index for p in evaluation.predictions]
    assert len(indices) == len(set(indices))  # one out-of-fold prediction per example
    assert all(p.fold in (1, 2) for p in evaluation.predictions)
    assert all(project.examples[p.index] is p.example for p in evaluation.predictions)
    examples_view = eval_window.examples_view
    assert examples_view.table_model.evaluation is evaluation
    assert "honest" in examples_view.prediction_label.text()
    assert "honest" in view.summary.text()
