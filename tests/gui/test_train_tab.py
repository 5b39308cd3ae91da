"""Train tab (issue 11): validation curves, runs, active model, continue, robustness.

Real windows, real worker threads and real (tiny, 1-3 epoch) training runs on copies of
``sample_projects/tiny``; the ScriptedPrompter answers the window's questions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.gui.conftest import TINY
from workbench.core.project_edits import add_example
from workbench.qt.views.runs_panel import CHANGED, MODEL

pytest.importorskip("torch")

TIMEOUT = 180_000  # ms: a bound for a hang on a loaded 2-core machine, not a speed test


def _events(view) -> list:
    seen: list = []
    view.worker.event.connect(seen.append)
    return seen


def _train(qtbot, view, epochs: int = 2, *, finetune: bool = False) -> list:
    """Run one training in the window to its end; return the events it showed."""
    view.window().tabs.setCurrentWidget(view)  # hidden charts are drawn when shown
    seen = _events(view)
    view.epochs_box.setValue(epochs)
    with qtbot.waitSignal(view.worker.finished, timeout=TIMEOUT):
        assert view.start_training(finetune=finetune)
    qtbot.waitUntil(lambda: view.train_button.isEnabled(), timeout=30_000)
    view.worker.event.disconnect(seen.append)
    return seen


def _open_window(qtbot, settings_store, prompter, root: Path):
    from workbench.qt.main_window import MainWindow

    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(root)
    win.show()
    return win


@pytest.fixture
def tiny_root(tmp_path) -> Path:
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root)
    return root


def test_validation_curves_get_points_and_progress_shows_speed(
        qtbot, settings_store, prompter, tiny_root):
    config = tiny_root / "config.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(
        "    epochs: 100", "    evaluate_on_number_of_examples: 8\n"
        "    evaluate_every_number_of_epochs: 1\n    epochs: 100"), encoding="utf-8")
    win = _open_window(qtbot, settings_store, prompter, tiny_root)
    try:
        view = win.train_view
        _train(qtbot, view, epochs=3)
        chart = view.metric_chart
        for name in ("i_acc", "val_i_acc", "val_e_f1"):
            assert len(chart.curves[name].getData()[0]) == 3, name
        assert "held-out" in chart.legend_labels["val_i_acc"].text()
        assert "held-out evaluation examples" in chart.legend_labels[
            "val_i_acc"].toolTip()
        assert "intent loss" in view.loss_chart.legend_labels["i_loss"].text()
        assert "epochs/s" in view.speed.text() or "in all" in view.speed.text()
        # The run history keeps the per-epoch held-out metrics (for overlays).
        run = view.runs_panel.runs[0]
        assert all("val_i_acc" in row for row in run.epoch_metrics)
    finally:
        win.discard_and_close()


def test_first_model_becomes_active_and_survives_a_restart(
        qtbot, settings_store, prompter, tiny_root):
    win = _open_window(qtbot, settings_store, prompter, tiny_root)
    view = win.train_view
    assert view.active is None and not win.tester_view.has_model
    assert not view.continue_button.isEnabled()
    _train(qtbot, view)
    model = view.active
    assert model is not None and win.tester_view.has_model
    assert "no model was active" in " ".join(
        view.log.item(i).text() for i in range(view.log.count()))
    win.discard_and_close()

    again = _open_window(qtbot, settings_store, prompter, tiny_root)
    try:
        assert again.train_view.active == model
        tester = again.tester_view
        assert tester.has_model
        tester.input.setText("hello there")
        qtbot.waitUntil(lambda: bool(tester.ranking.rows()), timeout=60_000)
        assert again.train_view.continue_button.isEnabled()
    finally:
        again.discard_and_close()


def test_a_new_run_does_not_replace_the_active_model_unless_asked(
        qtbot, tiny_window):
    from workbench.training.active_model import active_model

    view = tiny_window.train_view
    _train(qtbot, view)
    first = view.active
    finished = [e for e in _train(qtbot, view) if hasattr(e, "model_path")][-1]
    second = Path(finished.model_path)
    assert second != first
    assert view.active == first  # not behind the user's back
    assert active_model(tiny_window.session.project.root) == first  # pinned on disk
    assert view.use_new_button.isVisibleTo(view)
    assert view.runs_panel.runs[0].model_path == str(second)  # newest first
    assert "not active" in view.log.item(view.log.count() - 1).text()
    view.use_new_button.click()
    assert view.active == second and active_model(
        tiny_window.session.project.root) == second
    assert "active" in view.runs_panel.table.item(0, MODEL).text()
    # The run list's button chooses any run's model.
    view.runs_panel.select_run(view.runs_panel.runs[1].id)
    view.runs_panel.activate_button.click()
    assert view.active == first


def test_overlaying_a_past_run_draws_its_curves(qtbot, tiny_window):
    view = tiny_window.train_view
    _train(qtbot, view, epochs=2)
    _train(qtbot, view, epochs=3)
    panel = view.runs_panel
    assert len(panel.runs) == 2 and not view.loss_chart.overlays
    assert "epochs 2 → 3" in panel.table.item(0, CHANGED).text()
    assert panel.table.item(1, CHANGED).text() == "first run"
    panel.set_ticked(panel.runs[1].id)  # the earlier, 2-epoch run
    overlays = view.loss_chart.overlays
    assert overlays and all(len(item.getData()[0]) == 2 for item in overlays.values())
    assert view.metric_chart.overlays
    panel.set_ticked(panel.runs[1].id, False)
    assert not view.loss_chart.overlays


def test_stop_keeps_a_usable_model_and_the_scatter_of_the_model_in_use(
        qtbot, tiny_window):
    from workbench.training.events import EpochCompleted, TrainingCancelled

    view = tiny_window.train_view
    _train(qtbot, view, epochs=2)
    active = view.active
    shown = {name: len(item.data) for name, item in view.embedding_view.items.items()}
    assert sum(shown.values()) > 0
    seen = _events(view)
    view.worker.event.connect(
        lambda e: view.stop_button.click() if isinstance(e, EpochCompleted) else None)
    view.epochs_box.setValue(500)
    with qtbot.waitSignal(view.worker.finished, timeout=TIMEOUT):
        view.start_training()
    cancelled = [e for e in seen if isinstance(e, TrainingCancelled)]
    assert len(cancelled) == 1 and cancelled[0].model_path
    assert sum(isinstance(e, EpochCompleted) for e in seen) < 500
    kept = Path(cancelled[0].model_path)
    from workbench.nlu.predictor_loader import load_model

    assert load_model(kept).parse("hello")["intent"]["name"]
    assert view.active == active  # the model in use stays, and so does its scatter
    assert {n: len(i.data) for n, i in view.embedding_view.items.items()} == shown
    assert "kept" in view.status.text()
    assert view.runs_panel.runs[0].status == "cancelled"
    assert view.use_model(kept) and view.active == kept


def test_hidden_charts_are_drawn_when_the_tab_is_shown(qtbot, tiny_window):
    view = tiny_window.train_view
    tabs = tiny_window.tabs
    tabs.setCurrentIndex(0)  # the Examples tab: the Train tab is hidden
    assert not view.isVisible()
    from workbench.training.events import EpochCompleted

    scheduled = []  # after each epoch (the view's handler ran first): a redraw due?
    view.worker.event.connect(lambda e: scheduled.append(
        view._redraw_timer.isActive()) if isinstance(e, EpochCompleted) else None)
    seen = _events(view)
    view.epochs_box.setValue(2)
    with qtbot.waitSignal(view.worker.finished, timeout=TIMEOUT):
        assert view.start_training()
    assert len(view.history.series("t_loss")[0]) == 2
    assert scheduled == [False, False]  # no redraws for a hidden tab
    tabs.setCurrentWidget(view)
    assert len(view.loss_chart.curves["t_loss"].getData()[0]) == 2
    assert sum(len(item.data) for item in view.embedding_view.items.values()) > 0
    assert seen


def test_training_error_shows_a_message_and_the_app_stays_usable(
        qtbot, settings_store, prompter, tmp_path):
    from workbench.core.examples import Example

    root = tmp_path / "one"
    (root / "data").mkdir(parents=True)
    (root / "data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n',
        encoding="utf-8")
    win = _open_window(qtbot, settings_store, prompter, root)
    try:
        view = win.train_view
        _train(qtbot, view, epochs=1)
        titles = [title for title, _ in prompter.asked]
        assert "Training failed" in titles
        message = dict(prompter.asked)["Training failed"]
        assert "2 intents" in message
        assert "failed" in view.status.text().lower()
        assert view.train_button.isEnabled() and not view.stop_button.isEnabled()
        assert view.active is None and not win.tester_view.has_model
        # the project is still there and editable
        assert win.session.project is not None
        add_example(win.session.project, Example("still editable", "greet"))
    finally:
        win.discard_and_close()


def test_ctrl_t_trains_unsaved_edits(qtbot, tiny_window):
    from workbench.core.examples import Example
    from workbench.training.events import TrainingStarted

    view = tiny_window.train_view
    project = tiny_window.session.project
    before = len(project.examples)
    add_example(project, Example("a brand new unsaved greeting", "greet"))
    seen = _events(view)
    view.epochs_box.setValue(1)
    with qtbot.waitSignal(view.worker.finished, timeout=TIMEOUT):
        tiny_window.actions["train"].trigger()
    started = next(e for e in seen if isinstance(e, TrainingStarted))
    assert started.n_examples == before + 1
    assert tiny_window.tabs.currentWidget() is view


def test_continue_training_finetunes_the_active_model(qtbot, tiny_window):
    from workbench.core.examples import Example
    from workbench.training.events import TrainingFinished, TrainingStarted

    view = tiny_window.train_view
    _train(qtbot, view)
    base = view.active
    project = tiny_window.session.project
    for text in ("when do you open", "opening hours please", "are you open now"):
        add_example(project, Example(text, "ask_hours"))  # a new intent is allowed
    seen = _train(qtbot, view, epochs=1, finetune=True)
    started = next(e for e in seen if isinstance(e, TrainingStarted))
    assert started.finetune_from == str(base)
    assert "ask_hours" in started.intents
    assert any(isinstance(e, TrainingFinished) for e in seen)
    assert "continued from" in view.runs_panel.table.item(0, CHANGED).text()


def test_delete_a_model_asks_first(qtbot, tiny_window, prompter):
    view = tiny_window.train_view
    _train(qtbot, view, epochs=1)
    _train(qtbot, view, epochs=1)
    first, second = view.active, Path(view.runs_panel.runs[0].model_path)
    prompter.answers.append("Cancel")
    assert not view.delete_model(first)
    assert first.is_dir() and view.active == first
    prompter.answers.append("Delete")
    assert view.delete_model(first)
    assert not first.exists()
    assert "active model" in prompter.asked[-1][1]  # the question said so
    assert view.active == second  # the newest remaining model took over
    assert tiny_window.tester_view.has_model
    assert view.runs_panel.table.item(1, MODEL).text() == "(deleted)"


def test_closing_the_window_during_training_stops_it(
        qtbot, settings_store, prompter, tiny_root):
    from workbench.training.events import EpochCompleted

    win = _open_window(qtbot, settings_store, prompter, tiny_root)
    view = win.train_view
    seen = _events(view)
    view.epochs_box.setValue(1000)
    assert view.start_training()
    qtbot.waitUntil(lambda: any(isinstance(e, EpochCompleted) for e in seen),
                    timeout=TIMEOUT)
    win.discard_and_close()
    assert not view.worker.is_running()  # stopped and joined, not abandoned


def test_scatter_items_are_prepared_a_few_per_event_loop_turn(qtbot):
    from workbench.qt.views.embedding_view import PREPARE_CHUNK, EmbeddingView

    view = EmbeddingView(lambda index: None)
    qtbot.addWidget(view)
    intents = [f"intent_{n:02d}" for n in range(3 * PREPARE_CHUNK + 1)]
    view.prepare(intents)
    assert not view.items  # nothing built inside the call
    qtbot.waitUntil(lambda: len(view.items) == len(intents), timeout=5_000)
    assert list(view.items) == intents  # legend in the order the run announced
    view.prepare(intents)  # already there: nothing queued
    assert not view._to_prepare
