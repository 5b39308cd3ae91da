"""The Inbox tab: import, pre-label with a real model, keyboard review, undo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import TINY
from workbench.training.inbox_store import InboxStore

MESSAGES = "hello there friend\nI want a large pizza\nbye for now\nhow much is it\n"


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sample_projects/tiny with two finished runs (the newest model is active)."""
    pytest.importorskip("torch")
    from tests.training.conftest import tiny_config
    from workbench.core.project import load_project
    from workbench.training.events import TrainingFinished
    from workbench.training.runner import run_training

    root = tmp_path_factory.mktemp("inbox-gui") / "tiny"
    shutil.copytree(TINY, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root.parent / "user-cache"))
        for seed in (1, 2):
            events = list(run_training(load_project(root).snapshot(),
                                       config=tiny_config(epochs=10 * seed),
                                       project_dir=root, seed=seed, device="cpu",
                                       force=True))
            assert isinstance(events[-1], TrainingFinished), events[-1]
    return root


@pytest.fixture
def inbox_window(qtbot, settings_store, prompter, tmp_path, trained_tiny):
    """A window on a fresh copy of the trained tiny project, Inbox tab shown."""
    from workbench.qt.main_window import MainWindow

    root = tmp_path / "tiny"
    shutil.copytree(trained_tiny, root, symlinks=True)
    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(root)
    win.resize(1280, 760)
    win.show()
    win.actions["review_inbox"].trigger()
    yield win
    win.discard_and_close()


def _import(qtbot, view, tmp_path: Path, text: str = MESSAGES) -> None:
    source = tmp_path / "messages.txt"
    source.write_text(text, encoding="utf-8")
    with qtbot.waitSignal(view.worker.imported, timeout=30_000):
        assert view.import_file(source)
    qtbot.waitUntil(lambda: view.store.counts()["scored"] ==
                    view.store.counts()["pending"], timeout=60_000)
    view.refresh()


def _example(window, text: str):
    return next((e for e in window.session.project.examples if e.text == text), None)


def test_enter_accepts_as_predicted_in_one_keystroke_and_undo(qtbot, inbox_window,
                                                              tmp_path) -> None:
    view = inbox_window.inbox_view
    assert inbox_window.tabs.currentWidget() is view
    _import(qtbot, view, tmp_path, MESSAGES + "hello\nHELLO THERE FRIEND\n")
    counts = view.store.counts()
    assert counts["pending"] == 4 and counts["scored"] == 4  # "hello" is known data
    margins = [m.margin for m in view.queue()]
    assert margins == sorted(margins)  # least certain first
    first = view.current
    predicted = view.predicted_intent()
    assert first is not None and predicted is not None
    qtbot.keyClick(view.span_editor, Qt.Key.Key_Return)
    example = _example(inbox_window, first.text)
    assert example is not None and example.intent == predicted
    assert view.store.get(first.id).status == "accepted"
    assert view.current is not None and view.current.id != first.id
    assert "1 accepted" in view.counters.text()
    inbox_window.actions["undo"].trigger()
    assert _example(inbox_window, first.text) is None
    assert view.store.get(first.id).status == "pending"
    qtbot.waitUntil(lambda: "0 accepted" in view.counters.text(), timeout=5_000)


def test_intent_list_reject_skip_and_order(qtbot, inbox_window, tmp_path) -> None:
    view = inbox_window.inbox_view
    _import(qtbot, view, tmp_path)
    view.order_box.setCurrentIndex(view.order_box.findData("imported"))
    assert [m.text for m in view.queue()][:2] == ["hello there friend",
                                                  "I want a large pizza"]
    qtbot.keyClick(view.span_editor, Qt.Key.Key_X)  # reject
    assert view.store.counts()["rejected"] == 1
    assert "hello there friend" not in [m.text for m in view.queue()]
    qtbot.keyClick(view.span_editor, Qt.Key.Key_S)  # skip: reviewed last
    assert [m.text for m in view.queue()][-1] == "I want a large pizza"
    assert view.current.text == "bye for now"
    qtbot.keyClick(view.span_editor, Qt.Key.Key_I)
    popup = view.intent_popup
    assert popup.isVisible()
    listed = popup.visible_types()
    ranking = [r["name"] for r in view.current.parse["intent_ranking"]]
    assert listed[:2] == ranking[:2]  # the model's ranking first
    qtbot.keyClick(popup.filter_edit, Qt.Key.Key_2)  # the second-ranked intent
    assert _example(inbox_window, "bye for now").intent == ranking[1]
    # A new intent: type its name, Enter creates it.
    qtbot.keyClick(view.span_editor, Qt.Key.Key_I)
    qtbot.keyClicks(popup.filter_edit, "ask_hours")
    qtbot.keyClick(popup.filter_edit, Qt.Key.Key_Return)
    assert _example(inbox_window, "how much is it").intent == "ask_hours"
    assert "ask_hours" in inbox_window.session.project.intents
    inbox_window.actions["undo"].trigger()
    assert "ask_hours" not in inbox_window.session.project.intents


def test_fix_a_span_then_accept(qtbot, inbox_window, tmp_path) -> None:
    view = inbox_window.inbox_view
    _import(qtbot, view, tmp_path, "a large pizza for me\n")
    editor = view.span_editor
    start = view.current.text.index("large")
    editor.select_range(start, start + 2)  # snapped to the whole token
    qtbot.keyClick(editor, Qt.Key.Key_Space)
    assert view.type_popup.isVisible()
    qtbot.keyClicks(view.type_popup.filter_edit, "size")
    qtbot.keyClick(view.type_popup.filter_edit, Qt.Key.Key_Return)
    assert [(s.start, s.end, s.entity) for s in view.spans()] == \
        [(start, start + 5, "size")]
    assert view.accept("order_pizza")
    example = _example(inbox_window, "a large pizza for me")
    assert [(s.entity, s.value) for s in example.entities] == [("size", "large")]
    final = view.store.decisions(1)[0]["final"]
    assert final["entities"][0]["entity"] == "size"


def test_retrain_offer_rescoring_and_reopening(qtbot, inbox_window, tmp_path,
                                               settings_store, prompter) -> None:
    from workbench.qt.main_window import MainWindow
    from workbench.training.active_model import active_model, set_active_model
    from workbench.training.run_history import RunHistory

    view = inbox_window.inbox_view
    root = inbox_window.session.project.root
    _import(qtbot, view, tmp_path)
    view.retrain_every.setValue(2)
    started: list[bool] = []
    inbox_window.train_view.start_training = lambda **_: started.append(True) or True
    assert view.accept("greet") and not view.retrain_bar.isVisible()
    assert view.accept("greet") and view.retrain_bar.isVisible()
    view.retrain_button.click()
    assert started == [True] and not view.retrain_bar.isVisible()
    assert inbox_window.tabs.currentWidget() is inbox_window.train_view
    # Another model becomes active: what is left is scored again with it.
    models = sorted(Path(r.model_path) for r in RunHistory.for_project(root).runs()
                    if r.model_path)
    other = next(m for m in models if m.resolve() != active_model(root).resolve())
    set_active_model(root, other)
    view.model_changed()
    qtbot.waitUntil(lambda: all(m.model == str(other.resolve())
                                for m in view.store.queue()), timeout=60_000)
    # Saved accepts stay accepted after closing; the inbox is read again.
    assert inbox_window.save()
    inbox_window.discard_and_close()
    again = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(again)
    try:
        again.open_project(root)
        counts = again.inbox_view.store.counts()
        assert (counts["accepted"], counts["pending"]) == (2, 2)
        assert again.inbox_view.current is not None
    finally:
        again.discard_and_close()


def test_unsaved_accepts_return_to_the_inbox(qtbot, inbox_window, tmp_path,
                                             settings_store, prompter) -> None:
    from workbench.qt.main_window import MainWindow

    view = inbox_window.inbox_view
    root = inbox_window.session.project.root
    _import(qtbot, view, tmp_path)
    assert view.accept("greet")
    inbox_window.guard.discard_recovery()
    inbox_window.discard_and_close()  # the accepted example was never saved
    again = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(again)
    try:
        again.open_project(root, check_recovery=False)
        counts = again.inbox_view.store.counts()
        assert (counts["accepted"], counts["pending"]) == (0, 4)
    finally:
        again.discard_and_close()
    assert InboxStore.for_project(root).decisions(1)[-1]["status"] == "pending"


def test_bad_files_are_reported_not_raised(qtbot, inbox_window, tmp_path) -> None:
    view = inbox_window.inbox_view
    binary = tmp_path / "data.bin"
    binary.write_bytes(b"\x00\xff" * 5000)
    with qtbot.waitSignal(view.worker.import_failed, timeout=10_000) as failed:
        view.import_file(binary)
    assert "binary" in failed.args[0]
    assert "binary" in view.error_label.text()
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(1 << 30)  # 1 GB (sparse): refused on the helper thread
    with qtbot.waitSignal(view.worker.import_failed, timeout=10_000) as failed:
        view.import_file(huge)
    assert "split the file" in failed.args[0]
    assert view.store.counts()["total"] == 0


def test_first_messages_are_scored_before_the_rest(qtbot, inbox_window,
                                                   tmp_path) -> None:
    view = inbox_window.inbox_view
    source = tmp_path / "many.txt"
    source.write_text("\n".join(f"pizza number {i} please" for i in range(300)),
                      encoding="utf-8")
    with qtbot.waitSignal(view.worker.progress,
                          check_params_cb=lambda done, total: total > 0,
                          timeout=60_000) as first:
        view.import_file(source)
    assert first.args == [64, 300]  # the first chunk is small: reviewable at once
    qtbot.waitUntil(lambda: view.store.counts()["scored"] == 300, timeout=60_000)
    view.refresh()
    assert view.current is not None and view.current.parse is not None
