"""Write edits back into the ruamel tree of an NLU file, touching as little as possible.

Two phases so that a failure cannot leave a half-edited tree: ``plan_*`` functions
render every new line (and raise :class:`SaveError` on anything that cannot be
written) without touching the tree; ``apply`` then swaps the planned content in.

Inside an ``examples: |`` block, lines whose example is unchanged are reused
byte-for-byte, an edited example is rendered in place of its old line (keeping the
line's ``-`` prefix), new examples go after the last kept one, and lines that are not
examples (blank lines, skipped lines) stay where they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString, ScalarString

from workbench.core.examples import Example
from workbench.core.markup import MarkupError, render_markup
from workbench.core.text_rules import TextRuleError, check_example, check_text
from workbench.core.yaml_io.nlu import IntentBlock, ResourceBlock, Slot, to_plain

# Characters that Python's str.splitlines (used by Rasa's reader) or YAML treat as
# line breaks: an example containing one cannot be written on one line.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_PREFIX = re.compile(r"-[ \t]*")
_STRIP = "\n\r "


class SaveError(Exception):
    """An edit that cannot be written as Rasa YAML (the message says which and why)."""


class NewFilesNeeded(SaveError):
    """The save would create files; nothing was written.

    Ask the user, then call ``Project.save(create_files=True)``.

    Attributes:
        paths: The files the save would create.
    """

    def __init__(self, paths: Sequence[Any]) -> None:
        self.paths = list(paths)
        names = ", ".join(str(path) for path in self.paths)
        super().__init__(f"saving would create {names}; nothing was written "
                         "(save again and agree to create the file)")


@dataclass(eq=False)
class Plan:
    """New content for one block, ready to be applied."""

    block: IntentBlock | ResourceBlock
    slots: list[Slot]
    style: str  # "text" | "list" | "empty"
    name: str | None = None  # new name to write into the block key, if it changed
    keep: bool = False  # only the name changes: the examples node stays as it is


def render_example_line(example: Example, prefix: str = "- ") -> str:
    """Return ``prefix`` + the example's markup, or raise :class:`SaveError`."""
    return prefix + _checked_markup(example)


def _checked_markup(example: Example) -> str:
    try:
        check_example(example)
    except TextRuleError as error:
        raise SaveError(f"an example of intent {example.intent!r} cannot be written: "
                        f"{error.message}") from None
    where = f"example {example.text!r} of intent '{example.intent}'"
    if _LINE_BREAKS.search(example.text):
        raise SaveError(f"{where} contains a line break; Rasa examples are one line")
    if example.text != example.text.strip(_STRIP) or not example.text:
        raise SaveError(f"{where} is empty or starts/ends with spaces; "
                        "Rasa strips them")
    try:
        return render_markup(example.text, example.entities)
    except MarkupError as error:
        raise SaveError(f"{where} cannot be written as markup: {error}") from None


def merge_slots(
    old: Sequence[Slot],
    wanted: Sequence[tuple[Any, Slot | None]],
    make_slot: Callable[[Any, Slot | None], Slot],
) -> list[Slot]:
    """Merge the wanted values into the old slots, keeping everything that can be kept.

    Args:
        old: The block's current slots (value ``None`` = a line that is no item).
        wanted: ``(value, slot it came from or None)`` in the order to write.
        make_slot: Builds a slot for a new or changed value (gets the old slot, if any).

    Returns:
        The new slots; unchanged items and non-item lines are the old objects.
    """
    position_of = {id(slot): index for index, slot in enumerate(old)}
    used: set[int] = set()
    result: list[Slot] = []
    next_old = 0
    for value, slot in wanted:
        index = position_of.get(id(slot)) if slot is not None else None
        if index is not None and index >= next_old:
            result.extend(s for s in old[next_old:index] if s.value is None)
            next_old = index + 1
        reusable = slot is not None and index is not None and id(slot) not in used
        if reusable:
            used.add(id(slot))
        if reusable and slot.value is value:  # type: ignore[union-attr]
            result.append(slot)  # type: ignore[arg-type]
        else:
            result.append(make_slot(value, slot if reusable else None))
    result.extend(s for s in old[next_old:] if s.value is None)
    return result


def _same(old: Sequence[Slot], new: Sequence[Slot]) -> bool:
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


def plan_intent_block(block: IntentBlock,
                      wanted: Sequence[tuple[Example, Slot | None]]) -> Plan | None:
    """Plan the new examples of ``block`` (``None`` when nothing changes).

    Raises:
        SaveError: If an example cannot be written.
    """
    style = block.style
    if style == "empty":
        style = "text"
    if style == "text" and any(example.metadata is not None for example, _ in wanted):
        style = "list"  # per-example metadata needs the "- text:" form
    slots = block.slots
    if style == "list" and block.style == "text":
        slots, moved = _as_list_slots(block.slots)
        wanted = [(example, moved.get(id(slot))) for example, slot in wanted]
    if style == "text":
        default = _common_prefix(slots)

        def make(example: Example, slot: Slot | None) -> Slot:
            prefix = default
            if slot is not None and _same_content(slot.value, example):
                return Slot(slot.raw, example)  # e.g. only the intent changed
            if slot is not None:
                match = _PREFIX.match(slot.raw)
                prefix = match.group(0) if match else default
            return Slot(render_example_line(example, prefix), example)
    else:

        def make(example: Example, slot: Slot | None) -> Slot:
            if slot is not None and _same_content(slot.value, example):
                return Slot(slot.raw, example)
            return Slot(_list_item(example, slot.raw if slot else None), example)

    new = merge_slots(slots, wanted, make)
    rename = block.name if _name_changed(block.node, "intent", block.name) else None
    if _same(block.slots, new):  # examples untouched (stubs stay as written)
        return None if rename is None else Plan(block, new, block.style, rename,
                                                keep=True)
    if not new:
        style = "empty"
    return Plan(block, new, style, rename)


def plan_resource_block(block: ResourceBlock, name: str,
                        values: Sequence[str]) -> Plan | None:
    """Plan the new lines of a synonym/regex/lookup block (``None`` when unchanged).

    Raises:
        SaveError: If a value is empty or contains a line break.
    """
    for value in values:
        try:
            check_text(value, f"{block.kind} '{name}': item {value!r}")
        except TextRuleError as error:
            raise SaveError(error.message) from None
        if not value or value != value.strip(_STRIP) or _LINE_BREAKS.search(value):
            raise SaveError(f"{block.kind} '{name}': item {value!r} is empty, has "
                            "surrounding spaces or a line break")
    items = [slot for slot in block.slots if slot.value is not None]
    matcher = SequenceMatcher(None, [slot.value for slot in items], list(values),
                              autojunk=False)
    origin: dict[int, Slot] = {}
    for a, b, size in matcher.get_matching_blocks():
        for step in range(size):
            origin[b + step] = items[a + step]
    wanted = [(value, origin.get(index)) for index, value in enumerate(values)]
    default = _common_prefix(block.slots)

    def make(value: str, slot: Slot | None) -> Slot:
        match = _PREFIX.match(slot.raw) if slot is not None else None
        return Slot((match.group(0) if match else default) + value, value)

    # values are strings: an equal string from the matched slot is "the same" item
    pairs = [(slot.value if slot else value, slot) for value, slot in wanted]
    new = merge_slots(block.slots, pairs, make)
    rename = name if _name_changed(block.node, block.kind, name) else None
    if _same(block.slots, new):
        return None if rename is None else Plan(block, new, "text", rename, keep=True)
    return Plan(block, new, "text", rename)


def apply_plan(plan: Plan) -> None:
    """Write a plan into the tree and make its slots the block's current slots."""
    node = plan.block.node
    key = plan.block.kind if isinstance(plan.block, ResourceBlock) else "intent"
    if plan.name is not None:
        node[key] = _like(node.get(key), plan.name)
    if plan.keep:
        pass
    elif plan.style == "empty":
        node["examples"] = ""
    elif plan.style == "text":
        old = node.get("examples")
        trailing = not isinstance(old, str) or not old or old.endswith("\n")
        text = "\n".join(slot.raw for slot in plan.slots) + ("\n" if trailing else "")
        node["examples"] = LiteralScalarString(text)
    else:
        seq = node.get("examples")
        if not isinstance(seq, CommentedSeq):
            seq = CommentedSeq()
            node["examples"] = seq
        for slot in plan.slots:
            if isinstance(slot.raw, _PendingItem):
                slot.raw = slot.raw.realise()
        _sync_seq(seq, [slot.raw for slot in plan.slots])
    plan.block.slots = plan.slots
    if isinstance(plan.block, IntentBlock):
        plan.block.style = plan.style


def new_intent_node(name: str) -> CommentedMap:
    """Return an empty ``- intent:`` block node (examples are filled by a plan)."""
    node = CommentedMap()
    node["intent"] = name
    node["examples"] = ""
    return node


def new_resource_node(kind: str, name: str) -> CommentedMap:
    """Return an empty synonym/regex/lookup block node."""
    node = CommentedMap()
    node[kind] = name
    node["examples"] = ""
    return node


@dataclass(eq=False)
class _PendingItem:
    """A list item to create or update when the plan is applied."""

    node: CommentedMap | None  # the item being edited, or None for a new one
    markup: str
    metadata: Any

    def realise(self) -> CommentedMap:
        node = self.node if self.node is not None else CommentedMap()
        current = node.get("text")
        if not isinstance(current, str) or current.strip(_STRIP) != self.markup:
            node["text"] = _like(node.get("text"), self.markup)
        if self.metadata is None:
            node.pop("metadata", None)
        elif to_plain(node.get("metadata")) != self.metadata:
            node["metadata"] = self.metadata
        return node


def _list_item(example: Example, node: Any) -> _PendingItem:
    markup = _checked_markup(example)
    edited = node if isinstance(node, CommentedMap) else None
    return _PendingItem(edited, markup, example.metadata)


def _same_content(old: Any, new: Example) -> bool:
    """True when writing ``new`` would give the same line as ``old`` had."""
    return (
        isinstance(old, Example)
        and old.text == new.text
        and old.entities == new.entities
        and old.metadata == new.metadata
    )


def _as_list_slots(slots: Sequence[Slot]) -> tuple[list[Slot], dict[int, Slot]]:
    """Turn text-block slots into list-item slots (for examples that gain metadata).

    Returns:
        The new slots and a map from ``id(old slot)`` to its new slot.
    """
    result: list[Slot] = []
    moved: dict[int, Slot] = {}
    for slot in slots:
        if isinstance(slot.value, Example):
            node = CommentedMap()
            node["text"] = slot.raw[1:].strip(_STRIP)
            moved[id(slot)] = Slot(node, slot.value)
            result.append(moved[id(slot)])
    return result, moved


def _common_prefix(slots: Sequence[Slot]) -> str:
    for slot in slots:
        if slot.value is not None and isinstance(slot.raw, str):
            match = _PREFIX.match(slot.raw)
            if match:
                return match.group(0) if match.group(0) != "-" else "- "
    return "- "


def _name_changed(node: CommentedMap, key: str, name: str) -> bool:
    current = node.get(key)
    return current is None or str(current).strip() != name


def _like(old: Any, value: str) -> Any:
    """Return ``value`` as the same scalar style (quotes, literal) as ``old``."""
    if isinstance(old, ScalarString) and not isinstance(old, LiteralScalarString):
        return type(old)(value)
    return value


def _sync_seq(seq: CommentedSeq, desired: list[Any]) -> None:
    keep = {id(node) for node in desired}
    for index in reversed(range(len(seq))):
        if id(seq[index]) not in keep:
            del seq[index]
    for index, node in enumerate(desired):
        if index >= len(seq) or seq[index] is not node:
            seq.insert(index, node)
    same = len(seq) == len(desired) and all(
        a is b for a, b in zip(seq, desired, strict=True))
    if not same:
        del seq[:]  # reordered items: rebuild (comments between items may move)
        seq.extend(desired)
