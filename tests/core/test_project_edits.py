"""Single edits change only the lines they must; saves are atomic."""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path

import pytest

from workbench.core.examples import EntitySpan, Example, LookupTable, Synonym
from workbench.core.locations import example_locations
from workbench.core.project import NewFilesNeeded, load_project
from workbench.core.project_edits import (
    add_example,
    add_intent,
    insert_resource,
    remove_examples,
    remove_intent,
    rename_intent,
    replace_example,
    replace_resource,
)
from workbench.core.saving import files_to_create
from workbench.core.text_rules import TextRuleError
from workbench.core.yaml_io.nlu_writer import SaveError


def _diff(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                         lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _index(project, text: str) -> int:
    return next(i for i, e in enumerate(project.examples) if e.text == text)


def test_project_edit_one_example_changes_one_line(golden_project: Path) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_text()
    project = load_project(golden_project)
    index = _index(project, "one small pizza with mushrooms please")
    old = project.examples[index]
    spans = (EntitySpan(4, 9, "size", "small"), EntitySpan(21, 27, "topping", "olives"))
    new = dataclasses.replace(old, text="one small pizza with olives please",
                              entities=spans)
    replace_example(project, index, new)
    assert project.modified
    assert project.save() == [nlu]
    assert not project.modified
    assert _diff(before, nlu.read_text()) == [
        "-    - one [small](size) pizza with [mushrooms](topping:mushroom) please",
        "+    - one [small](size) pizza with [olives](topping) please",
    ]


def test_project_add_example_goes_after_its_intent_block(golden_project: Path) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_text()
    project = load_project(golden_project)
    oslo = EntitySpan(10, 16, "city", "Oslo")
    bad = add_example(project, Example("a trip to [Oslo]", "book_trip", (oslo,)))
    with pytest.raises(SaveError, match="markup"):
        project.save()  # "[Oslo](city)" inside brackets would read back differently
    assert nlu.read_text() == before
    remove_examples(project, [bad])
    oslo = EntitySpan(10, 14, "city", "Oslo", role="destination")
    add_example(project, Example("a trip to Oslo", "book_trip", (oslo,)))
    project.save()
    lines = nlu.read_text().splitlines()
    position = lines.index(
        '    - a trip to [Oslo]{"entity": "city", "role": "destination"}')
    assert lines[position - 1].startswith("    - a trip to [Paris]")
    assert len(_diff(before, nlu.read_text())) == 1


def test_project_new_intent_gets_a_new_block_in_chosen_file(golden_project: Path
                                                            ) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_text()
    project = load_project(golden_project)
    add_intent(project, "farewell", path=nlu)
    add_example(project, Example("bye", "farewell"))
    add_example(project, Example("see you later", "farewell"))
    assert project.save() == [nlu]
    after = nlu.read_text()
    assert after.startswith(before.split("responses:")[0].rstrip("\n"))
    block = "- intent: farewell\n  examples: |\n    - bye\n    - see you later\n"
    assert block in after
    reloaded = load_project(golden_project)
    farewell = [e.text for e in reloaded.examples if e.intent == "farewell"]
    assert farewell == ["bye", "see you later"]
    assert reloaded.load_issues == []


def test_project_rename_intent_keeps_quotes(golden_project: Path) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_text()
    project = load_project(golden_project)
    rename_intent(project, "faq/ask_hours", "faq/opening_hours")
    project.save()
    changed = _diff(before, nlu.read_text())
    assert len(changed) == 2
    assert changed[0] == (
        "-- intent: 'faq/ask_hours'   # retrieval intent, quoted on purpose")
    assert changed[1].startswith("+- intent: 'faq/opening_hours'")
    assert changed[1].endswith("# retrieval intent, quoted on purpose")
    intents = [e.intent for e in load_project(golden_project).examples]
    assert intents.count("faq/opening_hours") == 3


def test_project_list_style_edit_keeps_metadata(golden_project: Path) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_text()
    project = load_project(golden_project)
    index = _index(project, "when do you open?")
    example = project.examples[index]
    edited = dataclasses.replace(example, text="when do you open")
    replace_example(project, index, edited)
    project.save()
    assert _diff(before, nlu.read_text()) == [
        '-  - text: "when do you open?"',
        '+  - text: "when do you open"',
    ]
    reloaded = load_project(golden_project)
    assert reloaded.examples[index].metadata == {"source": "website"}


def test_project_remove_examples_and_delete_intent_block(golden_project: Path) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    project = load_project(golden_project)
    remove_examples(project, project.examples_of("book_trip"))
    remove_intent(project, "book_trip")
    project.save()
    text = nlu.read_text()
    assert "book_trip" not in text and "- synonym: mushroom" in text
    assert "book_trip" not in load_project(golden_project).intents


def test_project_resource_edits_touch_their_lines(golden_project: Path) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_text()
    project = load_project(golden_project)
    index = next(i for i, s in enumerate(project.synonyms) if s.value == "mushroom")
    old = project.synonyms[index]
    replace_resource(project, "synonyms", index,
                     Synonym("mushroom", (*old.examples, "funghi")))
    table = next(i for i, t in enumerate(project.lookups) if t.name == "topping")
    replace_resource(project, "lookups", table,
                     LookupTable("topping", ("pepperoni", "mushrooms")))
    project.save()
    assert _diff(before, nlu.read_text()) == ["+    - funghi", "-    - ham"]


def test_project_mixed_indentation_file_keeps_untouched_lines(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    text = (
        "nlu:\n"
        "- intent: greet\n"
        "  examples:\n"
        "    - text: hi\n"  # list indented by 2 here ...
        "    - text: hello\n"
        "- intent: bye\n"
        "  examples: |\n"
        "    - bye\n"
        "responses:\n"
        "  utter_bye:\n"
        "  - text: bye\n"  # ... and not indented here: ruamel cannot dump both
    )
    path.write_text(text)
    project = load_project(path)
    replace_example(project, 2,
                    dataclasses.replace(project.examples[2], text="goodbye"))
    project.save()
    assert _diff(text, path.read_text()) == ["-    - bye", "+    - goodbye"]


def test_project_interrupted_save_leaves_file_intact(golden_project: Path,
                                                     monkeypatch) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_bytes()
    project = load_project(golden_project)
    index = _index(project, "hello")
    example = project.examples[index]
    replace_example(project, index, dataclasses.replace(example, text="hello!"))

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        project.save()
    assert nlu.read_bytes() == before
    names = sorted(p.name for p in nlu.parent.iterdir())
    assert names == ["more", "nlu.yml", "rules.yml", "stories.yml"]
    monkeypatch.undo()
    assert project.save() == [nlu]
    assert "- hello!" in nlu.read_text()


def test_project_unwritable_example_raises_before_touching_files(golden_project: Path
                                                                 ) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_bytes()
    project = load_project(golden_project)
    index = _index(project, "hello")
    example = project.examples[index]
    with pytest.raises(TextRuleError, match="U\\+000A"):
        insert_resource(project, "synonyms", 3, Synonym("bad", ("two\nlines",)))
    with pytest.raises(
        TextRuleError, match="U\\+000A \\(a line break\\) at position 4"
    ):
        replace_example(project, index, dataclasses.replace(example, text="two\nlines"))
    # the writer's own last guard, for a value that bypassed the edit's check
    project.examples.replace(index, dataclasses.replace(example, text="two\nlines"))
    with pytest.raises(SaveError, match="line break"):
        project.save()
    assert nlu.read_bytes() == before
    replace_example(project, index, dataclasses.replace(example, text="fixed"))
    project.save()
    assert "    - fixed\n" in nlu.read_text()


def test_project_metadata_on_text_block_example_switches_block_to_list(
        golden_project: Path) -> None:
    project = load_project(golden_project)
    index = _index(project, "hi there")
    example = project.examples[index]
    replace_example(project, index, dataclasses.replace(example, metadata={"a": 1}))
    project.save()
    reloaded = load_project(golden_project)
    greet = [(e.text, e.metadata) for e in reloaded.examples if e.intent == "greet"]
    assert ("hi there", {"a": 1}) in greet and ("hello", None) in greet
    assert reloaded.load_issues == []


def test_project_add_example_to_list_style_block(golden_project: Path) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    before = nlu.read_text()
    project = load_project(golden_project)
    add_example(project, Example("are you open late?", "faq/ask_hours"))
    add_example(project, Example("open on monday?", "faq/ask_hours",
                                 (EntitySpan(8, 14, "day", "monday"),),
                                 metadata={"source": "chat"}))
    project.save()
    added = [line[1:] for line in _diff(before, nlu.read_text()) if line[0] == "+"]
    assert added[0] == "  - text: are you open late?"
    assert added[1].startswith("  - text: open on [monday](day)?")
    assert added[2:] == ["    metadata:", "      source: chat"]
    reloaded = load_project(golden_project)
    last = [e for e in reloaded.examples if e.intent == "faq/ask_hours"][-1]
    assert last.metadata == {"source": "chat"} and last.entities[0].entity == "day"


def test_project_layouts_domain_folder_and_flat_folder(make_project) -> None:
    root = make_project({
        "domain/entities.yml": "entities:\n  - city\n  - size:\n      roles: [a]\n",
        "domain/intents.yml": "intents:\n  - greet\n",
        "nlu.yml": "nlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n",
        "config.yml": "language: en\npipeline: []\n",
        "endpoints.yml": "nlu:\n- not: data\n",
    })
    project = load_project(root)
    assert project.domain_entities == {"city", "size"}
    assert [p.name for p in project.nlu_paths] == ["nlu.yml"]  # endpoints ignored
    assert project.config == {"language": "en", "pipeline": []}
    assert [e.text for e in project.examples] == ["hi", "hello"]


def test_project_new_intent_in_empty_project_creates_nlu_file(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text("language: en\n")
    project = load_project(tmp_path)
    assert project.examples == [] or len(project.examples) == 0
    add_example(project, Example("hello", "greet"))
    add_example(project, Example("hi", "greet"))
    new = tmp_path / "data" / "nlu.yml"
    assert files_to_create(project) == [new]
    with pytest.raises(NewFilesNeeded) as raised:  # asks before creating a file
        project.save()
    assert raised.value.paths == [new] and not new.exists()
    assert project.save(create_files=True) == [new]
    reloaded = load_project(tmp_path)
    assert [e.text for e in reloaded.examples] == ["hello", "hi"]
    assert reloaded.load_issues == []


def test_project_failed_save_then_retry_writes_new_blocks_once(golden_project: Path
                                                              ) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    project = load_project(golden_project)
    insert_resource(project, "synonyms", 2, Synonym("cheese", ("mozzarella",)))
    insert_resource(project, "synonyms", 3, Synonym("bad", (" padded",)))
    with pytest.raises(SaveError, match="surrounding spaces"):
        project.save()
    replace_resource(project, "synonyms", 3, Synonym("good", ("fine",)))
    project.save()
    extra = golden_project / "data" / "more" / "extra.yaml"
    text = nlu.read_text() + extra.read_text()
    assert text.count("synonym: cheese") == 1 and text.count("synonym: good") == 1
    reloaded = load_project(golden_project)
    assert [s.value for s in reloaded.synonyms].count("cheese") == 1


def test_project_new_intent_defaults_to_main_nlu_file(golden_project: Path) -> None:
    project = load_project(golden_project)
    add_example(project, Example("ciao", "farewell"))
    assert project.save() == [golden_project / "data" / "nlu.yml"]


@pytest.mark.parametrize("fast", [True, False])
def test_project_locations_follow_saves(golden_project: Path, monkeypatch,
                                        fast: bool) -> None:
    from workbench.core import project_files
    from workbench.core.markup import parse_markup
    from workbench.core.validation import validate

    monkeypatch.setattr(project_files, "USE_FAST_READER", fast)
    (golden_project / "data" / "more" / "extra.yaml").unlink()
    nlu = golden_project / "data" / "nlu.yml"
    list_block = ("  examples:\n  - text: \"when do you open?\"\n    metadata:\n"
                  "      source: website\n  - text: what are your opening hours\n"
                  "  - text: |\n      are you open on sundays\n")
    text = nlu.read_text().replace("- intent: 'faq/ask_hours'", "- intent: faq")
    nlu.write_text(text.replace(list_block, "  examples: |\n    - when\n    - open\n"))
    project = load_project(golden_project)
    for i in range(3):
        add_example(project, Example(f"hi number {i}", "greet"))
    project.save()
    text_lines = nlu.read_text().splitlines()
    places = example_locations(project)
    for example, place in zip(project.examples, places, strict=True):
        assert place is not None and place.path == nlu
        markup = text_lines[place.line - 1].strip()[2:]
        assert parse_markup(markup)[0] == example.text, (example.text, place.line)
    index = next(i for i, e in enumerate(project.examples)
                 if e.text.startswith("a big"))
    issue = next(i for i in validate(project) if i.code == "missed-annotation")
    assert issue.example_index == index and issue.line == places[index].line
    assert issue.line != project.examples[index].source.line  # moved by the save
