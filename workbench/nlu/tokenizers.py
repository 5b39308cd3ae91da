"""Rasa's ``WhitespaceTokenizer``: split text into tokens with character offsets.

Behaviour follows Rasa 3.x (diet-reference.md §2). Rasa uses the third-party ``regex``
module, whose ``\\w`` is full Unicode (letters, digits, marks, connector punctuation and
join controls); Python's ``re`` only counts ``str.isalnum()`` characters and ``_``. We
emulate the wider class by adding the missing code points (combining marks such as the
Devanagari vowel signs, connector punctuation, ZWJ/ZWNJ) to every ``\\w`` / ``\\W`` use.

Deviation, on purpose: Rasa's emoji class contains the range U+24C2-U+1F251, which also
covers CJK and Hangul, so a token written only in those scripts silently disappears. We
use a narrower emoji class (pictographs, dingbats, flags, skin tones, variation
selector, ZWJ/ZWNJ) so such tokens are kept.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.core.safe_regex import SafePattern

# Code point ranges scanned for characters that ``regex``'s \w accepts but ``re``'s does
# not. Plane 2/3 (CJK extensions) holds no marks; plane 14 holds variation selectors.
_SCAN_RANGES = ((0, 0x20000), (0xE0000, 0xE1000))
_EXTRA_WORD_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Pc"})
_JOIN_CONTROLS = (0x200C, 0x200D)

_EMOJI_CLASS = (
    "\U0001f600-\U0001f64f"  # emoticons
    "\U0001f300-\U0001f5ff"  # symbols & pictographs (incl. skin tones)
    "\U0001f680-\U0001f6ff"  # transport & map symbols
    "\U0001f900-\U0001faff"  # supplemental symbols & pictographs, extended-A
    "\U0001f1e0-\U0001f1ff"  # regional indicators (flags)
    "\u2600-\u27bf"  # miscellaneous symbols, dingbats
    "\u2b00-\u2bff"  # arrows, stars
    "\u2190-\u21ff"  # arrows
    "\ufe0f\u20e3"  # variation selector-16, keycap
    "\u200d\u200c"  # zero width joiner / non-joiner
)
_EMOJI_RE = re.compile(f"[{_EMOJI_CLASS}]+")


def _ranges_to_class(code_points: list[int]) -> str:
    """Compress sorted code points into a regex character-class body of ranges."""
    parts: list[str] = []
    start = prev = code_points[0]
    for cp in code_points[1:] + [-2]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(re.escape(chr(start)) if start == prev else
                     f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = cp
    return "".join(parts)


@functools.lru_cache(maxsize=1)
def _extra_word_chars() -> str:
    """Character-class body of code points that are \\w in ``regex``, not in ``re``."""
    extra = list(_JOIN_CONTROLS)
    for low, high in _SCAN_RANGES:
        for cp in range(low, min(high, sys.maxunicode + 1)):
            char = chr(cp)
            if unicodedata.category(char) in _EXTRA_WORD_CATEGORIES and not (
                char.isalnum() or char == "_"
            ):
                extra.append(cp)
    return _ranges_to_class(sorted(set(extra)))


@functools.lru_cache(maxsize=1)
def _split_pattern() -> re.Pattern[str]:
    """Rasa's substitution pattern (three alternatives, see module docstring)."""
    word = f"\\w{_extra_word_chars()}"  # body of a Unicode word-character class
    return re.compile(
        # a non-word run (not #@&) followed by whitespace or end: trailing punctuation
        f"[^{word}#@&]+(?=\\s|$)|"
        # whitespace/start + non-word run, not followed by digit/space: leading punct.
        f"(\\s|^)[^{word}#@&]+(?=[^0-9\\s])|"
        # between two non-digit non-space chars: odd symbols, not URL/number characters
        f"(?<=[^0-9\\s])[^{word}._~:/?#\\[\\]()@!$&*+,;=-]+(?=[^0-9\\s])"
    )


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its text and half-open character offsets into the original text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class WhitespaceTokenizer:
    """Rasa's default tokenizer (config keys as in Rasa).

    Attributes:
        token_pattern: optional regex; each token is further split with ``findall``.
        intent_tokenization_flag: accepted for compatibility (intents are not tokenized
            here: DIET's label features are one-hot per intent).
        intent_split_symbol: accepted for compatibility.
    """

    token_pattern: str | None = None  # Rasa default None: no further splitting
    intent_tokenization_flag: bool = False  # Rasa default False
    intent_split_symbol: str = "_"  # Rasa default "_"

    name = "WhitespaceTokenizer"

    @classmethod
    def from_rasa(cls, settings: Mapping[str, Any]) -> WhitespaceTokenizer:
        """Build from a Rasa component mapping (unknown keys are ignored)."""
        pattern = settings.get("token_pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"WhitespaceTokenizer: token_pattern {pattern!r} is not a valid "
                    f"regular expression ({error})"
                ) from None
        return cls(
            token_pattern=pattern,
            intent_tokenization_flag=bool(
                settings.get("intent_tokenization_flag", False)
            ),
            intent_split_symbol=str(settings.get("intent_split_symbol", "_")),
        )

    @property
    def settings(self) -> dict[str, Any]:
        """Settings that change the output (used in fingerprints and artefacts)."""
        return {"token_pattern": self.token_pattern}

    def tokenize(self, text: str) -> list[Token]:
        """Split ``text`` into tokens; empty or whitespace-only text gives no tokens."""
        if not text or text.isspace():
            return []
        words = _split_pattern().sub(" ", text).split()
        words = [w for w in words if not _EMOJI_RE.fullmatch(w)]
        if not words:  # e.g. ":)" -> the whole text is one token
            words = [text.strip()]
        tokens: list[Token] = []
        running = 0
        for word in words:
            start = text.find(word, running)
            if start < 0:  # cannot happen for substituted spaces, but stay safe
                start = running
            end = start + len(word)
            running = end
            tokens.append(Token(word, start, end))
        if self.token_pattern:
            tokens = self._split_tokens(tokens)
        return tokens

    def _split_tokens(self, tokens: list[Token]) -> list[Token]:
        pattern = _safe_pattern(self.token_pattern or "")  # user regex: time-bounded
        result: list[Token] = []
        for token in tokens:
            pieces = [(a, b) for a, b in pattern.spans(token.text) if b > a]
            if not pieces:
                result.append(token)
                continue
            for a, b in pieces:
                result.append(Token(token.text[a:b], token.start + a, token.start + b))
        return result


@functools.lru_cache(maxsize=16)
def _safe_pattern(pattern: str) -> SafePattern:
    return SafePattern(pattern)
