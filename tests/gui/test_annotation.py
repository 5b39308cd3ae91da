"""Annotating in the window: selection snapping, the type popup, undo, everywhere."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.helpers import drag_select, example_index, show_example


def _spans(window, text):
    example = window.session.project.examples[example_index(window, text)]
    return [(example.text[s.start : s.end], s.entity) for s in example.entities]


def test_mouse_selection_snaps_to_tokens_and_popup_digit_picks_type(qtbot, window):
    text = "can I get a pepperoni pizza"
    editor = show_example(window, text)
    start = text.index("pepperoni")
    # Drag from the middle of "pepperoni" to the middle of "pizza": whole tokens.
    drag_select(qtbot, editor.span_editor, start + 3, text.index("pizza") + 2)
    assert editor.span_editor.selection() == (start, len(text))
    popup = editor.type_popup
    assert popup.isVisible()
    types = popup.visible_types()
    assert "topping" in types
    qtbot.keyClick(popup.filter_edit, str(types.index("topping") + 1))
    assert not popup.isVisible()
    assert _spans(window, text) == [("pepperoni pizza", "topping")]
    assert window.isWindowModified()


def test_keyboard_selection_and_new_type_from_popup(qtbot, window):
    text = "pepperoni and olives on a large pizza"
    editor = show_example(window, text)
    span_editor = editor.span_editor
    span_editor.setFocus()
    qtbot.keyClick(span_editor, Qt.Key.Key_Home)
    qtbot.keyClick(span_editor, Qt.Key.Key_Right)
    qtbot.keyClick(span_editor, Qt.Key.Key_Right)  # caret on "olives"
    qtbot.keyClick(span_editor, Qt.Key.Key_Space)
    popup = editor.type_popup
    assert popup.isVisible()
    qtbot.keyClicks(popup.filter_edit, "extra")  # no such type: "create" is offered
    assert popup.visible_types() == []
    qtbot.keyClick(popup.filter_edit, Qt.Key.Key_Return)
    assert _spans(window, text) == [("olives", "extra")]
    # Shift+Right extends from the caret over the next tokens.
    qtbot.keyClick(span_editor, Qt.Key.Key_End)
    qtbot.keyClick(span_editor, Qt.Key.Key_Left)  # "large"
    qtbot.keyClick(span_editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert span_editor.selection() == (text.index("large"), len(text))
    qtbot.keyClick(span_editor, Qt.Key.Key_E)
    qtbot.keyClicks(popup.filter_edit, "siz")  # filter to "size", Enter picks it
    assert popup.visible_types() == ["size"]
    qtbot.keyClick(popup.filter_edit, Qt.Key.Key_Return)
    assert _spans(window, text) == [("olives", "extra"), ("large pizza", "size")]


def test_undo_redo_of_span_edits(qtbot, window):
    text = "can I get a pepperoni pizza"
    editor = show_example(window, text)
    start = text.index("pepperoni")
    assert editor.annotate(start, start + len("pepperoni"), "topping")
    editor.remove_span(0)
    assert _spans(window, text) == []
    window.actions["undo"].trigger()
    assert _spans(window, text) == [("pepperoni", "topping")]
    window.actions["undo"].trigger()
    assert _spans(window, text) == []
    assert not window.isWindowModified()  # back at the saved state
    window.actions["redo"].trigger()
    window.actions["redo"].trigger()
    assert _spans(window, text) == []
    assert window.session.history.stack.count() == 2
    assert editor.span_editor.spans() == ()  # the view follows the history


def test_annotate_everywhere_is_one_undo_step(qtbot, window):
    text = "can I get a pepperoni pizza"
    editor = show_example(window, text)
    start = text.index("pepperoni")
    editor.annotate(start, start + len("pepperoni"), "topping")
    bar = editor.everywhere_bar
    # "pepperoni" is unannotated in "pepperoni and olives…", annotated in the first.
    assert bar.isVisible() and bar.count == 1
    window.actions["annotate_everywhere"].trigger()
    assert _spans(window, "pepperoni and olives on a large pizza") == [
        ("pepperoni", "topping")
    ]
    assert not bar.isVisible()
    window.actions["undo"].trigger()
    assert _spans(window, "pepperoni and olives on a large pizza") == []
    assert _spans(window, text) == [("pepperoni", "topping")]


def test_span_properties_popup_edits_role_and_synonym(qtbot, window):
    text = "I want a large pepperoni pizza"
    editor = show_example(window, text)
    editor._on_span_editor_span_clicked(1)  # what a click on the second span does
    popup = editor.properties_popup
    assert popup.isVisible() and popup.entity_box.currentText() == "topping"
    popup.role_edit.setText("extra")
    popup.value_edit.setText("pepperoni_sausage")
    qtbot.keyClick(popup.role_edit, Qt.Key.Key_Return)
    span = window.session.project.examples[example_index(window, text)].entities[1]
    assert (span.entity, span.role, span.value) == (
        "topping", "extra", "pepperoni_sausage"
    )
    editor._on_span_editor_span_clicked(0)
    popup.span_removed.emit()
    assert _spans(window, text) == [("pepperoni", "topping")]


def test_text_edit_keeps_spans_and_markup_stays_in_sync(qtbot, window):
    text = "I want a large pepperoni pizza"
    editor = show_example(window, text)
    editor.text_edit.setFocus()
    editor.text_edit.setCursorPosition(0)
    qtbot.keyClicks(editor.text_edit, "Please, ")
    assert editor.span_editor.text() == "Please, " + text
    assert editor.span_editor.spans()[0].start == text.index("large") + len("Please, ")
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Return)  # commit and go to the next
    edited = "Please, " + text
    assert _spans(window, edited) == [("large", "size"), ("pepperoni", "topping")]
    assert window.examples_view.editor.current_example().text != edited
    editor = show_example(window, edited)
    window.actions["toggle_markup"].trigger()
    markup = "Please, I want a [large](size) [pepperoni](topping) pizza"
    assert editor.text_edit.text() == markup
    editor.text_edit.setText("")
    qtbot.keyClicks(editor.text_edit, "a [small](size) pizza")
    assert [(s.start, s.end, s.entity) for s in editor.span_editor.spans()] == [
        (2, 7, "size")
    ]
    editor.commit_draft()
    qtbot.keyClicks(editor.text_edit, " [x]{bad}")  # invalid markup: error, no change
    assert editor.error_label.isVisibleTo(editor)
    assert "column" in editor.error_label.text()
    assert not editor.commit_draft()
    assert _spans(window, "a small pizza") == [("small", "size")]
