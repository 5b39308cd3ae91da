"""Characters a file cannot hold: the window says which and where, nothing changes."""

from __future__ import annotations

from tests.gui.helpers import show_example
from workbench.core.commands import AddIntent


def test_control_character_in_example_text_is_shown_and_not_written(qtbot, window):
    text = "I want a large pepperoni pizza"
    editor = show_example(window, text)
    project = window.session.project
    before = list(project.examples)
    editor.text_edit.setFocus()
    editor.text_edit.setCursorPosition(1)
    editor.text_edit.insert("\x07")  # as typed or pasted (keyClicks cannot send it)
    message = editor.error_label.text()
    assert editor.error_label.isVisibleTo(editor)
    assert "U+0007 (a control character) at position 2" in message
    assert not editor.commit_draft()
    assert list(project.examples) == before


def test_refused_intent_name_reaches_the_status_bar(window):
    project = window.session.project
    assert not window.session.history.push(AddIntent("bad\u2028name"))
    assert "U+2028 (a line break)" in window.statusBar().currentMessage()
    assert "bad\u2028name" not in project.intents
