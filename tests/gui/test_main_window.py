"""The main window: open, edit intents and examples, save like the core would."""

from __future__ import annotations

import shutil

from tests.gui.helpers import example_index, show_example
from workbench.core import commands
from workbench.core.examples import EntitySpan
from workbench.core.project import load_project
from workbench.qt.main_window import MainWindow


def test_open_shows_intents_examples_and_title(
    window, pizza_project_dir, settings_store
):
    project = window.session.project
    assert window.examples_view.filter_model.rowCount() == len(project.examples) == 10
    assert window.intent_model.names() == ["greet", "order_pizza", "goodbye"]
    assert window.intent_model.count("order_pizza") == 5
    assert window.windowTitle().startswith("pizza[*]") and not window.isWindowModified()
    assert settings_store.load().recent_projects[0] == str(pizza_project_dir.resolve())
    window.intent_panel.select_intent("goodbye")
    assert window.examples_view.filter_model.rowCount() == 2


def test_filter_bar_searches_text_intent_and_entity(qtbot, window):
    view = window.examples_view
    qtbot.keyClicks(view.filter_edit, "topping")
    view.field_box.setCurrentIndex(3)  # entity
    view.apply_filter()
    assert view.filter_model.rowCount() == 2
    view.filter_edit.setText("^(bye|hello)$")
    view.regex_box.setChecked(True)
    view.field_box.setCurrentIndex(1)  # text
    view.apply_filter()
    assert view.filter_model.rowCount() == 2
    view.filter_edit.setText("(")  # invalid: marked, filter unchanged, no exception
    view.apply_filter()
    assert view.filter_model.rowCount() == 2
    assert "regular expression" in view.filter_edit.toolTip()


def test_move_and_delete_selected_examples_with_undo(qtbot, window, prompter):
    view = window.examples_view
    window.intent_panel.select_intent("greet")
    view.table.selectAll()
    assert len(view.selected_rows()) == 3
    prompter.answers.append("goodbye")
    window.actions["move_examples"].trigger()
    assert window.intent_model.count("goodbye") == 5 and window.intent_model.count(
        "greet"
    ) == 0
    window.actions["undo"].trigger()
    assert window.intent_model.count("greet") == 3
    window.intent_panel.select_intent("goodbye")
    view.table.selectAll()
    view.table.setFocus()
    window.actions["delete_examples"].trigger()
    assert window.intent_model.count("goodbye") == 0
    assert len(window.session.project.examples) == 8
    window.actions["undo"].trigger()
    assert len(window.session.project.examples) == 10


def test_intent_add_rename_merge_delete(qtbot, window, prompter):
    prompter.answers.extend(["farewell", "smalltalk"])
    window.actions["add_intent"].trigger()
    assert "farewell" in window.intent_model.names()
    window.actions["rename_intent"].trigger()  # the new intent is current
    names = window.intent_model.names()
    assert "smalltalk" in names and "farewell" not in names
    window.intent_panel.view.selectAll()
    assert set(window.intent_panel.selected_intents()) == {
        "greet", "order_pizza", "goodbye", "smalltalk"
    }
    window.intent_panel.select_intent("greet")
    window.intent_panel.view.selectRow(window.intent_model.row_of("goodbye"))
    panel = window.intent_panel
    from PySide6.QtCore import QItemSelectionModel

    panel.view.selectionModel().select(
        panel.proxy.mapFromSource(
            window.intent_model.index(window.intent_model.row_of("greet"), 0)
        ),
        QItemSelectionModel.SelectionFlag.Select
        | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert set(panel.selected_intents()) == {"greet", "goodbye"}
    prompter.answers.append("greet")
    window.actions["merge_intents"].trigger()
    assert window.intent_model.count("greet") == 5
    assert "goodbye" not in window.intent_model.names()
    window.intent_panel.select_intent("greet")
    prompter.answers.append("Cancel")
    window.actions["delete_intent"].trigger()
    assert "greet" in window.intent_model.names()
    prompter.answers.append("Delete")
    window.actions["delete_intent"].trigger()
    assert "greet" not in window.intent_model.names()
    assert len(window.session.project.examples) == 5
    for _ in range(4):
        window.actions["undo"].trigger()
    assert window.intent_model.names() == ["greet", "order_pizza", "goodbye"]
    assert len(window.session.project.examples) == 10


def test_save_writes_what_the_core_writes(qtbot, window, pizza_project_dir, tmp_path):
    reference_dir = tmp_path / "reference"
    shutil.copytree(pizza_project_dir, reference_dir)
    text = "can I get a pepperoni pizza"
    editor = show_example(window, text)
    start = text.index("pepperoni")
    editor.annotate(start, start + len("pepperoni"), "topping")
    window.examples_view.select_example(example_index(window, "bye"))
    window.examples_view.table.selectRow(
        window.examples_view.table.currentIndex().row()
    )
    window.handlers.move_examples("greet")
    assert window.isWindowModified()
    window.actions["save"].trigger()
    assert not window.isWindowModified()
    # The same edits through the core on a copy of the original files:
    reference = load_project(reference_dir)
    stack = commands.UndoStack(reference)
    index = next(i for i, e in enumerate(reference.examples) if e.text == text)
    old = reference.examples[index]
    stack.push(commands.ReplaceExample(index, type(old)(
        old.text, old.intent, (EntitySpan(start, start + 9, "topping", "pepperoni"),),
        old.metadata, old.source)))  # fmt: skip
    bye = next(i for i, e in enumerate(reference.examples) if e.text == "bye")
    stack.push(commands.MoveExamples([bye], "greet"))
    reference.save()
    for name in ("nlu.yml",):
        saved = (pizza_project_dir / "data" / name).read_bytes()
        assert saved == (reference_dir / "data" / name).read_bytes()
    assert b"[pepperoni](topping) pizza" in saved


def test_close_with_unsaved_changes_asks(qtbot, window, prompter):
    show_example(window, "hello").annotate(0, 5, "greeting")
    prompter.answers.append("Cancel")
    window.close()
    assert window.isVisible()
    assert prompter.asked[-1][0] == "Quit"
    prompter.answers.append("Discard")
    window.close()
    assert not window.isVisible()


def test_window_layout_and_recent_projects_persist(
    qtbot, settings_store, pizza_project_dir, prompter
):
    first = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(first)
    first.open_project(pizza_project_dir)
    first.show()
    first.resize(first.width(), 560)  # the offscreen screen is 800 px wide: vary height
    first.problems_dock.hide()
    first.close()
    second = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(second)
    second.show()
    assert second.height() == 560
    assert not second.problems_dock.isVisible()
    assert [a.text() for a in second.recent_menu.actions()] == [
        str(pizza_project_dir.resolve())
    ]
    second.discard_and_close()


def test_shortcuts_dialog_lists_every_action_shortcut(qtbot, window):
    dialog = window.show_shortcuts()
    keys = dialog.shortcut_texts()
    for action in window.actions.values():
        if not action.shortcut().isEmpty():
            assert action.shortcut().toString() in keys
    assert "Ctrl+Z" in keys and "Ctrl+Shift+Z" in keys and "F1" in keys
    dialog.close()


def test_intent_name_filter_and_new_example_with_markup(qtbot, window, prompter):
    panel = window.intent_panel
    qtbot.keyClicks(panel.filter_edit, "ORDER")
    shown = [panel.proxy.index(r, 0).data() for r in range(panel.proxy.rowCount())]
    assert shown == ["All intents", "order_pizza"]
    panel.select_intent("order_pizza")
    prompter.answers.append("two [large](size) pizzas")
    window.actions["new_example"].trigger()
    editor = window.examples_view.editor
    example = editor.current_example()
    assert (example.text, example.intent) == ("two large pizzas", "order_pizza")
    assert [(s.start, s.end, s.entity) for s in example.entities] == [(4, 9, "size")]
    prompter.answers.append("a [broken]{json} one")
    assert not window.handlers.new_example()
    assert "not valid" in prompter.asked[-1][1]


def test_header_click_sorts_and_undo_keeps_rows(qtbot, window):
    from workbench.qt.models.example_table_model import INTENT_COLUMN

    view = window.examples_view
    view.table.sortByColumn(
        INTENT_COLUMN, view.table.horizontalHeader().sortIndicatorOrder()
    )
    model = view.filter_model
    intents = [model.index(r, INTENT_COLUMN).data() for r in range(model.rowCount())]
    assert intents in (sorted(intents), sorted(intents, reverse=True))
    assert window.isWindowModified() is False  # sorting is a view, not an edit


def test_third_click_on_a_header_restores_file_order(qtbot, window):
    from PySide6.QtCore import QPoint, Qt

    from workbench.qt.models.example_table_model import INTENT_COLUMN

    view = window.examples_view
    model = view.filter_model
    header = view.table.horizontalHeader()

    def texts() -> list[int]:  # source rows in view order
        return [model.mapToSource(model.index(r, 0)).row()
                for r in range(model.rowCount())]

    def intents() -> list[str]:
        return [model.index(r, INTENT_COLUMN).data() for r in range(model.rowCount())]

    file_order = texts()
    where = QPoint(header.sectionViewportPosition(INTENT_COLUMN) + 5, 5)
    seen = []
    for _ in range(3):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)
        seen.append(intents())
    assert sorted(seen[0]) in (seen[0], seen[1])  # one of the clicks sorts ascending
    assert seen[1] in (sorted(seen[1], reverse=True), sorted(seen[1]))
    assert texts() == file_order and header.sortIndicatorSection() == -1
