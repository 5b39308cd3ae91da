"""Load and dump YAML with ruamel's round-trip mode, byte for byte.

A file loaded here and dumped without changes gives back the same bytes: quotes are
preserved, lines are never re-wrapped (``width`` is huge), the file's own indentation
(mapping / sequence / dash offset), line endings, BOM and ``---`` start are detected and
reused. Writes are atomic: a temp file in the same folder, flushed, fsynced, renamed.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

# Never re-wrap long lines: Rasa examples are often longer than ruamel's default 80.
NO_WRAP_WIDTH = 1_000_000_000
_KEY_ONLY = re.compile(r"^( *)(?:- +)?[^\s#-][^#]*:\s*(?:#.*)?$")
_DASH = re.compile(r"^( *)-( +)\S")
_KEY_LINE = re.compile(r"^( *)[^\s#-][^:#]*:(?:\s|$)")
_BLOCK_SCALAR_KEY = re.compile(r"^( *)(?:- +)?[^\s#-][^#]*:\s*[|>][-+0-9]*\s*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class YamlStyle:
    """Layout facts of one YAML file that a dump must reproduce."""

    mapping: int = 2  # spaces per nested mapping level
    sequence: int = 2  # indent of a sequence item's content relative to its parent key
    offset: int = 0  # indent of the "-" inside that space (Rasa: "- intent" at col 0)
    newline: str = "\n"  # "\r\n" for Windows files
    bom: bool = False  # file started with a UTF-8 byte order mark
    explicit_start: bool = False  # document starts with "---"


class YamlLoadError(Exception):
    """A YAML file that cannot be parsed.

    Attributes:
        message: ruamel's problem description.
        line: 1-based line of the problem, or ``None``.
        column: 1-based column, or ``None``.
    """

    def __init__(self, message: str, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def detect_style(text: str) -> YamlStyle:
    """Guess the indentation and layout of a YAML document from its text.

    Args:
        text: The decoded file content.

    Returns:
        The style; Rasa's usual 2/2/0 where the file gives no evidence.
    """
    bom = text.startswith("\ufeff")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    mapping = sequence = offset = None
    explicit_start = False
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            explicit_start = stripped.startswith("---")
            break
    for number, line in enumerate(lines[:-1]):
        if mapping is None and _BLOCK_SCALAR_KEY.match(line):
            # a block scalar's content is indented by one mapping level (ruamel)
            following = _next_content_line(lines, number + 1)
            if following is not None:
                indent = len(following) - len(following.lstrip(" "))
                if indent > _content_column(line):
                    mapping = indent - _content_column(line)
            continue
        parent = _KEY_ONLY.match(line)
        if not parent:
            continue
        following = _next_content_line(lines, number + 1)
        if following is None:
            continue
        base = _content_column(line)
        dash = _DASH.match(following)
        indent = len(following) - len(following.lstrip(" "))
        if dash and sequence is None:
            offset = len(dash.group(1)) - base
            sequence = offset + 1 + len(dash.group(2))
        elif (not dash and mapping is None and indent > base
              and _KEY_LINE.match(following)):
            mapping = indent - base
        if mapping is not None and sequence is not None:
            break
    return YamlStyle(
        mapping=mapping or 2,
        sequence=sequence if sequence and sequence > 0 else 2,
        offset=max(offset or 0, 0),
        newline=newline,
        bom=bom,
        explicit_start=explicit_start,
    )


def _content_column(line: str) -> int:
    """Column where the key of ``line`` starts (after any "- " of a sequence item)."""
    match = re.match(r"^( *)(- +)*", line)
    return len(match.group(0)) if match else 0


def _next_content_line(lines: list[str], start: int) -> str | None:
    for line in lines[start : start + 20]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return line
    return None


def make_yaml(style: YamlStyle) -> YAML:
    """Return a round-trip ``YAML`` configured to reproduce ``style``."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = NO_WRAP_WIDTH
    yaml.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    yaml.explicit_start = style.explicit_start
    return yaml


def load_yaml(text: str, style: YamlStyle) -> Any:
    """Parse ``text`` into a ruamel round-trip tree.

    Raises:
        YamlLoadError: With the 1-based line/column ruamel reports.
    """
    yaml = make_yaml(style)
    try:
        return yaml.load(text.lstrip("\ufeff"))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(p for p in (error.context, error.problem) if p) or str(error)
        if mark is None:
            raise YamlLoadError(problem) from None
        raise YamlLoadError(problem, mark.line + 1, mark.column + 1) from None
    except YAMLError as error:
        raise YamlLoadError(str(error).strip().splitlines()[0]) from None


def dump_yaml(tree: Any, style: YamlStyle) -> str:
    """Serialise ``tree`` with ``style`` (newlines and BOM included)."""
    buffer = io.StringIO()
    make_yaml(style).dump(tree, buffer)
    text = buffer.getvalue()
    if style.newline != "\n":
        text = text.replace("\n", style.newline)
    return ("\ufeff" + text) if style.bom else text


def read_text(path: Path) -> str:
    """Read a text file as UTF-8 without newline translation (keeps CRLF and BOM)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old or the new file.

    The content goes to a temp file in the same folder, is flushed and fsynced, then
    renamed over the target with ``os.replace``; on any error the temp file is removed
    and the original is untouched.
    """
    path = Path(path)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                     dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temp_name, path.stat().st_mode & 0o7777)
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
