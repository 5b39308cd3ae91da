"""ResourceEdit: one undoable command for synonym, regex and lookup edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.commands import ResourceEdit, UndoStack
from workbench.core.examples import LookupTable, Synonym
from workbench.core.project import load_project


def test_resource_edit_names_each_move_for_the_undo_menu() -> None:
    cheese = Synonym("cheese", ("mozzarella",))
    assert ResourceEdit.add("synonyms", cheese).text == "Add synonym cheese"
    assert ResourceEdit.remove("regexes", 0).text == "Remove regex"
    assert (ResourceEdit.replace("lookups", 1, LookupTable("drink", ("cola",))).text
            == "Edit lookup table drink")


def test_resource_edit_singular_kind_appends_and_signals_the_list(
        golden_project: Path) -> None:
    project = load_project(golden_project)
    seen: list[str] = []
    project.resources_changed.connect(seen.append)
    before = list(project.synonyms)
    stack = UndoStack(project)
    stack.push(ResourceEdit.add("synonym", Synonym("cheese", ("mozzarella",))))
    assert [s.value for s in project.synonyms] == [*(s.value for s in before), "cheese"]
    stack.push(ResourceEdit.remove("synonyms", 0))
    assert stack.undo() and stack.undo()
    assert project.synonyms == before
    assert all(a is b for a, b in zip(project.synonyms, before, strict=True))
    assert seen == ["synonyms"] * 4
    assert stack.redo() and project.synonyms[-1].value == "cheese"


def test_resource_edit_unknown_kind_is_a_clear_error(golden_project: Path) -> None:
    project = load_project(golden_project)
    with pytest.raises(ValueError, match="unknown resource list 'entities'"):
        UndoStack(project).push(ResourceEdit.remove("entities", 0))
    assert not project.modified
