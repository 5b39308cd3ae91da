"""Text rules: characters that cannot be stored are refused at the edit, with a clear
message, and everything else saves and loads back equal (whole Unicode range)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from workbench.core.examples import EntitySpan, Example, LookupTable, Synonym
from workbench.core.project import SaveError, load_project
from workbench.core.project_edits import (
    add_example,
    add_intent,
    insert_examples,
    insert_resource,
    rename_intent,
    replace_example,
)
from workbench.core.text_rules import (
    FORBIDDEN,
    TextRuleError,
    check_example,
    check_text,
    describe_character,
)

HOSTILE = ([chr(c) for c in range(0x20)] + ["\x7f", "\x80", "\x85", "\x9f", "\xa0",
                                            "\u2028", "\u2029", "\ufeff", "\ufffe",
                                            "\uffff", "\ufdd0", "\U0001fffe", "\ud800",
                                            "\udfff", "\u200b", "\u3000", "\U0001f600",
                                            "\u0301"]
           + list("[](){}:,#|>-'\"\\/ \t"))
# the whole range (surrogates and controls included), hostile characters, ASCII
CHARS = st.one_of(st.sampled_from(HOSTILE), st.characters(exclude_categories=()),
                  st.characters(min_codepoint=0x20, max_codepoint=0x7e))
ALLOWED = CHARS.filter(lambda character: not FORBIDDEN.match(character))


@pytest.mark.parametrize("character, kind", [
    ("\x00", "a control character"), ("\x07", "a control character"),
    ("\x1b", "a control character"), ("\x7f", "a control character"),
    ("\x9b", "a control character"), ("\n", "a line break"), ("\r", "a line break"),
    ("\x85", "a line break"), ("\u2028", "a line break"), ("\u2029", "a line break"),
    ("\x0c", "a line break"), ("\ufffe", "a noncharacter"),
    ("\uffff", "a noncharacter"),
    ("\ufdd0", "a noncharacter"), ("\U0010ffff", "a noncharacter"),
    ("\ud800", "a lone surrogate"), ("\udfff", "a lone surrogate"),
])
def test_forbidden_characters_are_named_with_their_position(character: str,
                                                            kind: str) -> None:
    with pytest.raises(TextRuleError) as caught:
        check_text(f"ab{character}c", "the example text")
    error = caught.value
    assert isinstance(error, ValueError) and error.position == 2
    described = describe_character(character)
    assert described.startswith(f"U+{ord(character):04X} ({kind}")
    assert str(error) == (f"the example text contains {described} at position 3; "
                          "remove it")


@pytest.mark.parametrize("text", ["tab\tinside", "emoji 🍕", "zero\u200bwidth",
                                  "bom\ufeffinside", "nbsp\xa0", "é\u0301", "中文"])
def test_ordinary_unicode_tab_included_is_allowed(text: str) -> None:
    check_text(text)


def test_every_string_of_an_example_is_checked() -> None:
    span = EntitySpan(0, 4, "city", "Rome")
    check_example(Example("Rome", "travel", (span,)))
    for bad, words in [
        (Example("Ro\x07me", "travel", (span,)), "the example text"),
        (Example("Rome", "tra\x1bvel", (span,)), "the intent name 'tra\\u001bvel'"),
        (Example("Rome", "t", (dataclasses.replace(span, entity="ci\x00ty"),)),
         "the entity name"),
        (Example("Rome", "t", (dataclasses.replace(span, value="R\u2028"),)),
         "the value of entity 'city'"),
        (Example("Rome", "t", (dataclasses.replace(span, role="\ud800"),)),
         "the role of entity 'city'"),
        (Example("Rome", "t", (dataclasses.replace(span, group="\uffff"),)),
         "the group of entity 'city'"),
    ]:
        with pytest.raises(TextRuleError, match="^" + words.replace("\\", "\\\\")):
            check_example(bad)


def test_project_edits_are_refused_before_anything_changes(golden_project: Path
                                                           ) -> None:
    project = load_project(golden_project)
    count, intents = len(project.examples), list(project.intents)
    first = project.examples[0]
    attempts = [
        lambda: add_example(project, Example("bad\x07", "greet")),
        lambda: replace_example(project, 0, dataclasses.replace(first, text="a\x1bb")),
        lambda: insert_examples(project, [(0, Example("x", "gr\x7feet"))]),
        lambda: add_intent(project, "new\u2028intent"),
        lambda: rename_intent(project, "greet", "hello\x00"),
        lambda: insert_resource(project, "synonyms", 0, Synonym("v", ("a\x85",))),
        lambda: insert_resource(project, "lookups", 0, LookupTable("t\ufffe", ("a",))),
    ]
    for attempt in attempts:
        with pytest.raises(TextRuleError,
                           match=r"contains U\+[0-9A-F]{4} .* at position"):
            attempt()
    assert len(project.examples) == count and project.intents == intents
    assert project.examples[0] is first and not project.modified


def test_escaped_characters_on_disk_are_issues_and_stay_in_the_file(tmp_path: Path
                                                                    ) -> None:
    path = tmp_path / "nlu.yml"
    text = ('version: "3.1"\nnlu:\n- intent: greet\n  examples:\n  - text: "hi"\n'
            '  - text: "bell\\a here"\n  - text: "[x]{\\"entity\\": \\"e\\", '
            '\\"role\\": \\"r\\\\u0007\\"}"\n- intent: "sep\\u2028name"\n'
            '  examples: |\n    - a\n- synonym: s\n  examples: |\n    - ok\n'
            '    - "no\\x85"\n')
    path.write_text(text.replace('    - "no\\x85"\n', ""), encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    project = load_project(path)
    issues = [(i.code, i.line, i.severity) for i in project.load_issues]
    assert issues == [("bad-character", 6, "error"), ("bad-character", 7, "error"),
                      ("bad-character", 8, "error")]
    assert "the role of entity 'e' contains U+0007" in project.load_issues[1].message
    assert [e.text for e in project.examples] == ["hi"]
    add_example(project, Example("hello", "greet"))
    project.save(create_files=True)
    saved = path.read_text(encoding="utf-8")
    for line in text.splitlines()[5:]:
        assert line in saved  # skipped items are kept byte for byte
    assert [e.text for e in load_project(path).examples] == ["hi", "hello"]


def _has_forbidden(example: Example) -> bool:
    strings = [example.text, example.intent]
    for span in example.entities:
        strings += [span.entity, span.value, span.role or "", span.group or ""]
    return any(FORBIDDEN.search(value) for value in strings)


@st.composite
def _examples(draw: st.DrawFn) -> Example:
    chars = draw(st.sampled_from([CHARS, ALLOWED]))  # about half of them get saved
    text = draw(st.text(chars, min_size=1, max_size=16))
    spans: tuple[EntitySpan, ...] = ()
    if draw(st.booleans()):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        entity = draw(st.text(chars, min_size=1, max_size=6))
        value = draw(st.one_of(st.just(text[start:end]),
                               st.text(chars, min_size=1, max_size=6)))
        names = st.one_of(st.none(), st.text(chars, min_size=1, max_size=4))
        role, group = draw(names), draw(names)
        spans = (EntitySpan(start, end, entity, value, role, group),)
    intent = draw(st.sampled_from(["greet", "faq/ask_hours", "hyp"]))
    return Example(text, intent, spans)


SMALL_NLU = ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n'
             '- intent: faq/ask_hours\n  examples:\n  - text: "when do you open?"\n'
             '    metadata:\n      source: website\n')


@settings(max_examples=int(os.environ.get("TEXT_RULES_EXAMPLES", "100")),
          deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(example=_examples())
def test_any_example_is_refused_or_loads_back_equal(example: Example) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nlu.yml"
        path.write_text(SMALL_NLU, encoding="utf-8")
        project = load_project(path)
        try:
            add_example(project, example)
        except TextRuleError as error:
            assert _has_forbidden(example) and "U+" in error.message
            assert not project.modified
            event("refused at the edit")
            return
        assert not _has_forbidden(example)
        try:
            project.save(create_files=True)
        except SaveError as error:  # the writer refuses (spaces around, markup...)
            assert str(error) and path.read_text(encoding="utf-8") == SMALL_NLU
            event("refused by the writer")
            return
        reloaded = load_project(path)
        assert reloaded.load_issues == []
        mine = [(e.text, e.intent, e.entities) for e in reloaded.examples]
        assert (example.text, example.intent, example.entities) in mine
        event("saved and reloaded equal")
