"""Match user regular expressions without hanging: ``regex:`` blocks, lookup tables,
a tokenizer's ``token_pattern``, and the patterns stored in trained models.

Rasa matches these with Python's ``re``, a backtracking engine: a pattern such as
``(a+)+$`` or ``(.*a){20}`` takes exponential time on a long message. Each pattern is
therefore compiled for one of two engines:

* ``re`` itself (exactly Rasa's behaviour) when a static look at the parsed pattern
  proves the backtracking per start position is bounded: no unbounded quantifier and at
  most :data:`MAX_WAYS` ways to match at one position. Lookup tables (escaped
  alternations) and fixed-width patterns (``\\b[A-Z]{2}-\\d{4}\\b``) are of this kind;
  matching is linear in the message length.
* otherwise the ``regex`` module (mrab-regex, ``VERSION0``: Python ``re`` syntax,
  back-references and look-arounds included) with a deadline of :data:`MATCH_TIMEOUT_S`
  seconds per pattern and message. ``regex`` defines ``\\w``, ``\\s``, ``\\d`` by
  Unicode properties where ``re`` uses ``str.isalnum``/``isspace``/``isdecimal``
  (``½`` is a word character only in ``re``, a combining accent only in ``regex``),
  so these escapes, ``\\b`` and ``\\B`` are rewritten to ``re``'s character sets
  first. A match that runs out of time counts as no match for that message (logged
  once per pattern).

Why not RE2 (``google-re2``, linear time): its ``\\b`` and ``\\w`` are ASCII-only, so
``\\bcafé\\b`` no longer matches "Café" at the end of a message (31 of SNIPS' 12,934
messages changed features with lookup tables made of its entity values), it has no
back-references or look-arounds that Rasa users write, and its DFA ran out of memory on
the 11,525-element lookup tables.

``backtracking_problem`` is what ``workbench data validate`` reports.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import regex

if sys.version_info >= (3, 11):
    from re import _constants as _sre
    from re import _parser as _sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants as _sre
    import sre_parse as _sre_parse

LOG = logging.getLogger(__name__)

MATCH_TIMEOUT_S = 0.1  # per pattern and message, for patterns on the bounded engine
MAX_WAYS = 1_000_000  # most ways to match at one position that plain ``re`` may try
PROBE_LENGTH = 2_000  # characters of the strings ``backtracking_problem`` tries
PROBE_TIMEOUT_S = 0.2

Span = tuple[int, int]


@dataclass
class SafePattern:
    """A compiled user pattern; :meth:`spans` never takes much longer than the limit.

    Attributes:
        pattern: The pattern as written (Python ``re`` syntax).
        ignore_case: Matched with ``re.IGNORECASE``.
        bounded: True when matched by ``regex`` with a deadline (see module docstring).
        timeouts: How many messages ran out of time (their matches were dropped).
    """

    pattern: str
    ignore_case: bool = False
    timeout: float = MATCH_TIMEOUT_S
    report_timeouts: bool = True  # log the first timeout (off for validation probes)
    bounded: bool = field(init=False)
    timeouts: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        flags = re.IGNORECASE if self.ignore_case else 0
        parsed = re.compile(self.pattern, flags)  # raises re.error: Rasa's syntax
        self.bounded = _needs_time_limit(self.pattern, flags)
        self._compiled: Any = parsed
        if self.bounded:
            self._compiled = regex.compile(
                re_compatible(self.pattern),
                regex.VERSION0 | (regex.IGNORECASE if self.ignore_case else 0))

    def spans(self, text: str) -> list[Span]:
        """``(start, end)`` of every non-overlapping match (``finditer``), in order.

        On the bounded engine a message that takes longer than ``timeout`` seconds
        gives no spans.
        """
        if not self.bounded:
            return [m.span() for m in self._compiled.finditer(text)]
        try:
            return [
                m.span() for m in self._compiled.finditer(text, timeout=self.timeout)
            ]
        except TimeoutError:
            self.timeouts += 1
            if self.timeouts == 1 and self.report_timeouts:
                LOG.warning(
                    "regex %r gave up after %.0f ms on a %d-character message "
                    "(counted as no match); it backtracks catastrophically",
                    self.pattern,
                    self.timeout * 1000,
                    len(text),
                )
            return []

    def __getstate__(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "ignore_case": self.ignore_case,
                "timeout": self.timeout, "report_timeouts": self.report_timeouts}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]


@functools.lru_cache(maxsize=256)  # validation runs often in the app; probes take time
def backtracking_problem(pattern: str, ignore_case: bool = False
                         ) -> tuple[str, str] | None:
    """Say whether ``pattern`` can take exponential or high-polynomial time.

    Returns:
        ``None`` for a safe pattern, else ``(severity, reason)``: ``"error"`` when a
        probe string of :data:`PROBE_LENGTH` characters made from the pattern's own
        characters took longer than :data:`PROBE_TIMEOUT_S`, ``"warning"`` when only
        the structure is risky (a quantifier over a quantifier or an alternation, or
        several unbounded quantifiers in a row).

    Raises:
        re.error: The pattern does not compile.
    """
    flags = re.IGNORECASE if ignore_case else 0
    parsed = _sre_parse.parse(pattern, flags)
    reason = _structural_risk(parsed)
    if reason is None:
        return None
    probe = SafePattern(pattern, ignore_case, PROBE_TIMEOUT_S, report_timeouts=False)
    for text in _probe_texts(parsed):
        started = time.perf_counter()
        probe.spans(text)
        if probe.timeouts:
            return ("error", f"{reason}; a {len(text):,}-character test message took "
                    f"over {PROBE_TIMEOUT_S * 1000:.0f} ms")
        if time.perf_counter() - started > PROBE_TIMEOUT_S:  # plain ``re`` (no limit)
            return ("error", f"{reason}; a {len(text):,}-character test message took "
                    f"over {PROBE_TIMEOUT_S * 1000:.0f} ms")
    return ("warning", f"{reason}; it is matched with a time limit of "
            f"{MATCH_TIMEOUT_S * 1000:.0f} ms per message")


# -- static analysis on Python's own parse tree ----------------------------------------


@functools.lru_cache(maxsize=512)  # models and featurizers are rebuilt often
def _needs_time_limit(pattern: str, flags: int) -> bool:
    return _ways(_sre_parse.parse(pattern, flags)) > MAX_WAYS


def _ways(items: Any) -> float:
    """Upper bound on the ways a (sub)pattern matches at one position (inf: unbounded).
    """
    total = 1.0
    for op, arg in items:
        total *= _op_ways(op, arg)
        if total > MAX_WAYS:
            return math.inf
    return total


def _op_ways(op: Any, arg: Any) -> float:
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op is getattr(
            _sre, "POSSESSIVE_REPEAT", None):
        low, high, body = arg
        if high == _sre.MAXREPEAT:
            return math.inf
        inner = _ways(body)
        if inner == math.inf:
            return math.inf
        if inner <= 1:
            return float(high - low + 1)
        return sum(inner ** k for k in range(low, min(high, 64) + 1)) \
            if high <= 64 else math.inf
    if op is _sre.SUBPATTERN:
        return _ways(arg[-1])
    if op is _sre.BRANCH:
        return sum(_ways(alt) for alt in arg[1])
    if op in (_sre.ASSERT, _sre.ASSERT_NOT):
        return _ways(arg[1])
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _ways(arg)
    if op is _sre.GROUPREF_EXISTS:
        yes, no = arg[1], arg[2]
        return _ways(yes) + (_ways(no) if no is not None else 1)
    return 1.0


def _children(op: Any, arg: Any) -> list[Any]:
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op is getattr(
            _sre, "POSSESSIVE_REPEAT", None):
        return [arg[2]]
    if op is _sre.SUBPATTERN:
        return [arg[-1]]
    if op is _sre.BRANCH:
        return list(arg[1])
    if op in (_sre.ASSERT, _sre.ASSERT_NOT):
        return [arg[1]]
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return [arg]
    if op is _sre.GROUPREF_EXISTS:
        return [arg[1]] + ([arg[2]] if arg[2] is not None else [])
    return []


def _is_repeat(op: Any) -> bool:
    return op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT)


def _contains(items: Any, wanted: Any) -> bool:
    for op, arg in items:
        if wanted(op, arg) or any(_contains(c, wanted) for c in _children(op, arg)):
            return True
    return False


def _structural_risk(items: Any) -> str | None:
    """The first risky construct found, described for a person, or None."""
    unbounded_in_row = 0
    for op, arg in items:
        if _is_repeat(op):
            low, high, body = arg
            if high > 1 and _contains(body, lambda o, a: _is_repeat(o) and a[1] > 1):
                return "a quantifier is applied to a group that has its own quantifier"
            if high > 1 and _contains(body, lambda o, a: o is _sre.BRANCH):
                return "a quantifier is applied to a group with alternatives (a|b)"
            if high == _sre.MAXREPEAT:
                unbounded_in_row += 1
                if unbounded_in_row >= 3:
                    return "three or more unbounded quantifiers follow each other"
                continue
        unbounded_in_row = 0
        for child in _children(op, arg):
            reason = _structural_risk(child)
            if reason:
                return reason
    return None


def _probe_texts(items: Any) -> list[str]:
    """Long strings of the pattern's own characters, each ending in one that fails."""
    chars: list[str] = []

    def collect(sub: Any) -> None:
        for op, arg in sub:
            if op is _sre.LITERAL:
                chars.append(chr(arg))
            elif op is _sre.IN:
                for kind, value in arg:
                    if kind is _sre.LITERAL:
                        chars.append(chr(value))
                    elif kind is _sre.RANGE:
                        chars.append(chr(value[0]))
                    elif kind is _sre.CATEGORY:
                        chars.append({"DIGIT": "0", "SPACE": " "}.get(
                            str(value).split("_")[-1], "a"))
            elif op is _sre.ANY:
                chars.append("a")
            for child in _children(op, arg):
                collect(child)

    collect(items)
    unique = list(dict.fromkeys(chars or ["a"]))[:8]
    texts = [c * PROBE_LENGTH + "\x00" for c in unique]
    if len(unique) > 1:
        texts.append("".join(unique) * (PROBE_LENGTH // len(unique)) + "\x00")
    return texts


# -- ``re``'s character classes for the ``regex`` engine -------------------------------


def _class_body(test: Any) -> str:
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if test(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}"
                   for a, b in ranges)


@functools.cache
def _re_class(letter: str) -> str:
    """Body of a character class equal to ``re``'s ``\\w``, ``\\s`` or ``\\d``."""
    tests = {"w": lambda c: c.isalnum() or c == "_", "s": str.isspace,
             "d": str.isdecimal}
    return _class_body(tests[letter])


def _escape_replacement(letter: str, in_class: bool) -> str | None:
    low = letter.lower()
    if low in "wsd":
        body = _re_class(low)
        if in_class:
            return body if letter == low else None  # \W inside [...]: left as is
        return f"[{body}]" if letter == low else f"[^{body}]"
    if letter in "bB" and not in_class:
        word = f"[{_re_class('w')}]"
        if letter == "b":
            return f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))"
        return f"(?:(?<={word})(?={word})|(?<!{word})(?!{word}))"
    return None


def re_compatible(pattern: str) -> str:
    """``pattern`` with ``\\w \\W \\s \\S \\d \\D \\b \\B`` spelled out as ``re`` means
    them.

    Inside a character class ``\\W``, ``\\S``, ``\\D`` keep the ``regex`` meaning (they
    cannot be spelled out there in ``VERSION0``); they differ only on rare characters.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = -1
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            letter = pattern[i + 1]
            replacement = (_escape_replacement(letter, in_class)
                           if letter in "wWsSdDbB" else None)
            out.append(replacement if replacement is not None else pattern[i:i + 2])
            i += 2
            continue
        if not in_class and char == "[":
            in_class, class_start = True, i
            out.append(char)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a leading ] is a literal
                out.append("]")
                i += 1
            continue
        if in_class and char == "]" and i > class_start:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


__all__ = ["MATCH_TIMEOUT_S", "SafePattern", "backtracking_problem", "re_compatible"]
