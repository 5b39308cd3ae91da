"""The Test tab with a real trained model: explain, add, history, batch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import TINY
from workbench.training.tester_history import history_path

ORDER = "one large hawaiian please"  # not in the data; two entities found


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sample_projects/tiny with one finished run (its model is the active one)."""
    pytest.importorskip("torch")
    from tests.training.conftest import tiny_config
    from workbench.core.project import load_project
    from workbench.training.events import TrainingFinished
    from workbench.training.runner import run_training

    root = tmp_path_factory.mktemp("tester-gui") / "tiny"
    shutil.copytree(TINY, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root.parent / "user-cache"))
        events = list(run_training(load_project(root).snapshot(),
                                   config=tiny_config(epochs=40), project_dir=root,
                                   seed=1, device="cpu", force=True))
    assert isinstance(events[-1], TrainingFinished), events[-1]
    return root


def _window(qtbot, settings_store, prompter, root: Path):
    from workbench.qt.main_window import MainWindow

    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(root)
    win.resize(1280, 800)
    win.show()
    win.actions["test_message"].trigger()
    return win


@pytest.fixture
def project(tmp_path: Path, trained_tiny: Path) -> Path:
    root = tmp_path / "tiny"
    shutil.copytree(trained_tiny, root, symlinks=True)
    return root


@pytest.fixture
def tester_window(qtbot, settings_store, prompter, project):
    win = _window(qtbot, settings_store, prompter, project)
    yield win
    win.discard_and_close()


def _predict(qtbot, tester, text: str):
    qtbot.waitUntil(lambda: tester.has_model, timeout=10_000)
    tester.input.setText(text)
    qtbot.waitUntil(lambda: tester._last is not None and tester._last.text == text,
                    timeout=30_000)
    return tester._last


def _examples(window, text: str):
    return [e for e in window.session.project.examples if e.text == text]


def test_prediction_is_explained(qtbot, tester_window) -> None:
    tester = tester_window.tester_view
    prediction = _predict(qtbot, tester, ORDER)
    names = [name for name, _ in tester.ranking.rows()]
    assert names == [s.name for s in prediction.ranking]  # full names, all intents
    assert set(names) == {"greet", "goodbye", "order_pizza", "ask_price"}
    assert "ms" in tester.timing.text()
    shown = {(e.entity, e.text) for e in prediction.entities}
    assert shown  # the model finds entities in this text
    html = tester.highlighted.text()
    for entity, surface in shown:
        assert surface in html and entity in html
    assert tester.entities.rowCount() == len(prediction.entities)
    # every token's tag and confidence, O included (the CRF's per-token output)
    assert tester.tokens.rowCount() == 4 and tester.tokens.isHidden()
    tester.show_tokens.setChecked(True)
    assert tester.tokens.isVisible()
    assert tester.tokens.item(0, 0).text() == "one"
    assert tester.tokens.item(0, 1).text() == "O"
    assert tester.tokens.item(0, 2).text().endswith("%")
    header = tester.tokens.horizontalHeaderItem(1).text()
    assert header == "Entity tag"
    tags = [tester.tokens.item(r, 1).text() for r in range(4)]
    assert tags[1:3] == [t.tags["entity"] for t in prediction.tokens[1:3]] != ["O", "O"]
    # the opt-in token output leaves Rasa's parse shape alone
    from workbench.nlu.predictor_loader import load_model

    model = load_model(tester.model_path)
    assert model.predict(ORDER, all_tags=True).to_rasa() == model.parse(ORDER)
    assert all(t.tags for t in model.predict(ORDER, all_tags=True).tokens)


def test_low_confidence_warning_follows_the_threshold(qtbot, tester_window) -> None:
    tester = tester_window.tester_view
    prediction = _predict(qtbot, tester, "xqzv blorp")
    tester.threshold.setValue(0)
    assert tester.warning.isHidden()
    tester.threshold.setValue(100)
    assert tester.warning.isVisible() and "Low confidence" in tester.warning.text()
    dialog = tester.open_add_dialog()
    assert dialog is not None
    assert dialog.intent() is None  # gibberish never goes straight into the winner
    assert not dialog.add_button.isEnabled()
    assert "unsure" in dialog.warning.text()
    before = len(tester_window.session.project.examples)
    assert not dialog.confirm()
    assert len(tester_window.session.project.examples) == before
    assert prediction.intent is not None
    dialog.close()


def test_add_keeps_predicted_entities_and_the_chosen_intent(qtbot,
                                                            tester_window) -> None:
    tester = tester_window.tester_view
    prediction = _predict(qtbot, tester, ORDER)
    expected = {(e.start, e.end, e.entity) for e in prediction.entities}
    assert expected
    qtbot.keyClick(tester.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    dialog = tester.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.intent() == prediction.intent.name == "order_pizza"  # preselected
    assert {(s.start, s.end, s.entity) for s in dialog.spans()} == expected
    assert {(s.start, s.end, s.entity) for s in dialog.span_editor.spans()} == expected
    # change the intent through the filterable list
    dialog.open_intent_list()
    assert dialog.intent_popup.visible_types()[0] == "order_pizza"  # ranking first
    qtbot.keyClicks(dialog.intent_popup.filter_edit, "ask_pr")
    qtbot.keyClick(dialog.intent_popup.filter_edit, Qt.Key.Key_Return)
    assert dialog.intent() == "ask_price"
    assert _examples(tester_window, ORDER) == []
    assert dialog.confirm()
    added = _examples(tester_window, ORDER)
    assert len(added) == 1 and added[0].intent == "ask_price"
    assert {(s.start, s.end, s.entity) for s in added[0].entities} == expected
    assert all(s.value == ORDER[s.start:s.end] for s in added[0].entities)
    assert ORDER in tester.history_texts()  # an added message is kept in the history
    tester_window.actions["undo"].trigger()  # Ctrl+Z
    assert _examples(tester_window, ORDER) == []


def test_a_text_rule_refusal_is_shown_and_nothing_added(qtbot, tester_window) -> None:
    tester = tester_window.tester_view
    text = "hello\x1bthere"
    _predict(qtbot, tester, text)
    dialog = tester.open_add_dialog()
    dialog.set_intent("greet")
    before = len(tester_window.session.project.examples)
    assert not dialog.confirm()
    assert dialog.error_label.isVisible() and "Not added" in dialog.error_label.text()
    assert len(tester_window.session.project.examples) == before
    assert dialog.isVisible()
    dialog.close()


def test_history_survives_a_restart(qtbot, settings_store, prompter, project) -> None:
    first = _window(qtbot, settings_store, prompter, project)
    try:
        assert not history_path(project).exists()  # opening writes nothing
        tester = first.tester_view
        _predict(qtbot, tester, "good morning bot")
        qtbot.keyClick(tester.input, Qt.Key.Key_Return)
        _predict(qtbot, tester, "hello")
        qtbot.keyClick(tester.input, Qt.Key.Key_Return)
        assert tester.history_texts() == ["hello", "good morning bot"]
        assert history_path(project).exists()
    finally:
        first.discard_and_close()
    second = _window(qtbot, settings_store, prompter, project)
    try:
        tester = second.tester_view
        assert tester.history_texts() == ["hello", "good morning bot"]
        item = tester.history_list.item(1)
        assert "greet" in item.text()  # with its predicted intent
        tester._on_history_item(item)  # a click tests it again
        assert tester.input.text() == "good morning bot"
    finally:
        second.discard_and_close()


def test_batch_predicts_pasted_lines_and_adds_the_selected_in_one_step(
        qtbot, tester_window, prompter) -> None:
    tester = tester_window.tester_view
    qtbot.waitUntil(lambda: tester.has_model, timeout=10_000)
    batch = tester.batch
    tester.modes.setCurrentWidget(batch)
    tester.threshold.setValue(0)
    batch.input.setPlainText("hiya there\n\ncan I get a large hawaiian\nhiya there\n"
                             "bye for now\n")
    with qtbot.waitSignal(tester.worker.batch_predicted, timeout=30_000):
        assert batch.request_predictions() == ["hiya there",
                                               "can I get a large hawaiian",
                                               "bye for now"]
    qtbot.waitUntil(lambda: batch.table.rowCount() == 3, timeout=5_000)
    assert [batch.table.item(r, 0).text() for r in range(3)] == [
        "hiya there", "can I get a large hawaiian", "bye for now"]
    assert batch.intent_for(0) == batch.predictions[0].intent.name  # threshold 0
    batch.table.selectRow(0)
    batch.table.selectionModel().select(
        batch.table.model().index(1, 0),
        batch.table.selectionModel().SelectionFlag.Select
        | batch.table.selectionModel().SelectionFlag.Rows)
    assert batch.selected_rows() == [0, 1]
    batch.set_intent_for(0, "greet")
    batch.set_intent_for(1, "order_pizza")
    before = len(tester_window.session.project.examples)
    prompter.answers.append("Add")
    batch.add_button.click()
    assert len(tester_window.session.project.examples) == before + 2
    pizza = _examples(tester_window, "can I get a large hawaiian")[0]
    assert pizza.intent == "order_pizza"
    assert [(s.entity, s.value) for s in pizza.entities] == [
        (e.entity, e.text) for e in batch.predictions[1].entities]
    assert "Add 2 message(s)" in prompter.asked[-1][1]
    tester_window.actions["undo"].trigger()  # one undo step for the batch
    assert len(tester_window.session.project.examples) == before
    # a row without an intent is left out, with its row named
    batch.table.selectRow(2)
    batch.set_intent_for(2, "(choose…)")
    assert tester.add_batch_rows([2]) == 0
    assert "row 3" in batch.status.text()


def test_a_stale_prediction_is_never_shown(qtbot, tester_window) -> None:
    tester = tester_window.tester_view
    old = _predict(qtbot, tester, "hello")
    _predict(qtbot, tester, ORDER)
    tester.show_prediction("hello", old, 0.001)  # arrives late: the text changed
    assert tester._last.text == ORDER
    assert "hawaiian" in tester.highlighted.text()


def test_a_damaged_history_is_reported_then_moved_aside(
        qtbot, settings_store, prompter, pizza_project_dir) -> None:
    from workbench.qt.main_window import MainWindow

    path = history_path(pizza_project_dir)
    path.parent.mkdir()
    path.write_bytes(b"not a database at all" * 100)
    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    try:
        win.open_project(pizza_project_dir)
        tester = win.tester_view
        assert tester.history_texts() == []
        assert "cannot be read" in tester.history_note.text()
        assert path.read_bytes().startswith(b"not a database")  # left as it was
        tester.input.setText("hello there")
        tester.keep_in_history()  # no model: kept without a prediction
        assert tester.history_texts() == ["hello there"]
        assert [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    finally:
        win.discard_and_close()
