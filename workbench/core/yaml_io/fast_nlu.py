"""A fast reader for the plain shape of Rasa NLU files, used to open big projects.

ruamel's pure-Python scanner reads ``examples: |`` blocks character by character
(~0.4 s for SNIPS' 13k examples). Most NLU files use one simple shape::

    version: "3.1"
    nlu:
    - intent: name
      examples: |
        - example
    - synonym: value
      examples: |
        - item

This module reads exactly that shape line by line into a stand-in tree (plain dicts and
lists that carry ruamel-like ``lc`` line information) and returns ``None`` for anything
else (other keys, metadata, list examples, flow style, quoting with escapes, tabs,
CRLF...), so the caller falls back to ruamel. The real round-trip tree is loaded only
when a file is saved (``materialize``), and checked against what was read here.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.scalarstring import LiteralScalarString

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*):(?: +(.*))?$")
_ITEM = re.compile(r"^( *)(- +)([A-Za-z_][\w-]*):(?: +(.*))?$")
_KEY = re.compile(r"^( *)([A-Za-z_][\w-]*):(?: +(.*))?$")
_BLOCK_INDICATOR = re.compile(r"^\|(-?) *$")
# Anything but what YAML allows, and the line breaks ruamel knows besides "\n" (NEL,
# LINE and PARAGRAPH SEPARATOR end a line for ruamel, not for this reader).
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd"
    "\U00010000-\U0010ffff]")
_SPECIAL_PLAIN = {"~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"}
_BLOCK_KEYS = ("intent", "synonym", "regex", "lookup")


class _Lines:
    """ruamel-like line info: 0-based lines of the node, its keys, values, items."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.col = 0
        self._keys: dict[Any, int] = {}
        self._items: list[int] = []

    def key(self, key: Any) -> tuple[int, int]:
        return self._keys[key], 0

    def value(self, key: Any) -> tuple[int, int]:
        return self._keys[key], 0

    def item(self, index: int) -> tuple[int, int]:
        return self._items[index], 0


class FastMap(dict):  # type: ignore[type-arg]
    """A mapping read by this module (stands in for ruamel's CommentedMap)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.lc = _Lines(line)
        self.block_indent = 0  # column of the ``examples: |`` content lines


class FastSeq(list):  # type: ignore[type-arg]
    """A sequence read by this module (stands in for ruamel's CommentedSeq)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.lc = _Lines(line)


def fast_parse(text: str) -> FastMap | None:
    """Read ``text`` if it has the plain NLU shape, else return ``None``."""
    unusual = ("\r" in text or "\t" in text or text.startswith("\ufeff")
               or not text.endswith("\n"))  # a last block line without "\n" chomps
    if unusual or _NOT_PRINTABLE.search(text):
        return None
    lines = text.split("\n")
    tree = FastMap(0)
    index = 0
    while index < len(lines):
        line = lines[index]
        if _skippable(line):
            index += 1
            continue
        match = _TOP_KEY.match(line)
        if not match or match.group(1) in tree:
            return None
        key, rest = match.group(1), match.group(2)
        tree.lc._keys[key] = index
        if key == "nlu" and read_scalar(rest) is None and not (rest or "").strip(" "):
            parsed = _parse_nlu(lines, index + 1)
            if parsed is None:
                return None
            tree[key], index = parsed
            continue
        value = read_scalar(rest)
        if value is None:
            return None
        tree[key] = value
        index += 1
    return tree if "nlu" in tree else None


def _skippable(line: str) -> bool:
    stripped = line.strip(" ")  # YAML blanks are spaces (tabs never get here)
    return not stripped or stripped.startswith("#")


def read_scalar(rest: str | None) -> str | None:
    """Return the value of a one-line plain or simply quoted scalar, else ``None``."""
    if rest is None:
        return None
    rest = rest.rstrip(" ")
    if rest.startswith("'"):
        match = re.match(r"'((?:[^']|'')*)'( +#.*)?$", rest)
        return match.group(1).replace("''", "'") if match else None
    if rest.startswith('"'):
        match = re.match(r'"([^"\\]*)"( +#.*)?$', rest)
        return match.group(1) if match else None
    value = rest.split(" #", 1)[0].rstrip(" ")
    if (not value or value[0] in "-?:,[]{}#&*!|>'\"%@`0123456789+." or ": " in value
            or value.endswith(":") or value.lower() in _SPECIAL_PLAIN):
        return None
    return value


def _parse_nlu(lines: list[str], index: int) -> tuple[FastSeq, int] | None:
    seq = FastSeq(index)
    dash_column = None
    while index < len(lines):
        line = lines[index]
        if _skippable(line):
            index += 1
            continue
        match = _ITEM.match(line)
        if match is None:
            if line[0] != " " and _TOP_KEY.match(line) and dash_column is not None:
                return seq, index  # the next top-level key
            return None
        if dash_column is None:
            dash_column = len(match.group(1))
        if len(match.group(1)) != dash_column:
            return None
        parsed = _parse_item(lines, index, dash_column + len(match.group(2)))
        if parsed is None:
            return None
        item, index = parsed
        seq.lc._items.append(item.lc.line)
        seq.append(item)
    return (seq, index) if dash_column is not None else None


def _parse_item(lines: list[str], index: int, column: int
                ) -> tuple[FastMap, int] | None:
    item = FastMap(index)
    first = True
    while index < len(lines):
        line = lines[index]
        if _skippable(line):
            index += 1
            continue
        if first:
            key, rest = _ITEM.match(line).group(3, 4)  # type: ignore[union-attr]
            first = False
        else:
            match = _KEY.match(line)
            if match is None or len(match.group(1)) != column:
                indent = len(line) - len(line.lstrip(" "))
                if indent < column:
                    break  # next item or next top-level key
                return None
            key, rest = match.group(2), match.group(3)
        if key in item:
            return None
        item.lc._keys[key] = index
        if key in _BLOCK_KEYS:
            value = read_scalar(rest)
            if value is None:
                return None
            item[key] = value
            index += 1
        elif key == "examples":
            indicator = _BLOCK_INDICATOR.match(rest or "")
            if indicator is None:
                return None
            block = _literal(lines, index + 1, column, strip=indicator.group(1) == "-")
            if block is None:
                return None
            item[key], index, item.block_indent = block
        else:
            return None
    if sum(key in item for key in _BLOCK_KEYS) != 1 or "examples" not in item:
        return None
    return item, index


def _literal(lines: list[str], index: int, column: int, strip: bool
             ) -> tuple[str, int, int] | None:
    """Read a ``|`` / ``|-`` block scalar whose key is at ``column``."""
    content: list[str] = []
    indent = None
    while index < len(lines):
        line = lines[index]
        if line == "":
            content.append("")
            index += 1
            continue
        current = len(line) - len(line.lstrip(" "))
        if current == len(line):
            return None  # whitespace-only line: subtle YAML rules, let ruamel do it
        if indent is None:
            if current <= column:
                return None  # empty block
            indent = current
        if current < indent:
            break
        content.append(line[indent:])
        index += 1
    while content and content[-1] == "":
        content.pop()
        index -= 1
    if not content or content[0] == "":
        return None
    text = "\n".join(content) + ("" if strip else "\n")
    return LiteralScalarString(text), index, indent


def same_content(fast: Any, real: Any) -> bool:
    """Check that ruamel read the same NLU blocks as :func:`fast_parse`."""
    fast_items = fast.get("nlu")
    real_items = real.get("nlu") if isinstance(real, dict) else None
    if not isinstance(real_items, list) or len(real_items) != len(fast_items):
        return False
    for mine, theirs in zip(fast_items, real_items, strict=True):
        if not isinstance(theirs, dict) or set(mine) != set(theirs):
            return False
        if any(str(theirs[key]) != mine[key] for key in mine):
            return False
    return True
