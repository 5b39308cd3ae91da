"""The window's open/save guards (issue 9, window items 1-3).

A file that did not load is never written; a save that would create a file asks
first; a folder with no Rasa data opens only when the user agrees; switching projects
never applies the old project's row or draft to the new one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.gui.conftest import PIZZA_NLU
from tests.gui.helpers import example_index, show_example
from workbench.core.project import load_project
from workbench.qt.main_window import MainWindow

BROKEN_NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: goodbye
  examples: |
    - bye
- intent: [farewell
  examples: |
    - see you
"""

SMALL_NLU = """\
version: "3.1"
nlu:
- intent: thank
  examples: |
    - thanks
    - thank you
"""


def _asked_titles(prompter) -> list[str]:
    return [title for title, _text in prompter.asked]


def _files(root: Path) -> dict[Path, bytes]:
    return {
        p: p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".workbench" not in p.parts
    }


@pytest.fixture
def open_window(qtbot, settings_store, prompter):
    """Open a window on ``path`` (no project before); closed without prompts after."""
    windows = []

    def make(path: Path | None = None) -> MainWindow:
        win = MainWindow(settings_store=settings_store, prompter=prompter)
        qtbot.addWidget(win)
        win.resize(1100, 760)
        win.show()
        if path is not None:
            win.open_project(path)
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.discard_and_close()


def _add_intent_with_example(window, prompter, intent: str, text: str) -> None:
    prompter.answers.extend([intent, text])
    window.actions["add_intent"].trigger()
    window.actions["new_example"].trigger()
    assert window.session.project.examples[-1].text == text or any(
        e.text == text and e.intent == intent for e in window.session.project.examples
    )


# -- item 1: broken files are never written -------------------------------------------
def test_broken_file_in_folder_is_kept_and_new_intent_needs_consent(
    qtbot, open_window, prompter, tmp_path
):
    root = tmp_path / "broken"
    (root / "data").mkdir(parents=True)
    broken = root / "data" / "nlu.yml"
    broken.write_text(BROKEN_NLU, encoding="utf-8")
    (root / "config.yml").write_text('language: en\npipeline: []\n', encoding="utf-8")
    original = broken.read_bytes()
    window = open_window(root)

    title, notice = prompter.asked[-1]
    assert title == "Some files did not load"
    assert "1 file(s) did not load and will not be saved until fixed" in notice
    assert "data/nlu.yml, line" in notice
    assert "1 file(s) not loaded" in window.status_label.text()
    window.validate_now()
    assert any(i.path == broken for i in window.problems_panel.model.issues())

    _add_intent_with_example(window, prompter, "ask_time", "what time is it")
    before = _files(root)
    prompter.answers.append("Don't save")
    assert not window.save()
    title, question = prompter.asked[-1]
    assert title == "Create new files?" and "'ask_time'" in question
    assert _files(root) == before  # nothing written, nothing created
    assert window.isWindowModified()
    assert "Nothing was saved" in window.statusBar().currentMessage()

    prompter.answers.append("Create")
    assert window.save()
    assert broken.read_bytes() == original  # byte-identical
    created = [p for p in _files(root) if p not in before]
    assert created, "the new intent went nowhere"
    saved = [
        (e.intent, e.text) for p in created for e in load_project(p).examples
    ]
    assert ("ask_time", "what time is it") in saved
    assert not window.isWindowModified()
    assert "not be saved until fixed" in window.statusBar().currentMessage()
    issues = window.validate_now()
    assert any(i.path == broken and i.severity == "error" for i in issues)


def test_single_broken_file_refuses_to_save(qtbot, open_window, prompter, tmp_path):
    folder = tmp_path / "some"
    (folder / "data").mkdir(parents=True)
    neighbour = folder / "data" / "nlu.yml"  # never opened: must stay untouched
    neighbour.write_text(PIZZA_NLU, encoding="utf-8")
    broken = folder / "broken.yml"
    broken.write_text(BROKEN_NLU, encoding="utf-8")
    before = _files(folder)
    window = open_window(broken)
    assert "Nothing can be saved until the file is fixed" in prompter.asked[-1][1]

    _add_intent_with_example(window, prompter, "ask_time", "what time is it")
    assert not window.save()
    title, message = prompter.asked[-1]
    assert title == "Save failed" and "Nothing was saved" in message
    assert _files(folder) == before
    assert window.isWindowModified()
    assert not window.statusBar().currentMessage().startswith("Saved")


# -- item 2: a folder with no Rasa data ---------------------------------------------
def test_folder_without_rasa_data_asks_before_opening_and_creating(
    qtbot, open_window, prompter, tmp_path, pizza_project_dir
):
    window = open_window(pizza_project_dir)
    plain = tmp_path / "notes"
    plain.mkdir()
    (plain / "README.md").write_text("just notes\n", encoding="utf-8")

    prompter.answers.append("Cancel")
    assert not window.open_project(plain)
    title, question = prompter.asked[-1]
    assert title == "No Rasa data found" and str(plain) in question
    assert window.session.path == pizza_project_dir
    assert len(window.session.project.examples) == 10

    prompter.answers.append("Open anyway")
    assert window.open_project(plain)
    assert window.session.path == plain and len(window.session.project.examples) == 0
    _add_intent_with_example(window, prompter, "greet", "hello there")
    old_umask = os.umask(0o002)
    try:
        prompter.answers.append("Create")
        assert window.save()
    finally:
        os.umask(old_umask)
    assert prompter.asked[-1][0] == "Create new files?"
    created = [p for p in _files(plain) if p.suffix in (".yml", ".yaml")]
    assert created
    for path in created:
        assert stat.S_IMODE(path.stat().st_mode) == 0o664  # 0666 & ~umask
    assert [(e.intent, e.text) for e in load_project(plain).examples] == [
        ("greet", "hello there")
    ]
    # The problems panel shows what is on disk: the folder has Rasa data now.
    assert all(i.code != "no-project-data" for i in window.validate_now())


# -- item 3: switching projects -----------------------------------------------------
@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    root = tmp_path / "small"
    (root / "data").mkdir(parents=True)
    (root / "data" / "nlu.yml").write_text(SMALL_NLU, encoding="utf-8")
    return root


def _type_draft(qtbot, editor, text: str) -> None:
    editor.text_edit.selectAll()
    qtbot.keyClicks(editor.text_edit, text)  # textEdited: a draft, not committed


@pytest.mark.parametrize("answer", ["Save", "Discard"])
def test_switch_with_pending_draft_never_touches_the_new_project(
    qtbot, window, prompter, pizza_project_dir, small_project, answer
):
    last = "pepperoni and olives on a large pizza"  # a row the small project lacks
    index = example_index(window, last)
    assert index >= 2
    editor = show_example(window, last)
    _type_draft(qtbot, editor, "a draft for the old project")
    prompter.answers.append(answer)
    assert window.open_project(small_project)

    assert prompter.asked[-1][0] == "Open another project"
    new = window.session.project
    assert [e.text for e in new.examples] == ["thanks", "thank you"]
    assert not window.isWindowModified()
    assert window.examples_view.editor.current_example() == new.examples[0]
    assert (small_project / "data" / "nlu.yml").read_text() == SMALL_NLU
    old_file = (pizza_project_dir / "data" / "nlu.yml").read_text()
    if answer == "Save":
        assert "- a draft for the old project\n" in old_file
        assert last not in old_file
    else:
        assert old_file == PIZZA_NLU


def test_reload_after_external_change_drops_the_draft(
    qtbot, window, prompter, pizza_project_dir
):
    editor = show_example(window, "good morning")
    _type_draft(qtbot, editor, "an unsaved draft")
    nlu = pizza_project_dir / "data" / "nlu.yml"
    prompter.answers.append("Reload")
    nlu.write_text(PIZZA_NLU.replace("- bye\n", "- bye bye\n"), encoding="utf-8")
    qtbot.waitUntil(
        lambda: "Files changed on disk" in _asked_titles(prompter), timeout=5000
    )
    assert example_index(window, "bye bye") >= 0
    assert "Open another project" not in _asked_titles(prompter)  # not asked twice
    assert all(e.text != "an unsaved draft" for e in window.session.project.examples)
    assert not window.isWindowModified()
    assert "- an unsaved draft" not in nlu.read_text()


def test_old_editor_never_writes_into_the_new_project(
    qtbot, window, prompter, small_project
):
    old_editor = show_example(window, "pepperoni and olives on a large pizza")
    assert window.open_project(small_project)
    # A stale editor (e.g. a late signal) reads nothing and writes nothing.
    assert old_editor.current_example() is None
    assert not old_editor.annotate(0, 3, "thing")
    assert not old_editor.commit_draft()
    assert [e.text for e in window.session.project.examples] == ["thanks", "thank you"]
    assert not window.isWindowModified()


def test_switch_resets_resource_rows_training_and_tester(
    qtbot, window, prompter, small_project
):
    synonyms = window.resource_views[0]
    assert synonyms.current_entry() is not None
    window.train_view._snapshot = window.session.project.snapshot()  # a trained run
    window.tester_view.has_model = True
    jumps = []
    window.train_view.example_activated.connect(jumps.append)
    assert window.open_project(small_project)
    assert synonyms.current_entry() is None and synonyms.entry_list.count() == 0
    window.train_view.embedding_view.example_activated.emit(0)  # old run's point
    assert jumps == []
    assert not window.tester_view.has_model
    assert not window.tester_view.add_button.isEnabled()


def test_no_rasa_data_cancel_keeps_unsaved_edits(
    qtbot, window, prompter, tmp_path
):
    show_example(window, "hello").annotate(0, 5, "greeting")
    empty = tmp_path / "empty"
    empty.mkdir()
    prompter.answers.append("Cancel")
    assert not window.open_project(empty)
    assert _asked_titles(prompter)[-1] == "No Rasa data found"  # asked first
    assert window.isWindowModified()
    hello = window.session.project.examples[example_index(window, "hello")]
    assert [s.entity for s in hello.entities] == ["greeting"]


def test_switch_during_training_drops_the_old_run(
    qtbot, tiny_window, pizza_project_dir
):
    trained = []
    view = tiny_window.train_view
    view.model_trained.connect(trained.append)
    assert view.start_training()
    assert tiny_window.open_project(pizza_project_dir)  # no unsaved edits: no question
    qtbot.waitUntil(lambda: view.train_button.isEnabled(), timeout=60000)
    assert trained == []  # the old project's model never reaches the tester
    assert not tiny_window.tester_view.has_model
    assert view.log.count() == 0 and view.status.text() == "Not trained yet"
