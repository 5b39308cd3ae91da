"""Selections snap to the model's tokens (``workbench.nlu.token_snap``)."""

from __future__ import annotations

from workbench.nlu.token_snap import snap_selection, token_index_at, tokenize
from workbench.nlu.tokenizers import WhitespaceTokenizer

TEXT = "I'd like 2 large pizzas, please!"


def test_tokens_are_the_tokenizers() -> None:
    tokens = tokenize(TEXT)
    assert [(t.start, t.end) for t in tokens] == [
        (t.start, t.end) for t in WhitespaceTokenizer().tokenize(TEXT)]
    assert [TEXT[t.start:t.end] for t in tokens][:4] == ["I", "d", "like", "2"]


def test_partial_and_reversed_selections_widen_to_whole_tokens() -> None:
    tokens = tokenize(TEXT)
    start = TEXT.index("large")
    assert snap_selection(tokens, start + 1, start + 3) == (start, start + 5)
    end = TEXT.index("pizzas") + 2
    assert snap_selection(tokens, end, start + 2) == (start, TEXT.index(","))


def test_clicks_snap_to_the_token_under_them_and_gaps_to_nothing() -> None:
    tokens = tokenize(TEXT)
    start = TEXT.index("like")
    assert snap_selection(tokens, start + 2, start + 2) == (start, start + 4)
    comma = TEXT.index(",")
    assert snap_selection(tokens, comma, comma + 2) is None  # ", " only
    assert snap_selection(tokenize(""), 0, 0) is None
    assert token_index_at(tokens, start + 4) == 2  # the end of "like" counts
    assert token_index_at(tokens, comma + 1) is None
