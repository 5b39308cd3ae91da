"""Small units: Example properties, Signal, ExampleList edge cases, ProjectSnapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.events import Signal
from workbench.core.example_list import ExampleList
from workbench.core.examples import EntitySpan, Example
from workbench.core.project import load_project
from workbench.core.project_edits import add_example, replace_example
from workbench.core.project_origins import intent_metadata

GOLDEN = Path(__file__).parents[1] / "data" / "golden_project"


def test_example_retrieval_intent_parts_and_markup() -> None:
    example = Example("open at 9?", "faq/ask_hours", (EntitySpan(8, 9, "time", "9"),))
    assert (example.base_intent, example.response_key) == ("faq", "ask_hours")
    assert Example("hi", "greet").response_key is None
    assert example.markup == "open at [9](time)?"
    assert example.entity_texts() == ["9"]
    with_metadata = Example("hi", "greet", metadata={"source": "chat"})
    same = Example("hi", "greet", metadata={"source": "chat"})
    assert len({with_metadata, same}) == 1


def test_signal_connect_emit_disconnect_block() -> None:
    signal, calls = Signal("s"), []

    def callback(*args):
        calls.append(args)

    signal.connect(callback)
    signal.connect(callback)  # connecting twice calls once
    signal.emit(1, 2)
    with signal.blocked():
        signal.emit(3)
    signal.disconnect(callback)
    signal.emit(4)
    assert calls == [(1, 2)]
    with pytest.raises(ValueError, match="not connected"):
        signal.disconnect(callback)


def test_example_list_remove_indices_in_runs_and_bounds() -> None:
    items = [Example(str(i), "x") for i in range(6)]
    examples = ExampleList(items)
    removing = []
    examples.removing.connect(lambda index, count: removing.append((index, count)))
    removed = examples.remove_indices([5, 1, 2, 4])
    assert [i for i, _ in removed] == [1, 2, 4, 5]
    assert removing == [(4, 2), (1, 2)]  # last run first
    assert [e.text for e in examples] == ["0", "3"]
    assert examples.position_of(items[3]) == 1
    with pytest.raises(IndexError):
        examples.insert(5, items[0])


def test_snapshot_is_detached_and_fingerprint_stable() -> None:
    project = load_project(GOLDEN)
    snapshot = project.snapshot()
    first = snapshot.fingerprint()
    assert first == load_project(GOLDEN).snapshot().fingerprint()
    assert len(first) == 64
    add_example(project, Example("howdy", "greet"))
    project.config["language"] = "de"
    assert snapshot.fingerprint() == first and len(snapshot.examples) == 18
    changed = project.snapshot().fingerprint()
    assert changed != first
    assert snapshot.domain_entities == frozenset({"topping", "size", "city"})
    assert "faq/ask_hours" in snapshot.intents


def test_snapshot_fingerprint_ignores_positions_but_not_spans() -> None:
    project = load_project(GOLDEN)
    before = project.snapshot().fingerprint()
    example = project.examples[0]
    replace_example(project, 0, Example(example.text, example.intent, example.entities,
                                        example.metadata, None))
    assert project.snapshot().fingerprint() == before
    replace_example(project, 0, Example(example.text, example.intent,
                                        (EntitySpan(0, 2, "x", example.text[:2]),)))
    assert project.snapshot().fingerprint() != before


def test_project_examples_in_file_order_with_sources() -> None:
    project = load_project(GOLDEN)
    paths = [e.source.path.name for e in project.examples]
    assert paths == sorted(paths, key=["extra.yaml", "nlu.yml"].index)
    lines = [e.source.line for e in project.examples if e.source.path.name == "nlu.yml"]
    assert lines == sorted(lines) and lines[0] == 8
    assert intent_metadata(project, "order_pizza") == {"sentiment": "neutral"}
    assert project.nlu_paths[0].name == "extra.yaml"
