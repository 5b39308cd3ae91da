"""Read the ``nlu:`` section of a Rasa YAML file into examples and editable blocks.

Each block of the ruamel tree is wrapped in a small record (:class:`IntentBlock`,
:class:`ResourceBlock`) that remembers its node and, for every line of an
``examples: |`` block, the raw line and the object parsed from it. The writer
(:mod:`workbench.core.yaml_io.nlu_writer`) uses these records to change only the lines
that must change. Reading follows ``rasa_yaml.RasaYAMLReader``: lines must start with
``-``; the rest is stripped of spaces/CR/LF; bad blocks are skipped with an issue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from workbench.core.examples import (
    Example,
    LookupTable,
    RegexPattern,
    SourceRef,
    Synonym,
)
from workbench.core.issues import Issue
from workbench.core.markup import MarkupError, parse_markup
from workbench.core.text_rules import (
    TextRuleError,
    check_example,
    check_name,
    check_text,
)

STRIP_SYMBOLS = "\n\r "  # Rasa's STRIP_SYMBOLS for example lines
RESOURCE_KINDS = ("synonym", "regex", "lookup")
BLOCK_KINDS = ("intent", *RESOURCE_KINDS)


@dataclass(eq=False, slots=True)
class Slot:
    """One line of a text block, or one item of a list block, and what it holds."""

    raw: Any  # text style: the line without "\n"; list style: the item node
    value: Any = None  # the Example (intents) / str (resources) read from it, or None


@dataclass(eq=False)
class IntentBlock:
    """An ``- intent:`` block of an NLU file."""

    node: CommentedMap
    name: str  # current intent name (a rename changes it; the writer updates the node)
    style: str  # "text" (examples: |), "list" (- text: ...), "empty"
    slots: list[Slot] = field(default_factory=list)
    line: int = 0  # 1-based line of the block
    examples_line: int = 0  # 1-based line of the first example line
    metadata: Any = None  # intent-level metadata, plain data
    alive: bool = True  # False once the writer removed it from the tree
    file: Any = None  # the DataFile holding it (set by the project loader)
    removed_at: int | None = None  # index in "nlu:" before a save removed it
    position: int | None = None  # index in the file's "nlu:" list when read


@dataclass(eq=False)
class ResourceBlock:
    """A ``synonym:``, ``regex:`` or ``lookup:`` block."""

    node: CommentedMap
    kind: str  # "synonym" | "regex" | "lookup"
    item: Synonym | RegexPattern | LookupTable
    slots: list[Slot] = field(default_factory=list)
    line: int = 0
    alive: bool = True
    file: Any = None  # the DataFile holding it (set by the project loader)
    removed_at: int | None = None  # index in "nlu:" before a save removed it
    position: int | None = None  # index in the file's "nlu:" list when read


@dataclass
class NluContent:
    """What one file contributes to the project."""

    intent_blocks: list[IntentBlock] = field(default_factory=list)
    resource_blocks: list[ResourceBlock] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def to_plain(node: Any) -> Any:
    """Convert ruamel round-trip data to plain dicts, lists, str, int, float, bool."""
    if isinstance(node, dict):
        return {to_plain(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [to_plain(value) for value in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def has_nlu_section(tree: Any) -> bool:
    """Tell whether a loaded YAML tree is an NLU file (a mapping with ``nlu:``)."""
    return isinstance(tree, dict) and "nlu" in tree


def read_nlu(tree: Any, path: Path) -> NluContent:
    """Read the ``nlu:`` list of ``tree`` (see :func:`has_nlu_section`)."""
    content = _Reader(path)
    blocks = tree["nlu"]
    if blocks is None:
        return content.result
    if not isinstance(blocks, list):
        content.issue("error", "nlu-not-a-list", "'nlu:' must be a list of blocks",
                      _key_line(tree, "nlu"), "write each block as '- intent: name'")
        return content.result
    for index, block in enumerate(blocks):
        content.read_block(blocks, index, block)
    return content.result


def _key_line(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _item_line(seq: Any, index: int) -> int | None:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


class _Reader:
    """Turns blocks into records, examples and issues (Rasa's skip-and-warn rules)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.result = NluContent()

    def issue(self, severity: str, code: str, message: str, line: int | None,
              hint: str) -> None:
        issue = Issue(severity, code, message, self.path,  # type: ignore[arg-type]
                      line or None, None, hint)
        self.result.issues.append(issue)

    def read_block(self, blocks: Any, index: int, block: Any) -> None:
        line = _item_line(blocks, index)
        if not isinstance(block, dict):
            self.issue("warning", "unknown-block",
                       "NLU block is not a mapping; kept untouched", line,
                       "start each block with 'intent:', 'synonym:', 'regex:' "
                       "or 'lookup:'")
            return
        kinds = [key for key in BLOCK_KINDS if key in block]
        if len(kinds) != 1:
            what = ("several of " + ", ".join(kinds) if kinds
                    else "none of intent/synonym/regex/lookup")
            self.issue("warning", "unknown-block",
                       f"NLU block has {what}; kept untouched", line,
                       "give each block exactly one of intent, synonym, regex, lookup")
            return
        kind = kinds[0]
        name = "" if block[kind] is None else str(block[kind]).strip()
        if not name:
            self.issue("warning", "empty-name",
                       f"'{kind}:' block without a name is skipped", line,
                       f"write a name after '{kind}:'")
            return
        if not self.allowed(name, kind, line):
            return
        record = (self.read_intent(block, name, line or 0) if kind == "intent"
                  else self.read_resource(block, kind, name, line or 0))
        if record is not None:
            record.position = index

    def read_intent(self, block: Any, name: str, line: int) -> IntentBlock | None:
        if name.count("/") > 1:
            self.issue("error", "bad-intent-name",
                       f"intent '{name}' contains more than one '/'; block skipped",
                       line,
                       "a retrieval intent is written 'base/response_key' (one '/')")
            return None
        examples = block.get("examples")
        record = IntentBlock(block, name, "empty", line=line,
                             metadata=to_plain(block.get("metadata")))
        if name not in self.result.intents:
            self.result.intents.append(name)
        self.result.intent_blocks.append(record)
        slots = record.slots
        if isinstance(examples, str) and examples.strip():
            record.style = "text"
            first = record.examples_line = self.first_text_line(block, examples)
            for offset, raw in enumerate(split_block_lines(examples)):
                slots.append(Slot(raw, self.text_example(raw, name, first + offset)))
        elif isinstance(examples, list) and examples:
            record.style = "list"
            record.examples_line = _item_line(examples, 0) or line
            for index, item in enumerate(examples):
                slots.append(Slot(item, self.list_example(examples, index, item, name)))
        elif examples is None or examples == "" or examples == []:
            self.issue("warning", "no-examples",
                       f"intent '{name}' has no examples", line,
                       "add at least two examples, one per line starting with '- '")
        else:
            self.issue("warning", "bad-examples",
                       f"examples of intent '{name}' are neither text nor a list; "
                       "kept untouched", line,
                       "write 'examples: |' followed by lines starting with '- '")
        self.result.examples.extend(s.value for s in slots if s.value is not None)
        return record

    @staticmethod
    def first_text_line(block: Any, examples: str) -> int:
        try:
            value_line = int(block.lc.value("examples")[0]) + 1
        except (AttributeError, KeyError, TypeError):
            return 0
        # a block scalar's content starts on the line after "|"
        is_block = isinstance(examples, LiteralScalarString | FoldedScalarString)
        return value_line + 1 if is_block else value_line

    def text_example(self, raw: str, intent: str, line: int) -> Example | None:
        if not raw.startswith("-"):
            if raw.strip():
                self.issue("warning", "no-dash",
                           f"line {raw.strip()!r} of intent '{intent}' does not start "
                           "with '-'; Rasa skips it", line,
                           "start every example line with '- '")
            return None
        return self.parse_example(raw[1:].strip(STRIP_SYMBOLS), intent, line, None)

    def list_example(self, seq: Any, index: int, item: Any, intent: str
                     ) -> Example | None:
        line = _item_line(seq, index) or 0
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            self.issue("warning", "bad-example-item",
                       f"an example of intent '{intent}' has no 'text:'; skipped", line,
                       "write list examples as '- text: ...' with optional 'metadata:'")
            return None
        markup = item["text"].strip(STRIP_SYMBOLS)
        return self.parse_example(markup, intent, line, to_plain(item.get("metadata")))

    def parse_example(self, markup: str, intent: str, line: int, metadata: Any
                      ) -> Example | None:
        if not markup:
            self.issue("warning", "empty-example",
                       f"empty example in intent '{intent}' skipped", line,
                       "delete the empty line or write the example text")
            return None
        try:
            text, spans = parse_markup(markup)
        except MarkupError as error:
            self.issue("error", "bad-markup",
                       f"bad entity markup in {markup!r}: {error.message}", line,
                       "fix the annotation, e.g. [text](entity) or "
                       '[text]{"entity": "name", "value": "..."}')
            return None
        example = Example(text, intent, spans, metadata, SourceRef(self.path, line))
        try:
            check_example(example)
        except TextRuleError as error:
            self.bad_character(error, line)
            return None
        return example

    def allowed(self, value: str, what: str, line: int | None) -> bool:
        """Check a name (``what`` = "intent", "synonym"...) or, with ``what`` starting
        with "item", a resource item read from the file; report it when refused."""
        try:
            if what.startswith("item"):
                check_text(value, f"an {what}")
            else:
                check_name(value, what)
        except TextRuleError as error:
            self.bad_character(error, line)
            return False
        return True

    def bad_character(self, error: TextRuleError, line: int | None) -> None:
        self.issue("error", "bad-character",
                   f"{error.message}; the item is skipped and kept untouched in the "
                   "file", line,
                   "edit the file and delete the character (it is written as an "
                   "escape inside a quoted string, or in the entity annotation)")

    def read_resource(self, block: Any, kind: str, name: str, line: int
                      ) -> ResourceBlock | None:
        examples = block.get("examples")
        if not isinstance(examples, str) or not examples.strip():
            self.issue("warning", "bad-examples",
                       f"'{kind}: {name}' has no examples written as '- item' lines; "
                       "kept untouched", line,
                       "write 'examples: |' followed by lines starting with '- '")
            return None
        slots = []
        first = self.first_text_line(block, examples)
        for offset, raw in enumerate(split_block_lines(examples)):
            value = raw[1:].strip(STRIP_SYMBOLS) if raw.startswith("-") else None
            if value and not self.allowed(value, f"item of '{kind}: {name}'",
                                          first + offset):
                slots.append(Slot(raw, None))
                continue
            if value is None and raw.strip():
                self.issue("warning", "no-dash",
                           f"line {raw.strip()!r} of '{kind}: {name}' does not start "
                           "with '-'; Rasa skips it", first + offset,
                           "start every line with '- '")
            slots.append(Slot(raw, value or None))
        values = tuple(slot.value for slot in slots if slot.value is not None)
        source = SourceRef(self.path, line)
        item: Synonym | RegexPattern | LookupTable
        if kind == "synonym":
            item = Synonym(name, values, source)
        elif kind == "regex":
            item = RegexPattern(name, values, source)
        else:
            item = LookupTable(name, values, source)
        record = ResourceBlock(block, kind, item, slots, line)
        self.result.resource_blocks.append(record)
        return record


def split_block_lines(examples: str) -> list[str]:
    """Split block text into lines without "\\n" (a final newline adds no line)."""
    lines = examples.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
