"""BILOU tagging from spans, repair of inconsistent tags, tags -> entities."""

from __future__ import annotations

from workbench.nlu.bilou import (
    Span,
    bilou_tags,
    io_tags,
    repair_bilou,
    tag_names_for,
    tags_to_entities,
)
from workbench.nlu.tokenizers import WhitespaceTokenizer

TOKENIZER = WhitespaceTokenizer()


def test_tag_names_ids() -> None:
    names = tag_names_for(["city", "amount"], bilou=True)
    assert names[0] == "O"
    assert names[1:5] == ("B-amount", "I-amount", "L-amount", "U-amount")  # 4i+1..4i+4
    assert names[5:] == ("B-city", "I-city", "L-city", "U-city")
    assert tag_names_for(["b", "a"], bilou=False) == ("O", "a", "b")


def test_bilou_tags_and_misaligned_spans() -> None:
    text = "fly from New York City to Berlin today"
    tokens = TOKENIZER.tokenize(text)
    spans = [Span(9, 22, "city"), Span(26, 32, "city"), Span(0, 2, "verb")]
    tags, misaligned = bilou_tags(tokens, spans)
    assert tags == ["O", "O", "B-city", "I-city", "L-city", "O", "U-city", "O"]
    assert misaligned == [Span(0, 2, "verb")]  # "fl" is not a whole token


def test_io_tags_pick_largest_overlap() -> None:
    tokens = TOKENIZER.tokenize("New York now")
    assert io_tags(tokens, [Span(0, 8, "city")]) == ["city", "city", "O"]


def test_repair_turns_broken_sequences_into_valid_bilou() -> None:
    tags, conf = repair_bilou(["B-city", "O", "I-city", "L-city", "B-x"],
                              [0.9, 0.8, 0.7, 0.6, 0.5])
    assert tags == ["U-city", "O", "I-city", "L-city", "U-x"]
    assert conf == [0.9, 0.8, 0.7, 0.6, 0.5]


def test_repair_mixed_types_uses_harmonic_mean_winner() -> None:
    tags, conf = repair_bilou(["B-city", "I-city", "L-person"], [0.9, 0.8, 0.99])
    assert tags == ["B-city", "I-city", "L-city"]
    # city: mean 0.85, share 0.67 -> harmonic mean ~0.749; the changed token gets it
    assert conf[:2] == [0.9, 0.8]
    assert abs(conf[2] - 2 * 0.85 * 0.67 / (0.85 + 0.67)) < 1e-9


def test_tags_to_entities_joins_and_takes_minimum_confidence() -> None:
    text = "fly to New York today"
    tokens = TOKENIZER.tokenize(text)
    tags = {"entity": ["O", "O", "B-city", "L-city", "O"]}
    conf = {"entity": [0.9, 0.9, 0.8, 0.6, 0.9]}
    (entity,) = tags_to_entities(text, tokens, tags, conf)
    assert entity == {"entity": "city", "start": 7, "end": 15, "confidence_entity": 0.6,
                      "value": "New York", "extractor": "DIETClassifier"}


def test_split_entities_by_comma() -> None:
    text = "apples, pears and kiwis"
    tokens = TOKENIZER.tokenize(text)
    tags = {"entity": ["B-fruit", "L-fruit", "O", "U-fruit"]}
    conf = {"entity": [1.0, 1.0, 1.0, 1.0]}
    split = tags_to_entities(text, tokens, tags, conf)
    assert [e["value"] for e in split] == ["apples", "pears", "kiwis"]
    joined = tags_to_entities(text, tokens, tags, conf,
                              split_entities_by_comma={"fruit": False})
    assert [e["value"] for e in joined] == ["apples, pears", "kiwis"]


def test_unset_split_setting_splits_like_rasa() -> None:
    text = "apples, pears and kiwis"
    tags = {"entity": ["B-fruit", "L-fruit", "O", "U-fruit"]}
    conf = {"entity": [1.0] * 4}
    entities = tags_to_entities(text, TOKENIZER.tokenize(text), tags, conf,
                                split_entities_by_comma=None)
    assert [e["value"] for e in entities] == ["apples", "pears", "kiwis"]


def test_entity_types_spanning_gaps_come_from_annotations() -> None:
    from types import SimpleNamespace as NS

    from workbench.nlu.bilou import entity_types_spanning_gaps, resolve_split_setting

    def example(text: str, *spans: tuple[str, str]) -> NS:
        found = [NS(start=text.index(v), end=text.index(v) + len(v), entity=t)
                 for v, t in spans]
        return NS(text=text, entities=found)

    examples = [
        example(
            "add Star Light, Star Bright to jazz",
            ("Star Light, Star Bright", "song"),
            ("jazz", "playlist"),
        ),
        example("fly to St. Louis", ("St. Louis", "city")),
        example("fly to New York", ("New York", "city2")),
        example("it is 5pm-6pm now", ("5pm-6pm", "time")),  # one token: no gap
        example("order pizza, pasta", ("pizza", "food"), ("pasta", "food")),
    ]
    joined = entity_types_spanning_gaps(examples, TOKENIZER.tokenize)
    assert joined == ["city", "song"]
    assert resolve_split_setting(None, joined) == {
        "split_entities_by_comma": True, "city": False, "song": False}
    assert resolve_split_setting(None, []) is True
    assert resolve_split_setting(True, joined) is True  # explicit settings win
    assert resolve_split_setting({"song": True}, joined) == {"song": True}


def test_consecutive_units_are_separate_entities() -> None:
    text = "Berlin Paris"
    tags = {"entity": ["U-city", "U-city"]}
    entities = tags_to_entities(text, TOKENIZER.tokenize(text), tags,
                                {"entity": [1.0, 1.0]})
    assert [e["value"] for e in entities] == ["Berlin", "Paris"]


def test_roles_and_groups() -> None:
    text = "from Berlin to Paris"
    tokens = TOKENIZER.tokenize(text)
    tags = {"entity": ["O", "U-city", "O", "U-city"],
            "role": ["O", "U-departure", "O", "U-destination"]}
    conf = {"entity": [1, 0.9, 1, 0.8], "role": [1, 0.7, 1, 0.6]}
    first, second = tags_to_entities(text, tokens, tags, conf)
    assert first["role"] == "departure" and first["confidence_role"] == 0.7
    assert second["role"] == "destination" and "group" not in second


def test_io_tags_to_entities() -> None:
    text = "New York now"
    entities = tags_to_entities(text, TOKENIZER.tokenize(text),
                                {"entity": ["city", "city", "O"]},
                                {"entity": [0.9, 0.7, 1.0]})
    assert entities[0]["value"] == "New York"
    assert entities[0]["confidence_entity"] == 0.7
