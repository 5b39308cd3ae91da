"""Read unlabelled messages for the review inbox: text lines, CSV/TSV, JSONL, paste.

Everything is streamed (a file is never read whole) and every refusal says where and
why: a binary file, a file over :data:`MAX_FILE_BYTES`, a line over
:data:`MAX_LINE_CHARS`, bytes that are not UTF-8, characters no example may hold
(:mod:`workbench.core.text_rules`), a JSONL line without a ``text`` string.
Bad lines are skipped and reported (:class:`LineProblem`); a file that cannot be read
as messages at all raises :class:`InboxImportError` before anything is imported.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workbench.core.text_rules import describe_character, find_forbidden

MAX_FILE_BYTES = 256 * 1024 * 1024  # bigger imports: split the file
MAX_LINE_CHARS = 5_000  # a message longer than this is not a chat message
_MAX_LINE_BYTES = MAX_LINE_CHARS * 4 + 2
_SNIFF_BYTES = 64 * 1024
FORMATS = ("text", "csv", "tsv", "jsonl")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
               ".ndjson": "jsonl", ".json": "jsonl"}


class InboxImportError(ValueError):
    """The file cannot be imported at all (the message says why and what to do)."""


@dataclass(frozen=True, slots=True)
class LineProblem:
    """A line that was skipped: 1-based line number and the reason."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Message:
    """One message read from a source: its text and 1-based line."""

    text: str
    line: int


def guess_format(path: Path) -> str:
    """``text``, ``csv``, ``tsv`` or ``jsonl`` from the file name (default text)."""
    return _EXTENSIONS.get(Path(path).suffix.lower(), "text")


def check_file(path: Path) -> None:
    """Refuse what is not a readable, reasonably sized text file.

    Raises:
        InboxImportError: missing, a folder, too big, unreadable or binary.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InboxImportError(f"{path}: cannot be read ({error.strerror or error})") \
            from None
    if not path.is_file():
        raise InboxImportError(f"{path}: not a file; choose a text, CSV, TSV or JSONL "
                               "file")
    if size > MAX_FILE_BYTES:
        raise InboxImportError(
            f"{path}: {size / 2**20:,.0f} MB is more than an import takes "
            f"({MAX_FILE_BYTES // 2**20} MB); split the file (e.g. `split -l 100000`)")
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        raise InboxImportError(f"{path}: cannot be read ({error.strerror or error})") \
            from None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InboxImportError(f"{path}: is UTF-16 encoded; save it as UTF-8 (e.g. "
                               "`iconv -f UTF-16 -t UTF-8`) and import that")
    if b"\x00" in head:
        raise InboxImportError(
            f"{path}: looks like a binary file (it holds NUL bytes), not text; export "
            "the messages as UTF-8 text, CSV, TSV or JSONL")


def _clean(text: str, line: int) -> Message | LineProblem | None:
    """The message of one raw field (None for a blank one)."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_LINE_CHARS:
        return LineProblem(line, f"{len(text):,} characters (at most "
                                 f"{MAX_LINE_CHARS:,}); shorten or split it")
    bad = find_forbidden(text)
    if bad is not None:
        return LineProblem(line, f"contains {describe_character(text[bad])} at "
                                 f"position {bad + 1}; remove it")
    return Message(text, line)


def _lines(path: Path) -> Iterator[tuple[int, str | LineProblem]]:
    """``(line number, decoded line)`` with bounded reads; problems for bad lines."""
    with Path(path).open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(_MAX_LINE_BYTES)
            if not raw:
                return
            number += 1
            if len(raw) == _MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while True:  # skip the rest of a huge line without holding it
                    more = handle.readline(_MAX_LINE_BYTES)
                    if not more or more.endswith(b"\n"):
                        break
                yield number, LineProblem(number, f"longer than {MAX_LINE_CHARS:,} "
                                                  "characters; shorten or split it")
                continue
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                yield number, LineProblem(
                    number, f"not UTF-8 (byte 0x{raw[error.start]:02x} at column "
                            f"{error.start + 1}); save the file as UTF-8")


def read_text_lines(path: Path) -> Iterator[Message | LineProblem]:
    """One message per non-blank line."""
    for number, line in _lines(path):
        item = line if isinstance(line, LineProblem) else _clean(line, number)
        if item is not None:
            yield item


def read_jsonl(path: Path, field: str = "text") -> Iterator[Message | LineProblem]:
    """One JSON object per line; the message is its ``field`` string."""
    for number, line in _lines(path):
        if isinstance(line, LineProblem):
            yield line
            continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as error:
            yield LineProblem(number, f"not JSON ({str(error).split(':')[0]})")
            continue
        value = data.get(field) if isinstance(data, dict) else None
        if not isinstance(value, str):
            yield LineProblem(number, f"no “{field}” string in this JSON line")
            continue
        item = _clean(value, number)
        if item is not None:
            yield item


def _delimiter(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def table_columns(path: Path, fmt: str | None = None) -> list[str]:
    """The header row of a CSV/TSV file (to choose the message column).

    Raises:
        InboxImportError: the file cannot be read or has no header row.
    """
    check_file(path)
    fmt = fmt or guess_format(path)
    for number, line in _lines(path):
        if isinstance(line, LineProblem):
            raise InboxImportError(f"{path}:{number}: {line.reason}")
        if line.strip():
            row = next(csv.reader([line], delimiter=_delimiter(fmt)), [])
            return [cell.strip() for cell in row]
    raise InboxImportError(f"{path}: empty file (no header row)")


def resolve_column(columns: list[str], column: str | None, path: Path) -> int:
    """The index of the message column: by name or 1-based number, else ``text``.

    Raises:
        InboxImportError: no such column, or several and none chosen.
    """
    lowered = [c.lower() for c in columns]
    if column is None:
        if "text" in lowered:
            return lowered.index("text")
        if len(columns) == 1:
            return 0
        raise InboxImportError(
            f"{path}: which column holds the messages? Columns: "
            f"{', '.join(columns)}; choose one (--column NAME or number)")
    if column.lower() in lowered:
        return lowered.index(column.lower())
    if column.isdigit() and 1 <= int(column) <= len(columns):
        return int(column) - 1
    raise InboxImportError(f"{path}: no column “{column}”; columns: "
                           f"{', '.join(columns)}")


def read_table(path: Path, fmt: str, column: str | None = None
               ) -> Iterator[Message | LineProblem]:
    """Rows of a CSV/TSV file with a header row; the message is one column."""
    columns = table_columns(path, fmt)
    index = resolve_column(columns, column, path)
    delimiter = _delimiter(fmt)
    header_seen = False
    for number, line in _lines(path):
        if isinstance(line, LineProblem):
            yield line
            continue
        if not line.strip():
            continue
        if not header_seen:
            header_seen = True
            continue
        # One physical line = one row: a quoted field spanning lines would otherwise
        # let a stray quote swallow the rest of the file into one "message".
        try:
            row = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
        except csv.Error as error:
            yield LineProblem(number, f"not a {fmt.upper()} row ({error})")
            continue
        if index >= len(row):
            yield LineProblem(
                number, f"has {len(row)} column(s), no “{columns[index]}”"
            )
            continue
        item = _clean(row[index], number)
        if item is not None:
            yield item


def read_messages(path: Path, fmt: str | None = None, column: str | None = None
                  ) -> Iterator[Message | LineProblem]:
    """Messages of a file in ``fmt`` (guessed from the name when None).

    Raises:
        InboxImportError: the file cannot be imported at all (raised on the first
            ``next()`` at the latest, before any message is yielded).
    """
    path = Path(path)
    check_file(path)
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise InboxImportError(
            f"unknown format “{fmt}”; use one of {', '.join(FORMATS)}"
        )
    if fmt in ("csv", "tsv"):
        resolve_column(table_columns(path, fmt), column, path)  # raise now, not later
        return read_table(path, fmt, column)
    if fmt == "jsonl":
        return read_jsonl(path)
    return read_text_lines(path)


def messages_from_paste(text: str) -> Iterator[Message | LineProblem]:
    """One message per non-blank line of pasted text."""
    for number, line in enumerate(text.splitlines(), start=1):
        item = _clean(line, number)
        if item is not None:
            yield item
