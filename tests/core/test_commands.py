"""Every command round-trips: redo then undo restores the exact previous state."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from workbench.core import commands as c
from workbench.core.examples import (
    EntitySpan,
    Example,
    LookupTable,
    RegexPattern,
    Synonym,
)
from workbench.core.project import load_project
from workbench.core.project_edits import add_example, remove_examples


def _state(project):
    return (
        [id(e) for e in project.examples],
        list(project.examples),
        list(project.intents),
        [id(x) for x in (*project.synonyms, *project.regexes, *project.lookups)],
    )


def _commands(project):
    pizza = project.examples_of("order_pizza")
    first = project.examples[pizza[0]]
    return [
        c.AddExample(Example("hiya", "greet")),
        c.AddExample(Example("new intent example", "brand_new")),
        c.RemoveExamples([0, pizza[1], pizza[2]]),
        c.ReplaceExample(pizza[0], dataclasses.replace(
            first, text="I want a large pizza",
            entities=(EntitySpan(9, 14, "size", "large"),))),
        c.MoveExamples(pizza[:2], "greet"),
        c.MoveExamples(pizza[:1], "another_new"),
        c.RenameIntent("order_pizza", "order"),
        c.MergeIntents(["greet", "goodbye"], "salutation"),
        c.MergeIntents(["goodbye"], "greet"),
        c.DeleteIntent("order_pizza"),
        c.AddIntent("empty_intent"),
        c.AnnotateEverywhere("pepperoni", EntitySpan(0, 9, "topping", "pepperoni")),
        c.ResourceEdit.add("synonyms", Synonym("cheese", ("mozzarella",))),
        c.ResourceEdit.remove("synonyms", 0),
        c.ResourceEdit.replace("synonyms", 0, Synonym("mushroom", ("shrooms",))),
        c.ResourceEdit.add("regexes", RegexPattern("zip", (r"\d{5}",)), index=0),
        c.ResourceEdit.remove("regexes", 0),
        c.ResourceEdit.replace("regexes", 0, RegexPattern("size", ("big",))),
        c.ResourceEdit.add("lookups", LookupTable("drink", ("cola",))),
        c.ResourceEdit.remove("lookups", 0),
        c.ResourceEdit.replace("lookups", 0, LookupTable("topping", ("ham",))),
    ]


@pytest.mark.parametrize("position", range(21))
def test_command_redo_undo_restores_state_and_bytes(golden_project: Path,
                                                    position: int) -> None:
    project = load_project(golden_project)
    command = _commands(project)[position]
    before = _state(project)
    files = {p: p.read_bytes() for p in golden_project.rglob("*.yml")}
    command.redo(project)
    assert _state(project) != before, command.text
    assert project.modified
    command.undo(project)
    assert _state(project) == before, command.text
    command.redo(project)  # redo after undo works too
    command.undo(project)
    assert _state(project) == before
    project.save()
    assert {p: p.read_bytes() for p in golden_project.rglob("*.yml")} == files
    assert isinstance(command.text, str) and command.text


def test_command_redo_saves_and_reloads(golden_project: Path) -> None:
    project = load_project(golden_project)
    stack = c.UndoStack(project)
    stack.push(c.MergeIntents(["goodbye"], "greet"))
    stack.push(c.RenameIntent("book_trip", "travel"))
    stack.push(c.DeleteIntent("faq/ask_hours"))
    stack.push(c.ResourceEdit.add("synonyms",
                                  Synonym("cheese", ("mozzarella", "cheddar"))))
    project.save()
    reloaded = load_project(golden_project)
    assert reloaded.load_issues == []
    assert reloaded.intents == ["greet", "order_pizza", "travel"]
    greet = [e.text for e in reloaded.examples if e.intent == "greet"]
    assert greet[:4] == ["hallo", "servus", "bye", "see you"]
    assert any(s.value == "cheese" for s in reloaded.synonyms)
    while stack.undo():
        pass
    project.save()
    golden = Path(__file__).parents[1] / "data" / "golden_project"
    for path in golden.rglob("*.y*ml"):  # undo across a save restores the bytes
        copy = golden_project / path.relative_to(golden)
        assert copy.read_bytes() == path.read_bytes(), path
    again = load_project(golden_project)
    assert again.intents == ["greet", "goodbye", "order_pizza", "faq/ask_hours",
                             "book_trip"]
    assert [e.text for e in again.examples] == [e.text for e in load_project(
        Path(__file__).parents[1] / "data" / "golden_project").examples]


def test_annotate_everywhere_preview_and_whole_words(golden_project: Path) -> None:
    project = load_project(golden_project)
    add_example(project, Example("pepperonis are not pepperoni", "order_pizza"))
    command = c.AnnotateEverywhere("Pepperoni",
                                   EntitySpan(0, 9, "topping", "Pepperoni"))
    # "a big one with pepperoni" + the new example's last word; annotated ones skipped
    assert command.preview(project) == 2
    command.redo(project)
    new = project.examples[project.examples_of("order_pizza")[-1]]
    assert [(s.start, s.end, s.value) for s in new.entities] == [(19, 28, "pepperoni")]
    assert command.preview(project) == 0


def test_example_list_emits_before_and_after_events(golden_project: Path) -> None:
    project = load_project(golden_project)
    log: list[tuple] = []
    for name in ("inserting", "inserted", "removing", "removed", "changed"):
        getattr(project.examples, name).connect(lambda *a, n=name: log.append((n, *a)))
    project.changed.connect(lambda: log.append(("project",)))
    example = Example("hiya", "greet")
    index = add_example(project, example)
    remove_examples(project, [index])
    names = [entry[0] for entry in log]
    assert [n for n in names if n != "project"] == [
        "inserting", "inserted", "removing", "removed"]
    assert names.count("project") == 2
    assert log[0] == ("inserting", index, (example,))
    assert ("removed", index, (example,)) in log


def test_new_intent_from_example_updates_intent_list(golden_project: Path) -> None:
    project = load_project(golden_project)
    seen = []
    project.intents_changed.connect(lambda: seen.append(list(project.intents)))
    add_example(project, Example("hello there", "brand_new"))
    assert seen and seen[-1][-1] == "brand_new"
