"""The named cases of issue 9 (items 8-10): stubs, comments, indicators, markers."""

from __future__ import annotations

from pathlib import Path

from workbench.core.examples import Example
from workbench.core.project import load_project
from workbench.core.project_edits import (
    add_example,
    remove_examples,
    remove_intent,
    remove_resource,
)

STUBS = ('nlu:\n- intent: a\n  examples: |\n    - hi\n- intent: x\n- intent: y\n'
         '  examples:\n- intent: z\n  examples: []\n- intent: w\n  examples: 3\n')


def _save(tmp_path: Path, text: str, edit) -> tuple[str, object]:
    path = tmp_path / "nlu.yml"
    path.write_text(text)
    project = load_project(path)
    edit(project)
    project.save()
    return path.read_text(), load_project(path)


def test_stub_blocks_survive_an_edit_elsewhere(tmp_path: Path) -> None:
    text, again = _save(tmp_path, STUBS,
                        lambda p: add_example(p, Example("hello", "a")))
    assert text == STUBS.replace("    - hi\n", "    - hi\n    - hello\n")


def test_deleting_blocks_keeps_the_next_blocks_comment(tmp_path: Path) -> None:
    text = ("nlu:\n- intent: a\n  examples: |\n    - hi\n# --- synonyms\n"
            "- synonym: s\n  examples: |\n    - ss\n# --- regexes\n"
            "- regex: r\n  examples: |\n    - \\d+\n")

    def edit(project) -> None:
        remove_examples(project, project.examples_of("a"))
        remove_intent(project, "a")
        remove_resource(project, "synonym", 0)

    written, again = _save(tmp_path, text, edit)
    assert written == "nlu:\n# --- regexes\n- regex: r\n  examples: |\n    - \\d+\n"
    assert [r.name for r in again.regexes] == ["r"] and again.synonyms == []


def test_indentation_indicator_block_reloads_exactly(tmp_path: Path) -> None:
    text = ("nlu:\n- intent: a\n  examples: |2\n    - hi\n    - ho\n"
            "- intent: b\n  examples: |\n    - yo\n")
    written, again = _save(tmp_path, text,
                           lambda p: add_example(p, Example("new", "a")))
    assert [(e.intent, e.text) for e in again.examples] == [
        ("a", "hi"), ("a", "ho"), ("a", "new"), ("b", "yo")]
    assert written.endswith("- intent: b\n  examples: |\n    - yo\n")


def test_directives_and_markers_survive_an_edit(tmp_path: Path) -> None:
    text = "%YAML 1.2\n---\nnlu:\n- intent: a\n  examples: |\n    - hi\n...\n"
    written, _ = _save(tmp_path, text, lambda p: add_example(p, Example("new", "a")))
    assert written == text.replace("    - hi\n", "    - hi\n    - new\n")


def test_keep_block_edit_adds_no_document_end(tmp_path: Path) -> None:
    text = ("nlu:\n- intent: b\n  examples: |\n    - yo\n"
            "- intent: a\n  examples: |+\n    - hi\n\n")
    written, again = _save(tmp_path, text,
                           lambda p: add_example(p, Example("new", "a")))
    assert "..." not in written
    assert written == text.replace("    - hi\n", "    - hi\n    - new\n")
    assert [e.text for e in again.examples] == ["yo", "hi", "new"]
