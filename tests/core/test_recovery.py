"""Crash recovery content (``workbench.core.recovery``), headless, on real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.core.examples import EntitySpan, Example, Synonym
from workbench.core.project import load_project
from workbench.core.project_edits import (
    add_intent,
    insert_examples,
    insert_resource,
    remove_examples,
    replace_example,
)
from workbench.core.recovery import (
    FORMAT_VERSION,
    apply_recovery,
    capture,
    differs,
    discard_recovery,
    read_recovery,
    recovery_path,
    write_recovery,
)

PIZZA = Path(__file__).resolve().parents[2] / "sample_projects" / "pizza"


@pytest.fixture
def pizza(tmp_path: Path) -> Path:
    root = tmp_path / "pizza"
    shutil.copytree(PIZZA, root)
    return root


def _keys(examples) -> list[tuple]:
    return [(e.text, e.intent, e.entities) for e in examples]


def _edit(project) -> None:
    """Annotate, replace, delete, insert, add an intent and a synonym."""
    first = project.examples[0]
    replace_example(project, 0, Example(
        first.text, first.intent, (EntitySpan(0, len(first.text), "greeting",
                                              first.text),), None, first.source))
    remove_examples(project, [1, 2])
    insert_examples(project, [(3, Example("yo pizza bot", "greet"))])
    add_intent(project, "lonely")
    insert_resource(project, "synonyms", 0, Synonym("XL", ("extra large one",)))


def test_written_content_restores_a_fresh_load_exactly(pizza: Path) -> None:
    project = load_project(pizza)
    _edit(project)
    path = recovery_path(project)
    assert path == pizza / ".workbench" / "recovery.json"
    write_recovery(project, path)
    content = read_recovery(path)
    assert content is not None
    assert _keys(content.examples) == _keys(capture(project).examples)

    fresh = load_project(pizza)  # nothing was saved: the files are unchanged
    assert differs(fresh, content)
    apply_recovery(fresh, content)
    assert not differs(fresh, content)
    assert _keys(fresh.examples) == _keys(project.examples)
    assert list(fresh.intents) == list(project.intents)
    assert [(s.value, s.examples) for s in fresh.synonyms] == [
        (s.value, s.examples) for s in project.synonyms]
    # Unchanged examples keep their place in the files (minimal diff on save).
    assert fresh.examples[-1].source == load_project(pizza).examples[-1].source
    assert fresh.examples[-1].source is not None


def test_unreadable_or_foreign_files_are_ignored(pizza: Path, tmp_path: Path) -> None:
    project = load_project(pizza)
    path = tmp_path / "recovery.json"
    assert read_recovery(path) is None  # missing
    for text in ("{not json", json.dumps({"format": FORMAT_VERSION + 1}),
                 json.dumps({"format": FORMAT_VERSION, "examples": [{"text": 1}]}),
                 "[]"):
        path.write_text(text, encoding="utf-8")
        assert read_recovery(path) is None, text
    write_recovery(project, path)
    assert read_recovery(path) is not None and not differs(project, read_recovery(path))


def test_single_file_gets_its_own_recovery_name_and_discard_cleans_up(
        pizza: Path) -> None:
    nlu = pizza / "data" / "nlu.yml"
    project = load_project(nlu)
    path = recovery_path(project, nlu)
    assert path.name == "recovery-nlu.yml.json"
    write_recovery(project, path)
    assert path.exists()
    discard_recovery(path)
    assert not path.exists() and not path.parent.exists()  # the empty folder too
    discard_recovery(path)  # twice: no error
