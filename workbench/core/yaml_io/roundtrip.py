"""Load and dump YAML with ruamel's round-trip mode, byte for byte.

A file loaded here and dumped without changes gives back the same bytes: quotes are
preserved, lines are never re-wrapped (``width`` is huge), the file's own indentation
(mapping / sequence / dash offset), line endings, BOM and ``---`` start are detected and
reused. Writes are atomic: a temp file in the same folder, flushed, fsynced, renamed.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import Reader, ReaderError

from workbench.core.text_rules import describe_character
from workbench.core.yaml_io.limits import apply_limits

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
    """Parse ``text`` into a ruamel round-trip tree, within the limits of ``limits``.

    Raises:
        YamlLoadError: With the 1-based line/column of the problem: bad syntax, a
            character YAML does not allow, nesting, alias expansion or a number
            beyond :mod:`workbench.core.yaml_io.limits`.
    """
    yaml = apply_limits(make_yaml(style))
    source = text.lstrip("\ufeff")
    try:
        return yaml.load(source)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(p for p in (error.context, error.problem) if p) or str(error)
        if mark is None:
            raise YamlLoadError(problem) from None
        raise YamlLoadError(problem, mark.line + 1, mark.column + 1) from None
    except ReaderError as error:
        raise _bad_character(source, error) from None
    except YAMLError as error:
        raise YamlLoadError(str(error).strip().splitlines()[0]) from None
    except (RecursionError, MemoryError) as error:  # a backstop: limits prevent them
        raise YamlLoadError(f"the file is too complex to read ({type(error).__name__})"
                            "; simplify its nesting") from None


def _bad_character(text: str, error: ReaderError) -> YamlLoadError:
    """A reader error (a character YAML forbids) with its line and column."""
    found = Reader.NON_PRINTABLE.search(text)
    position = found.start() if found else error.position
    if not isinstance(position, int) or not 0 <= position < len(text):
        return YamlLoadError(str(error).strip().splitlines()[0])
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    what = describe_character(text[position])
    return YamlLoadError(
        f"the file contains {what} at line {line}, column {column}, which YAML does "
        "not allow; delete it", line, column)


def dump_yaml(tree: Any, style: YamlStyle) -> str:
    """Serialise ``tree`` with ``style`` (newlines and BOM included)."""
    buffer = io.StringIO()
    make_yaml(style).dump(tree, buffer)
    text = buffer.getvalue()
    if style.newline != "\n":
        # comments read from a CRLF file keep their "\r": normalise, then convert
        text = text.replace("\r\n", "\n").replace("\n", style.newline)
    return ("\ufeff" + text) if style.bom else text


def read_text(path: Path) -> str:
    """Read a text file as UTF-8 without newline translation (keeps CRLF and BOM)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old or the new file.

    One-file case of :func:`workbench.core.yaml_io.atomic.commit_files` (temp file in
    the same folder, fsynced, renamed; a symlink is written through, the mode kept).
    """
    from workbench.core.yaml_io.atomic import FileWrite, commit_files

    commit_files([FileWrite(Path(path), text, create=not Path(path).exists())])
