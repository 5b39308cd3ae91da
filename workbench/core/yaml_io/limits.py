"""Limits that make reading a hostile YAML file fail fast, with a line, never hang.

ruamel reads aliases as shared nodes, so a 1 KB "billion laughs" file loads quickly,
but every walk over the tree (``to_plain``, validation, a save's dump) expands it.
Deep nesting overflows Python's stack, and ruamel's scanner is quadratic in the flow
nesting depth (``[[[[...``). These classes plug into a ruamel ``YAML`` object
(:func:`apply_limits`) and raise ruamel's marked errors, so
:func:`workbench.core.yaml_io.roundtrip.load_yaml` reports them with a line:

- nesting deeper than :data:`MAX_DEPTH` levels (block or flow, aliases expanded);
- aliases whose expansion adds more than :data:`MAX_ALIAS_NODES` nodes in all;
- an alias to a collection that contains it (a recursive structure);
- a value that Python cannot build (an integer with more than 4300 digits, a
  timestamp with month 13...), reported at that value instead of a bare ``ValueError``.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.scanner import RoundTripScanner, ScannerError

# Rasa files nest about 6 levels; config pipelines about 5. Python's default recursion
# limit (1000) must stay far away for the walks over the loaded tree.
MAX_DEPTH = 100
# Nodes that aliases may add to the tree (a billion-laughs file reaches this within
# a few aliases; real files use a handful of small anchors, if any).
MAX_ALIAS_NODES = 10_000

_DEPTH_HINT = (f"the data is nested more than {MAX_DEPTH} levels deep (limit); "
               "flatten it")


class LimitedScanner(RoundTripScanner):
    """ruamel's scanner, refusing flow nesting (``[``, ``{``) deeper than the limit."""

    def fetch_flow_collection_start(self, TokenClass: Any,  # noqa: N803
                                    to_push: str) -> None:
        if len(self.flow_context) >= MAX_DEPTH:
            raise ScannerError(None, None, _DEPTH_HINT, self.reader.get_mark())
        super().fetch_flow_collection_start(TokenClass, to_push)


class LimitedComposer(Composer):
    """ruamel's composer with depth, alias expansion and recursion limits."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._alias_nodes = 0
        self._measured: dict[int, tuple[int, int]] = {}  # id(node) -> (size, depth)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            mark = self.parser.peek_event().start_mark
            node = super().compose_node(parent, index)
            self._count_alias(node, mark)
            return node
        if self.depth >= MAX_DEPTH:
            raise ComposerError(None, None, _DEPTH_HINT,
                                self.parser.peek_event().start_mark)
        return super().compose_node(parent, index)

    def _count_alias(self, node: Any, mark: Any) -> None:
        if isinstance(node, SequenceNode | MappingNode) and node.end_mark is None:
            raise ComposerError(None, None, "this alias refers to a collection that "
                                "contains it (a recursive structure); remove the alias",
                                mark)
        size, depth = self._measure(node)
        self._alias_nodes += size
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise ComposerError(None, None, "aliases (*name) expand to more than "
                                f"{MAX_ALIAS_NODES} values in this file (limit); write "
                                "the data out instead of repeating anchors", mark)
        if self.depth + depth > MAX_DEPTH:
            raise ComposerError(None, None, _DEPTH_HINT + " (aliases expanded)", mark)

    def _measure(self, node: Any) -> tuple[int, int]:
        """Number of nodes and depth of ``node`` with aliases expanded (memoised)."""
        known = self._measured.get(id(node))
        if known is not None:
            return known
        size, depth = 1, 1
        if isinstance(node, SequenceNode | MappingNode):
            children = (node.value if isinstance(node, SequenceNode)
                        else [part for pair in node.value for part in pair])
            for child in children:
                child_size, child_depth = self._measure(child)
                size += child_size
                depth = max(depth, child_depth + 1)
        self._measured[id(node)] = (size, depth)
        return size, depth


class LimitedConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor; a value Python cannot build gets a line."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:
            raise ConstructorError(None, None, f"cannot read this value: {error}; put "
                                   "it in quotes to keep it as text",
                                   node.start_mark) from None


def apply_limits(yaml: YAML) -> YAML:
    """Make the round-trip ``yaml`` enforce the limits of this module; return it."""
    yaml.Scanner = LimitedScanner
    yaml.Composer = LimitedComposer
    yaml.Constructor = LimitedConstructor
    yaml.max_depth = MAX_DEPTH + 1  # ruamel's own check, a backstop behind ours
    return yaml
