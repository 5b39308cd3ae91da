"""Carry ruamel's edit of a file over to the file's own text (a three-way line merge).

``before`` is ruamel's dump of the unedited tree, ``after`` the dump of the edited
tree, ``original`` the text on disk. ruamel's dump differs from the original where it
cannot reproduce it: mixed indentation, ``%YAML`` directives, ``---``/``...``
markers, a ``...`` it adds after a ``|+`` block. :func:`merge_edit` applies the line
changes ``before -> after`` to ``original``:

- lines of ``original`` that the dump lacks (directives, markers) stay where they are;
- lines the dump adds that ``original`` lacks (a stray ``...``) are not copied;
- a line the dump re-indents is matched one to one; inserted lines are shifted by
  the indentation difference of their neighbour;
- when a block is deleted, the comment lines at its end (which YAML attaches to the
  deleted block, but belong to what follows, e.g. ``# --- regexes``) are kept.

The caller must check that the result reads back as intended (it may not, when the
dump and the original differ in ways a line match cannot see).
"""

from __future__ import annotations

from difflib import SequenceMatcher


def merge_edit(original: str, before: str, after: str) -> str:
    """Apply the line changes ``before -> after`` to ``original`` (module docstring)."""
    bom = original.startswith("\ufeff")
    o_lines = original.removeprefix("\ufeff").splitlines(keepends=True)
    b_lines = before.removeprefix("\ufeff").splitlines(keepends=True)
    c_lines = after.removeprefix("\ufeff").splitlines(keepends=True)
    b_to_o, extras = _align(o_lines, b_lines)
    out: list[str] = []

    def flush_extras(index: int) -> None:
        out.extend(o_lines[i] for i in extras.pop(index, ()))

    def original_of(index: int) -> str | None:
        mapped = b_to_o.get(index)
        return o_lines[mapped] if mapped is not None else None

    matcher = SequenceMatcher(None, b_lines, c_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for index in range(i1, i2):
                flush_extras(index)
                line = original_of(index)
                if line is not None:
                    out.append(line)
            continue
        for index in range(i1, i2):
            flush_extras(index)
        if tag == "replace" and i2 - i1 == j2 - j1:  # line by line: its own indent
            added = [_shift(line, _indent_delta(o_lines, b_lines, b_to_o, i1 + k,
                                                _indent(b_lines[i1 + k])))
                     for k, line in enumerate(c_lines[j1:j2])]
        else:
            added = [_shift(line, _indent_delta(o_lines, b_lines, b_to_o, i1,
                                                _indent(line)))
                     for line in c_lines[j1:j2]]
        kept = _trailing_comments(b_lines, i1, i2)
        if kept and [line.strip() for line in c_lines[j2 - len(kept):j2]] != [
                b_lines[i].strip() for i in kept]:
            added.extend(original_of(i) or b_lines[i] for i in kept)
        if out and added and not out[-1].endswith("\n"):
            out[-1] += _newline(out[-1], o_lines)
        out.extend(added)
    for index in sorted(extras):
        flush_extras(index)
    return ("\ufeff" if bom else "") + "".join(out)


def _align(o_lines: list[str], b_lines: list[str]
           ) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Map dump lines to original lines; original-only lines go before a dump line."""
    b_to_o: dict[int, int] = {}
    extras: dict[int, list[int]] = {}
    matcher = SequenceMatcher(None, o_lines, b_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for step in range(i2 - i1):
                b_to_o[j1 + step] = i1 + step
        elif tag in ("delete", "replace"):  # original lines the dump does not have
            extras.setdefault(j1, []).extend(range(i1, i2))
    return b_to_o, extras


def _is_comment(line: str) -> bool:
    return line.lstrip(" \ufeff").startswith("#")


def _trailing_comments(lines: list[str], start: int, end: int) -> list[int]:
    """Indices of the comment and blank lines ending ``lines[start:end]`` (none when
    that run has no comment)."""
    index = end
    while index > start and (_is_comment(lines[index - 1])
                             or not lines[index - 1].strip()):
        index -= 1
    run = range(index, end)
    return list(run) if any(_is_comment(lines[i]) for i in run) else []


def _indent_delta(o_lines: list[str], b_lines: list[str], b_to_o: dict[int, int],
                  at: int, indent: int) -> int:
    """Indentation difference original - dump for a dump line indented ``indent``
    at ``at``: from the nearest mapped line with that indent (``at`` itself first,
    then upwards, then downwards), else from the nearest mapped line."""
    order = [at, *range(at - 1, -1, -1), *range(at + 1, len(b_lines))]
    fallback = None
    for index in order:
        mapped = b_to_o.get(index)
        if mapped is None or index >= len(b_lines) or not b_lines[index].strip():
            continue
        delta = _indent(o_lines[mapped]) - _indent(b_lines[index])
        if _indent(b_lines[index]) == indent and not _is_comment(b_lines[index]):
            return delta
        if fallback is None:
            fallback = delta
    return fallback or 0


def _newline(line: str, o_lines: list[str]) -> str:
    return "\r\n" if any(x.endswith("\r\n") for x in o_lines) else "\n"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shift(line: str, delta: int) -> str:
    if delta > 0 and line.strip():
        return " " * delta + line
    if delta < 0:
        return line[min(-delta, _indent(line)):]
    return line
