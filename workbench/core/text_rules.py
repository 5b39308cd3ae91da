"""Which characters an example, entity, role, group, resource or name may contain.

Some characters make a saved file unloadable or change it on reload: control
characters (YAML refuses them; ``\\x00``-``\\x08``, ``\\x1b``, ``\\x7f``...), lone
surrogates (not encodable as UTF-8), the noncharacters ``U+FFFE``/``U+FFFF`` (and the
other 64 noncharacters), and line breaks: ``\\n``, ``\\r``, and ``U+0085``,
``U+2028``, ``U+2029``, ``\\x0b``, ``\\x0c``, ``\\x1c``-``\\x1e``, which YAML or Rasa's
line splitting (``str.splitlines``) read as the end of a line. They are refused
everywhere data enters the project: edits (:class:`TextRuleError`, a ``ValueError``
with a message naming the character and its position), and files on disk (the item
is skipped with an issue naming file and line). Tab is allowed: YAML keeps it inside
a line, and Rasa does too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = [
    "FORBIDDEN",
    "TextRuleError",
    "check_example",
    "check_name",
    "check_resource",
    "check_text",
    "describe_character",
    "find_forbidden",
]

_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}"
    for plane in range(17))
# C0 controls but tab, DEL and C1 controls, separators, surrogates, noncharacters.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff" + _NONCHARACTERS + "]")


class TextRuleError(ValueError):
    """A value that contains a character the project cannot store.

    Attributes:
        message: What is wrong and how to fix it (also ``str(error)``).
        character: The offending character.
        position: Its 0-based index in the value.
        what: Which value it was, e.g. ``"the example text"``.
    """

    def __init__(self, what: str, value: str, position: int) -> None:
        self.character = value[position]
        self.position = position
        self.what = what
        self.message = (f"{what} contains {describe_character(self.character)} at "
                        f"position {position + 1}; remove it")
        super().__init__(self.message)


def describe_character(character: str) -> str:
    """``"U+0007 (a control character)"``: the code point and its kind."""
    code = ord(character)
    if character in _LINE_BREAKS:
        kind = "a line break"
    elif 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate, half of a broken character pair"
    elif unicodedata.category(character) == "Cc":
        kind = "a control character"
    elif FORBIDDEN.match(character):
        kind = "a noncharacter"
    else:
        name = unicodedata.name(character, "")
        kind = name.lower() if name else "a character"
    return f"U+{code:04X} ({kind})"


def find_forbidden(value: str) -> int | None:
    """Index of the first forbidden character of ``value``, or ``None``."""
    found = FORBIDDEN.search(value)
    return found.start() if found else None


def check_text(value: Any, what: str = "the text") -> None:
    """Raise :class:`TextRuleError` if the string ``value`` has a forbidden character.

    Values that are not strings (``None`` roles, for instance) pass.
    """
    if isinstance(value, str):
        position = find_forbidden(value)
        if position is not None:
            raise TextRuleError(what, value, position)


def check_name(name: Any, kind: str = "intent") -> None:
    """Check an intent, entity, role or group name (``kind`` names it)."""
    check_text(name, f"the {kind} name {_shown(name)}")


def check_example(example: Any) -> None:
    """Check every string of an :class:`~workbench.core.examples.Example`."""
    check_text(example.text, "the example text")
    check_name(example.intent, "intent")
    for span in example.entities:
        check_name(span.entity, "entity")
        entity = _shown(span.entity)
        check_text(span.value, f"the value of entity {entity}")
        check_text(span.role, f"the role of entity {entity}")
        check_text(span.group, f"the group of entity {entity}")


def check_resource(item: Any) -> None:
    """Check a synonym, regex or lookup table: its name and every string in it."""
    name = getattr(item, "value", None)
    label = "synonym value"
    if name is None:
        name = item.name
        label = "regex name" if hasattr(item, "patterns") else "lookup table name"
    check_text(name, f"the {label} {_shown(name)}")
    values: Iterable[Any] = (getattr(item, "examples", None)
                             or getattr(item, "patterns", None)
                             or getattr(item, "elements", None) or ())
    for value in values:
        check_text(value, f"an item of {_shown(name)}")


def _shown(value: Any) -> str:
    """``'name'`` with forbidden characters shown as escapes, for messages."""
    if not isinstance(value, str):
        return repr(value)
    return "'" + FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", value) + "'"
