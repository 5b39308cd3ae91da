"""Training settings tab: config.yml round trip, refused values, undo, no config."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from workbench.core.machine_options import MachineOptions, read_machine_options
from workbench.core.yaml_io.roundtrip import detect_style, load_yaml, read_text

CONFIG = ("# Our tuned pipeline\n"
          "recipe: default.v1\n"
          "language: en  # English only\n"
          "\n"
          "pipeline:\n"
          "    - name: WhitespaceTokenizer\n"
          "    # features\n"
          "    - name: CountVectorsFeaturizer\n"
          "    - name: DIETClassifier   # the model\n"
          "      epochs: 300            # long run\n"
          "      'batch_size': [64, 256]\n"
          "      # keep it quick\n"
          "      transformer_size: 128\n"
          "    # synonyms last\n"
          "    - name: EntitySynonymMapper\n")


def _diet(path: Path) -> dict:
    text = read_text(path)
    tree = load_yaml(text, detect_style(text))
    return next(e for e in tree["pipeline"] if e["name"] == "DIETClassifier")


def _type(panel, name: str, text: str) -> None:
    field = panel.fields[name]
    field.setText(text)
    field.editingFinished.emit()


@pytest.fixture
def configured(pizza_project_dir: Path) -> Path:
    (pizza_project_dir / "config.yml").write_text(CONFIG, encoding="utf-8")
    return pizza_project_dir


@pytest.fixture
def settings_window(qtbot, settings_store, configured, prompter):
    from workbench.qt.main_window import MainWindow

    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(configured)
    win.tabs.setCurrentWidget(win.settings_panel)
    win.resize(1100, 800)
    win.show()
    yield win
    win.discard_and_close()


def test_settings_round_trip_keeps_comments_and_undo_restores_bytes(
        settings_window, configured: Path, prompter) -> None:
    panel = settings_window.settings_panel
    config = configured / "config.yml"
    assert panel.fields["epochs"].text() == "300"
    assert panel.fields["batch_size"].text() == "64, 256"
    assert panel.fields["learning_rate"].text() == "0.001"  # DIET's default, shown
    assert not panel.resets["learning_rate"].isEnabled()  # not set in the file
    _type(panel, "epochs", "42")
    _type(panel, "batch_size", "32, 128")
    _type(panel, "learning_rate", "0.0005")
    assert settings_window.session.dirty
    assert settings_window.session.project.config["pipeline"][2]["epochs"] == 42
    assert read_text(config) == CONFIG  # written by the save, not before
    assert settings_window.save()
    saved = read_text(config)
    changed = [line for line in difflib.ndiff(CONFIG.splitlines(), saved.splitlines())
               if line[:1] in "+-"]
    assert sorted(changed) == sorted([
        "-       epochs: 300            # long run",
        "+       epochs: 42             # long run",
        "-       'batch_size': [64, 256]",
        "+       'batch_size': [32, 128]",
        "+       learning_rate: 0.0005"]), changed
    assert _diet(config)["learning_rate"] == 0.0005
    stack = settings_window.session.history.stack
    for _ in range(3):
        stack.undo()
    assert panel.fields["epochs"].text() == "300"
    assert settings_window.save()
    assert read_text(config) == CONFIG
    assert not prompter.asked  # no "create files?" nor "changed on disk" question
    assert not settings_window.session.dirty


@pytest.mark.parametrize(("name", "text", "reason"), [
    ("epochs", "0", "out of range"),
    ("epochs", "many", "whole number"),
    ("learning_rate", "-1", "positive number"),
    ("transformer_size", "130", "must divide transformer_size"),
    ("batch_size", "1, 2, 3", "two: from, to"),
    ("evaluate_every_number_of_epochs", "0", "at least 1, or -1"),
    ("hidden_text", "256, x", "whole number"),
])
def test_invalid_value_is_refused_at_the_field_with_the_reason(
        settings_window, configured: Path, name: str, text: str, reason: str) -> None:
    panel = settings_window.settings_panel
    stack = settings_window.session.history.stack
    _type(panel, name, text)
    assert not panel.errors[name].isHidden()
    assert reason in panel.errors[name].text()
    assert stack.count() == 0 and not settings_window.session.dirty
    assert not settings_window.session.project.config_file.modified
    settings_window.save()
    assert read_text(configured / "config.yml") == CONFIG
    _type(panel, "epochs", "12")  # a valid value clears nothing else but is accepted
    assert stack.count() == 1


def test_default_button_removes_the_key(settings_window, configured: Path) -> None:
    panel = settings_window.settings_panel
    panel.resets["transformer_size"].click()
    assert panel.fields["transformer_size"].text() == "256"
    assert settings_window.save()
    assert "transformer_size" not in _diet(configured / "config.yml")
    saved = read_text(configured / "config.yml")
    # the comment line right above the key goes with it; the others stay
    own = "      # keep it quick\n      transformer_size: 128\n"
    assert saved == CONFIG.replace(own, "")


def test_no_config_shows_defaults_and_creates_the_file_after_asking(
        qtbot, window, pizza_project_dir: Path, prompter) -> None:
    panel = window.settings_panel
    config = pizza_project_dir / "config.yml"
    assert "no config.yml" in panel.status.text()
    assert panel.fields["epochs"].text() == "100"  # Rasa's default pipeline
    assert panel.fields["constrain_similarities"].isChecked()
    prompter.answers.append("Cancel")
    _type(panel, "epochs", "5")
    assert prompter.asked and "config.yml" in prompter.asked[-1][0]
    assert panel.fields["epochs"].text() == "100"  # refused: shown as before
    assert window.session.history.stack.count() == 0
    prompter.answers.append("Create config.yml")
    _type(panel, "epochs", "5")
    assert window.session.history.stack.count() == 1
    assert not config.exists()
    assert window.save()
    assert _diet(config) == {"name": "DIETClassifier", "epochs": 5,
                             "constrain_similarities": True}
    assert "# DIET: the transformer" in read_text(config)


def test_device_and_threads_are_kept_for_this_computer_at_once(
        qtbot, settings_window, configured: Path) -> None:
    panel = settings_window.settings_panel
    panel.detect_devices()  # started when the tab was shown; once only
    qtbot.waitUntil(lambda: panel.devices_known, timeout=120_000)
    devices = [panel.device_box.itemData(i) for i in range(panel.device_box.count())]
    assert devices[:2] == ["auto", "cpu"]
    panel.device_box.setCurrentIndex(1)
    panel.device_box.activated.emit(1)
    panel.threads_box.setValue(1)
    panel.threads_box.editingFinished.emit()
    assert read_machine_options(configured)[0] == MachineOptions("cpu", 1)
    assert read_text(configured / "config.yml") == CONFIG
    assert not settings_window.session.dirty  # a preference: nothing to save
    panel.threads_box.setValue(0)
    panel.threads_box.editingFinished.emit()
    assert read_machine_options(configured)[0] == MachineOptions("cpu", None)
    assert panel.threads_box.text() == "auto"


def test_in_app_training_uses_the_edited_epochs_and_device(qtbot, tiny_window) -> None:
    from workbench.training.events import TrainingStarted

    panel = tiny_window.settings_panel
    view = tiny_window.train_view
    _type(panel, "epochs", "2")
    cpu = panel.device_box.findData("cpu")
    panel.device_box.setCurrentIndex(cpu)
    panel.device_box.activated.emit(cpu)
    assert view.epochs_box.value() == 0  # "as configured"
    started: list[TrainingStarted] = []
    view.worker.event.connect(
        lambda e: started.append(e) if isinstance(e, TrainingStarted) else None)
    assert view.start_training()
    qtbot.waitUntil(lambda: view.train_button.isEnabled(), timeout=180_000)
    assert started and started[0].epochs == 2 and started[0].device == "cpu"
    epochs, _ = view.history.series(view.history.names[0])
    assert list(epochs) == [1, 2]


def test_unsaved_settings_are_restored_after_a_crash(
        qtbot, settings_window, settings_store, prompter, configured: Path) -> None:
    from workbench.qt.main_window import MainWindow

    _type(settings_window.settings_panel, "epochs", "77")
    path = settings_window.guard.write_recovery_now()
    assert path is not None
    settings_window.discard_and_close()  # like a crash: nothing saved
    second = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(second)
    prompter.answers.append("Restore")
    second.open_project(configured)
    assert prompter.asked[-1][0] == "Restore unsaved work?"
    assert second.settings_panel.fields["epochs"].text() == "77"
    assert second.session.project.config["pipeline"][2]["epochs"] == 77
    assert read_text(configured / "config.yml") == CONFIG
    assert second.save()
    assert _diet(configured / "config.yml")["epochs"] == 77
    second.discard_and_close()
