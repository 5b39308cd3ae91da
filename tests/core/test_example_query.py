"""What the example filter matches (``workbench.core.example_query``), headless."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from workbench.core.example_query import ExampleQuery, SearchIndex, needs_attention
from workbench.core.examples import EntitySpan, Example

EXAMPLES = [
    Example("hello there", "greet"),
    Example("a small pizza", "order", (EntitySpan(2, 7, "size", "small"),)),
    Example("Bye", "goodbye"),
    Example("order status", "check_order"),
]


@pytest.fixture
def index() -> SearchIndex:
    built = SearchIndex()
    built.reset(EXAMPLES)
    return built


def test_fields_case_and_intent_scope(index: SearchIndex) -> None:
    assert ExampleQuery(text="BYE").select(index) == [2]
    assert ExampleQuery(text="order").select(index) == [1, 3]  # intent or text
    assert ExampleQuery(text="order", field="text").select(index) == [3]
    assert ExampleQuery(text="size", field="entity").select(index) == [1]
    assert ExampleQuery(text="small", field="entity").select(index) == [1]
    assert ExampleQuery(text="", intent="greet").select(index) == [0]
    assert ExampleQuery(text="bye", intent="order").select(index) == []
    assert ExampleQuery(text="^(hello|bye)", regex=True).select(index) == [0, 2]
    assert ExampleQuery(text="a").select(index, [2, 3]) == [3]


def test_a_needle_never_matches_across_two_entity_parts() -> None:
    index = SearchIndex()
    index.reset([Example("big red", "x", (EntitySpan(0, 3, "size", "big"),
                                          EntitySpan(4, 7, "colour", "red")))])
    assert ExampleQuery(text="bigcolour", field="entity").select(index) == []
    assert ExampleQuery(text="big", field="entity").select(index) == [0]


def test_bad_input_gives_a_clear_message(index: SearchIndex) -> None:
    with pytest.raises(ValueError, match="invalid regular expression at position 0"):
        ExampleQuery(text="(", regex=True).select(index)
    with pytest.raises(ValueError, match="unknown filter field 'place'"):
        ExampleQuery(text="x", field="place").select(index)


def test_index_follows_inserts_removals_and_replacements(index: SearchIndex) -> None:
    index.insert(1, [Example("hiya", "greet")])
    assert ExampleQuery(intent="greet").select(index) == [0, 1]
    index.remove(0, 2)
    assert ExampleQuery(intent="greet").select(index) == []
    index.replace(0, Example("HELLO again", "greet"))
    assert ExampleQuery(text="hello").select(index) == [0]
    assert len(index.texts) == 3


def test_needs_attention() -> None:
    def prediction(correct=True, margin=0.9, mistakes=()):
        return SimpleNamespace(correct=correct, margin=margin,
                               entity_mistakes=list(mistakes))
    assert not needs_attention(prediction(), 0.3)
    assert needs_attention(prediction(correct=False), 0.3)
    assert needs_attention(prediction(margin=0.1), 0.3)
    assert needs_attention(prediction(mistakes=["missed size"]), 0.3)
