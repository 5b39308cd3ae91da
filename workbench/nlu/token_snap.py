"""Snap character selections to token boundaries (the model's whitespace tokenizer).

Rasa warns "Misaligned entity annotation" when a span does not start and end on token
boundaries, and then silently ignores it in training. Snapping every selection to the
same tokens the model trains on makes such spans impossible to create.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from workbench.nlu.tokenizers import WhitespaceTokenizer


class TokenBounds(NamedTuple):
    """Character offsets of one token: ``text[start:end]``."""

    start: int
    end: int


def tokenize(text: str) -> list[TokenBounds]:
    """Return the token offsets of ``text`` as the model's tokenizer sees them."""
    return [TokenBounds(t.start, t.end) for t in WhitespaceTokenizer().tokenize(text)]


def snap_selection(
    tokens: Sequence[TokenBounds], start: int, end: int
) -> tuple[int, int] | None:
    """Widen ``[start, end)`` to whole tokens; ``None`` if it touches no token.

    A selection that only covers spaces or punctuation between tokens touches no token.
    An empty selection (a click) snaps to the token under it.
    """
    if start > end:
        start, end = end, start
    if start == end:
        hit = [t for t in tokens if t.start <= start < t.end]
    else:
        hit = [t for t in tokens if t.start < end and start < t.end]
    if not hit:
        return None
    return hit[0].start, hit[-1].end


def token_index_at(tokens: Sequence[TokenBounds], position: int) -> int | None:
    """Return the index of the token containing (or ending at) ``position``."""
    for index, token in enumerate(tokens):
        if token.start <= position <= token.end:
            return index
    return None
