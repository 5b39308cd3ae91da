"""WhitespaceTokenizer: Rasa's splitting rules and character offsets."""

from __future__ import annotations

import pytest

from workbench.nlu.tokenizers import Token, WhitespaceTokenizer


def words(text: str, **kwargs) -> list[str]:
    return [t.text for t in WhitespaceTokenizer(**kwargs).tokenize(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello!", ["hello"]),
        ('"hello there", she said.', ["hello", "there", "she", "said"]),
        ("I paid -5 at 10'000.00", ["I", "paid", "-5", "at", "10'000.00"]),
        ("mail a.b@x.com or https://x.org/a?b=1", ["mail", "a.b@x.com", "or",
                                                    "https://x.org/a?b=1"]),
        ("rock&roll #tag @user", ["rock&roll", "#tag", "@user"]),
        ("state-of-the-art snake_case", ["state-of-the-art", "snake_case"]),
        ("what's up?", ["what", "s", "up"]),  # apostrophe splits (as in Rasa)
        ("12:30 pm", ["12:30", "pm"]),
    ],
)
def test_punctuation_numbers_urls(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_offsets_point_into_original_text() -> None:
    text = '  "Book" a table, for 4 in Berlin!  '
    tokens = WhitespaceTokenizer().tokenize(text)
    assert [t.text for t in tokens] == ["Book", "a", "table", "for", "4", "in",
                                        "Berlin"]
    for token in tokens:
        assert text[token.start : token.end] == token.text
    assert tokens[0] == Token("Book", 3, 7)


def test_repeated_words_get_increasing_offsets() -> None:
    tokens = WhitespaceTokenizer().tokenize("no no no")
    assert [(t.start, t.end) for t in tokens] == [(0, 2), (3, 5), (6, 8)]


def test_emoji_only_tokens_are_dropped() -> None:
    assert words("I love 🍕 so much😀 👍🏽") == ["I", "love", "so", "much"]


def test_only_punctuation_or_emoji_gives_whole_text() -> None:
    assert words(":)") == [":)"]
    assert words("🙂") == ["🙂"]
    assert WhitespaceTokenizer().tokenize("?!") == [Token("?!", 0, 2)]


def test_empty_and_whitespace_text_gives_no_tokens() -> None:
    assert WhitespaceTokenizer().tokenize("") == []
    assert WhitespaceTokenizer().tokenize(" \t\n") == []


def test_unicode_words_with_combining_marks_stay_whole() -> None:
    # Devanagari vowel signs are marks (\w for Rasa's `regex` module, not for `re`).
    assert words("नमस्ते दुनिया!") == ["नमस्ते", "दुनिया"]
    assert words("Grüße aus Köln, señor") == ["Grüße", "aus", "Köln", "señor"]
    # kept (Rasa's emoji class drops CJK)
    assert words("北京 欢迎你") == ["北京", "欢迎你"]


def test_token_pattern_splits_tokens_further() -> None:
    tokens = WhitespaceTokenizer(token_pattern=r"[a-z]+|\d+").tokenize("abc123 de")
    assert tokens == [Token("abc", 0, 3), Token("123", 3, 6), Token("de", 7, 9)]


def test_bad_token_pattern_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="token_pattern"):
        WhitespaceTokenizer.from_rasa({"token_pattern": "("})


def test_offsets_always_match_text() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    tokenizer = WhitespaceTokenizer()

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list("ab1 .,!?'-_#@&:/()😀é\u0301\t")),
                   max_size=30))
    def check(text: str) -> None:
        tokens = tokenizer.tokenize(text)
        last_end = 0
        for token in tokens:
            assert token.text and text[token.start : token.end] == token.text
            assert token.start >= last_end
            last_end = token.end
        assert bool(tokens) == bool(text.strip())

    check()
