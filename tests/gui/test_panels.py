"""Problems panel (live validation, jump, one-click fix) and the resource editors."""

from __future__ import annotations

from tests.gui.helpers import example_index
from workbench.core.examples import Example
from workbench.qt.views.resource_editor_view import ResourceEditorView


def test_problems_update_live_jump_and_fix(qtbot, window):
    panel = window.problems_panel
    codes = {issue.code for issue in panel.model.issues()}
    assert "duplicate-example" not in codes
    window.session.add_example(Example("see you later", "goodbye"))
    # Validation is debounced after edits: wait for the duplicate to be listed.
    qtbot.waitUntil(
        lambda: any(i.code == "duplicate-example" for i in panel.model.issues()),
        timeout=10000,
    )
    row = next(
        r for r, i in enumerate(panel.model.issues()) if i.code == "duplicate-example"
    )
    issue = panel.model.issues()[row]
    panel.view.selectRow(row)
    panel._on_view_double_clicked(panel.model.index(row, 1))  # double-click: message
    assert window.examples_view.editor.current_row() == issue.example_index
    assert panel.fix_button.isEnabled()
    panel.fix_button.click()
    assert sum(e.text == "see you later" for e in window.session.project.examples) == 1
    window.validate_now()
    assert not any(i.code == "duplicate-example" for i in panel.model.issues())
    window.actions["undo"].trigger()  # the fix is undoable like any edit
    assert sum(e.text == "see you later" for e in window.session.project.examples) == 2


def test_missed_annotation_fix_annotates(qtbot, window):
    # "pepperoni" is annotated once and unannotated twice: annotate the same word in
    # one more example so that annotated occurrences outnumber the misses.
    editor = window.examples_view
    window.session.add_example(Example("more pepperoni", "order_pizza"))
    index = example_index(window, "more pepperoni")
    editor.select_example(index)
    editor.editor.annotate(5, 14, "topping")
    editor.editor.everywhere_bar.hide()
    issues = window.validate_now()
    missed = [i for i in issues if i.code == "missed-annotation"]
    assert missed, [i.code for i in issues]
    window.session.apply_fix(missed[0])
    fixed = window.session.project.examples[missed[0].example_index]
    assert any(fixed.text[s.start : s.end] == "pepperoni" for s in fixed.entities)


def _editor(window, title: str) -> ResourceEditorView:
    return next(v for v in window.resource_views if v.kind.title == title)


def test_synonym_editor_add_edit_remove_with_undo(qtbot, window, prompter):
    view = _editor(window, "Synonyms")
    assert [view.entry_list.item(r).text() for r in range(view.entry_list.count())] == [
        "pepperoni  (2)"
    ]
    prompter.answers.append("mushrooms")
    assert view.add_entry()
    view.entry_list.setCurrentRow(1)
    assert view.add_item("mushroom")
    assert view.add_item("shrooms")
    assert window.session.project.synonyms[1].examples == ("mushroom", "shrooms")
    view.item_list.item(1).setText("champignons")  # in-place edit of an item
    assert window.session.project.synonyms[1].examples == ("mushroom", "champignons")
    view.item_list.setCurrentRow(0)
    view.item_list.item(0).setSelected(True)
    assert view.remove_items()
    assert window.session.project.synonyms[1].examples == ("champignons",)
    for _ in range(4):
        window.actions["undo"].trigger()
    assert [s.value for s in window.session.project.synonyms] == [
        "pepperoni", "mushrooms"
    ]
    window.actions["undo"].trigger()
    assert [s.value for s in window.session.project.synonyms] == ["pepperoni"]


def test_regex_editor_rejects_bad_pattern(qtbot, window):
    view = _editor(window, "Regexes")
    view.entry_list.setCurrentRow(0)
    before = window.session.project.regexes[0].patterns
    assert not view.add_item("(unclosed")
    assert "Invalid pattern" in view.message.text()
    assert window.session.project.regexes[0].patterns == before
    assert view.add_item(r"\bxl\b")
    assert window.session.project.regexes[0].patterns == (*before, r"\bxl\b")


def test_lookup_editor_rename(qtbot, window):
    view = _editor(window, "Lookup tables")
    view.entry_list.setCurrentRow(0)
    assert view.rename_entry("toppings")
    assert window.session.project.lookups[0].name == "toppings"
    assert view.entry_list.item(0).text() == "toppings  (3)"
