"""Markup parse/render: Rasa's grammar, exact inverses, clear errors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.examples import EntitySpan
from workbench.core.markup import MarkupError, parse_markup, render_markup

CANONICAL = [
    "add [song](music_item) to [my](playlist_owner) list",
    "one [small](size) pizza with [mushrooms](topping:mushroom) please",
    '[LA]{"entity": "city", "role": "to", "value": "Los Angeles"}',
    '[Paris]{"entity": "city", "role": "destination", "group": "1"}',
    '[mushrooms][{"entity": "topping"}, {"entity": "ingredient", "value": "mushroom"}]'
    " only",
    "no entities here",
    "Ünïcödé [Zürich](city) 🍕 [東京](city:Tokyo)",
    "a (parenthesis) and a ] bracket",
]


@pytest.mark.parametrize("markup", CANONICAL)
def test_markup_render_reproduces_canonical_markup(markup: str) -> None:
    text, spans = parse_markup(markup)
    assert render_markup(text, spans) == markup


def test_markup_parse_offsets_and_values() -> None:
    text, spans = parse_markup('fly [from Berlin]{"entity": "city", "role": "from"} '
                               "to [NYC](city:New York City)")
    assert text == "fly from Berlin to NYC"
    assert spans == (
        EntitySpan(4, 15, "city", "from Berlin", "from", None),
        EntitySpan(19, 22, "city", "New York City"),
    )


def test_markup_list_form_gives_one_span_per_dict() -> None:
    markup = '[NY][{"entity": "city", "role": "to"}, {"entity": "state"}]!'
    text, spans = parse_markup(markup)
    assert text == "NY!"
    assert [(s.start, s.end, s.entity, s.role) for s in spans] == [
        (0, 2, "city", "to"), (0, 2, "state", None)]


@pytest.mark.parametrize(("markup", "fragment"), [
    ('[x]{"entity": topping}', "invalid JSON"),
    ('[x]{"value": "y"}', '"entity"'),
    ('[x]{"entity": "a", "colour": "red"}', "unknown key"),
    ('[x]{"entity": "a", "value": 5}', "must be a string"),
    ("[x][]", "at least one"),
    ('[x]["a"]', "JSON object"),
])
def test_markup_parse_errors_are_clear(markup: str, fragment: str) -> None:
    with pytest.raises(MarkupError, match=fragment) as info:
        parse_markup(markup)
    assert info.value.column is not None and 0 <= info.value.column <= len(markup)


@pytest.mark.parametrize("markup",
                         ["[unclosed(topping)", "[](topping)", "[a] (b)", "[a](b"])
def test_markup_that_is_not_markup_stays_text(markup: str) -> None:
    assert parse_markup(markup) == (markup, ())


@pytest.mark.parametrize(("text", "spans", "fragment"), [
    ("see [a](b) here", (), "brackets"),
    ("x[ab", (EntitySpan(2, 4, "e", "ab"),), "brackets"),
    ("abc", (EntitySpan(0, 2, "e", "ab"), EntitySpan(1, 3, "e", "bc")), "overlap"),
    ("a]b", (EntitySpan(0, 3, "e", "a]b"),), "cannot contain"),
    ("abc", (EntitySpan(1, 1, "e", ""),), "empty"),
    ("abc", (EntitySpan(0, 9, "e", "abc"),), "outside"),
    ("abc", (EntitySpan(0, 3, "", "abc"),), "entity name"),
    ("abc", (EntitySpan(0, 3, "e", "abc", role=""),), "role"),
])
def test_markup_render_refuses_ambiguous_input(text, spans, fragment) -> None:
    with pytest.raises(MarkupError, match=fragment):
        render_markup(text, spans)


def test_markup_render_uses_simplest_form() -> None:
    assert render_markup("a b", [EntitySpan(0, 1, "x", "a")]) == "[a](x) b"
    assert render_markup("a b", [EntitySpan(0, 1, "x", "A")]) == "[a](x:A) b"
    assert render_markup("a b", [EntitySpan(0, 1, "x:y", "a")]) == (
        '[a]{"entity": "x:y"} b')
    assert render_markup("a", [EntitySpan(0, 1, "x", "v)", "r", "g")]) == (
        '[a]{"entity": "x", "role": "r", "group": "g", "value": "v)"}')
    assert render_markup("a", [EntitySpan(0, 1, "x", "}]", role="r")]) == (
        '[a]{"entity": "x", "role": "r", "value": "\\u007d\\u005d"}')
    assert render_markup("a", [EntitySpan(0, 1, "x", "}]")]) == "[a](x:}])"


# -- property-based: parse(render(text, spans)) == (text, spans) --------------------

names = st.text(min_size=1, max_size=8)
optional_names = st.one_of(st.none(), names)


@st.composite
def texts_and_spans(draw):
    text = draw(st.text(max_size=40))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=6)))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if start == end:
            continue
        for _ in range(draw(st.integers(1, 2))):
            value = draw(st.one_of(st.just(text[start:end]), st.text(max_size=8)))
            role, group = draw(optional_names), draw(optional_names)
            spans.append(EntitySpan(start, end, draw(names), value, role, group))
    return text, tuple(spans)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_and_spans())
def test_markup_property_render_then_parse_is_identity(case) -> None:
    text, spans = case
    try:
        markup = render_markup(text, spans)
    except MarkupError:
        # refusing is only allowed for brackets in the text or partial overlaps
        ranges = {(s.start, s.end) for s in spans}
        overlap = any(a[0] < b[1] and b[0] < a[1]
                      for a in ranges for b in ranges if a != b)
        assert "[" in text or "]" in text or overlap
        return
    assert parse_markup(markup) == (text, spans)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="[]"), max_size=40),
       st.text(alphabet=st.characters(blacklist_characters="[]"), min_size=1,
               max_size=10),
       names, st.text(max_size=10))
def test_markup_property_bracket_free_text_always_renders(prefix, word, entity,
                                                          value) -> None:
    text = prefix + word
    span = EntitySpan(len(prefix), len(text), entity, value)
    assert parse_markup(render_markup(text, [span])) == (text, (span,))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_markup_property_parse_never_crashes_and_round_trips(markup: str) -> None:
    try:
        text, spans = parse_markup(markup)
    except MarkupError:
        return
    try:
        again = render_markup(text, spans)
    except MarkupError:
        return
    assert parse_markup(again) == (text, spans)
