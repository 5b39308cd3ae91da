"""Where each example is in its file *now*, also after saves that moved lines.

``Example.source`` is fixed when an example is read (examples are immutable and undo
stacks hold them), so after a save that inserts or deletes lines it can be off.
``example_locations(project)`` computes current positions from the block each example
was read from or written to, re-reading a rewritten file's line layout when needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.examples import SourceRef
from workbench.core.yaml_io.fast_nlu import FastMap, fast_parse
from workbench.core.yaml_io.roundtrip import YamlLoadError, load_yaml

if TYPE_CHECKING:
    from workbench.core.project import Project


def example_locations(project: Project) -> list[SourceRef | None]:
    """Return the current file and 1-based line of every example, in list order.

    Examples not written yet inherit the place of the example they replaced (where a
    save will put them) or keep ``example.source`` (``None`` for new ones).
    """
    per_block: dict[int, dict[int, int]] = {}
    result: list[SourceRef | None] = []
    for example in project.examples:
        entry = project._origin.get(id(example))
        if entry is None or entry[0] is not example or entry[2] is None:
            result.append(example.source)
            continue
        block, slot = entry[1], entry[2]
        if not block.alive or block.file is None:
            result.append(example.source)
            continue
        lines = per_block.get(id(block))
        if lines is None:
            lines = per_block[id(block)] = _slot_lines(block)
        line = lines.get(id(slot))
        result.append(SourceRef(block.file.path, line) if line else example.source)
    return result


def _slot_lines(block: Any) -> dict[int, int]:
    """Map ``id(slot)`` to its 1-based line for one intent block."""
    node = _current_node(block)
    if node is None:
        return {}
    try:
        if block.style == "list":
            items = node["examples"]
            return {id(slot): int(items.lc.item(i)[0]) + 1
                    for i, slot in enumerate(block.slots)}
        first = int(node.lc.value("examples")[0]) + 2  # content starts after "|"
    except (AttributeError, KeyError, TypeError, IndexError):
        return {}
    return {id(slot): first + offset for offset, slot in enumerate(block.slots)}


def _current_node(block: Any) -> Any:
    """The block's node with line information matching the file's current text."""
    file = block.file
    if isinstance(block.node, FastMap) or not getattr(file, "lines_stale", False):
        return block.node
    if file.line_tree is None:  # re-read positions once per save
        file.line_tree = fast_parse(file.text)
        if file.line_tree is None:
            try:
                file.line_tree = load_yaml(file.text, file.style)
            except YamlLoadError:
                return None
    try:
        index = next(i for i, node in enumerate(file.tree["nlu"]) if node is block.node)
        return file.line_tree["nlu"][index]
    except (StopIteration, KeyError, TypeError, IndexError):
        return None
