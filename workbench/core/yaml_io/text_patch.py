"""Save edits to a file read by :mod:`fast_nlu` by replacing its lines directly.

For files of the plain NLU shape, edits inside existing ``examples: |`` blocks and
block renames are written as line replacements in the file text: no ruamel load or
dump (seconds for a 50k-example file), and every other line keeps its bytes by
construction. Anything else (new or removed blocks, list-style examples, a block
emptied, a first line that would change the block's indentation) returns ``None`` and
the caller uses the ruamel path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from workbench.core.yaml_io.fast_nlu import FastMap, fast_parse, read_scalar
from workbench.core.yaml_io.nlu import IntentBlock, ResourceBlock, split_block_lines
from workbench.core.yaml_io.nlu_writer import Plan

_UNSAFE = re.compile("[^\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                     "\U00010000-\U0010ffff]")
_KEY_VALUE = re.compile(r"^(?P<head>(?: *- +| *)[A-Za-z_][\w-]*: +)(?P<value>.*?)"
                        r"(?P<tail> +#.*)?$")


def patch_text(text: str, plans: Sequence[Plan]) -> str | None:
    """Return ``text`` with the planned blocks rewritten (``None``: not possible)."""
    lines = text.split("\n")
    edits: list[tuple[int, int, list[str]]] = []
    for plan in plans:
        block = plan.block
        node = block.node
        if not isinstance(node, FastMap) or plan.style != "text":
            return None
        if isinstance(block, IntentBlock) and block.style != "text":
            return None
        if not plan.keep:
            new_lines = [node.block_indent * " " + slot.raw if slot.raw else ""
                         for slot in plan.slots]
            if (not new_lines or not new_lines[0]
                    or new_lines[0][node.block_indent] == " "):
                return None  # an empty block or a new first-line indent: use ruamel
            if any(_UNSAFE.search(line) for line in new_lines):
                return None
            first = node.lc.value("examples")[0] + 1
            edits.append((first, first + len(block.slots), new_lines))
        if plan.name is not None:
            key = block.kind if isinstance(block, ResourceBlock) else "intent"
            row = node.lc.key(key)[0]
            renamed = _rename(lines[row], plan.name)
            if renamed is None:
                return None
            edits.append((row, row + 1, [renamed]))
    for start, end, new_lines in sorted(edits, reverse=True):
        lines[start:end] = new_lines
    return "\n".join(lines)


def _rename(line: str, name: str) -> str | None:
    """Replace the scalar of a ``key: value  # comment`` line, keeping its quoting."""
    match = _KEY_VALUE.match(line)
    if match is None:
        return None
    value, tail = match.group("value"), match.group("tail") or ""
    if value.startswith("'"):
        written = "'" + name.replace("'", "''") + "'"
    elif value.startswith('"'):
        if '"' in name or "\\" in name:
            return None
        written = f'"{name}"'
    else:
        written = name
    if read_scalar(written) != name or _UNSAFE.search(written):
        return None
    head = match.group("head")
    if tail:  # keep the comment's column when it fits, else one space (as ruamel)
        column = len(head) + len(value) + len(tail) - len(tail.lstrip(" "))
        gap = max(column - len(head) - len(written), 1)
        tail = " " * gap + tail.lstrip(" ")
    return head + written + tail


def read_back(file: Any, text: str, plans: Sequence[Plan]) -> FastMap | None:
    """Re-read patched ``text`` and check every block reads as planned.

    Returns:
        The new stand-in tree, or ``None`` when anything differs (then the caller
        must not write ``text``).
    """
    tree = fast_parse(text)
    if tree is None:
        return None
    seq = tree["nlu"]
    planned = {id(plan.block): plan for plan in plans}
    for block in (*file.intent_blocks, *file.resource_blocks):
        if not block.alive or block.position is None or block.position >= len(seq):
            return None
        node = seq[block.position]
        plan = planned.get(id(block))
        slots = plan.slots if plan is not None else block.slots
        if isinstance(block, ResourceBlock):
            key = block.kind
            name = getattr(block.item, "value", None) or getattr(block.item, "name", "")
        else:
            key, name = "intent", block.name
        if node.get(key) != name:
            return None
        if split_block_lines(node["examples"]) != [slot.raw for slot in slots]:
            return None
    return tree


def adopt(file: Any, tree: FastMap) -> None:
    """Make ``tree`` the file's stand-in tree and point its blocks into it."""
    seq = tree["nlu"]
    for block in (*file.intent_blocks, *file.resource_blocks):
        block.node = seq[block.position]
    file.tree = tree
