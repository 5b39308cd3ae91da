"""Domain objects of NLU training data: examples, entity spans and the lookup resources.

Everything here is an immutable value. Spans are half-open character offsets into the
plain text (doccano's span model); markup (``[text](entity)``) is only a serialisation
detail handled by :mod:`workbench.core.markup`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.example_list import ExampleList

__all__ = [
    "EntitySpan",
    "Example",
    "ExampleList",
    "LookupTable",
    "RegexPattern",
    "SourceRef",
    "Synonym",
]

# Rasa allows at most one "/" in an intent name: "faq/ask_hours" is the retrieval
# intent "faq" with response key "ask_hours" (Message.separate_intent_response_key).
RESPONSE_KEY_SEPARATOR = "/"


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """One entity annotation over ``text[start:end]`` of an example."""

    start: int  # character offset into Example.text (inclusive)
    end: int  # exclusive
    entity: str
    value: str  # annotated value BEFORE synonym mapping; text[start:end] if none given
    role: str | None = None
    group: str | None = None

    def surface(self, text: str) -> str:
        """Return the characters of ``text`` this span covers."""
        return text[self.start : self.end]

    def with_offsets(self, start: int, end: int) -> EntitySpan:
        """Return a copy moved to ``[start, end)`` (entity, value, role kept)."""
        return EntitySpan(start, end, self.entity, self.value, self.role, self.group)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an item was read from."""

    path: Path  # the YAML file the item came from
    line: int  # 1-based line of the item in that file

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Example:
    """One training example: plain text, its intent and its entity spans."""

    text: str  # plain text, markup removed
    intent: str  # full intent name as written, e.g. "faq/ask_hours"
    entities: tuple[EntitySpan, ...] = ()
    # per-example metadata (plain data) or None; left out of the hash (dicts are not
    # hashable) but compared by ==
    metadata: Any = field(default=None, hash=False)
    source: SourceRef | None = None

    @property
    def base_intent(self) -> str:
        """The intent DIET trains on: ``"faq"`` for ``"faq/ask_hours"``."""
        return self.intent.split(RESPONSE_KEY_SEPARATOR, 1)[0]

    @property
    def response_key(self) -> str | None:
        """The retrieval response key (``"ask_hours"``), or ``None``."""
        parts = self.intent.split(RESPONSE_KEY_SEPARATOR, 1)
        return parts[1] if len(parts) == 2 else None

    @property
    def markup(self) -> str:
        """The text with its entities written as Rasa markup.

        Raises:
            MarkupError: If the spans cannot be written unambiguously.
        """
        from workbench.core.markup import render_markup

        return render_markup(self.text, self.entities)

    def entity_texts(self) -> list[str]:
        """Return the surface text of every span, in span order."""
        return [self.text[span.start : span.end] for span in self.entities]


@dataclass(frozen=True, slots=True)
class Synonym:
    """A ``synonym:`` block: every string in ``examples`` maps to ``value``."""

    value: str
    examples: tuple[str, ...]
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class RegexPattern:
    """A ``regex:`` block: named patterns used by the regex featurizer/extractor."""

    name: str
    patterns: tuple[str, ...]
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class LookupTable:
    """A ``lookup:`` block: literal elements of a lookup table."""

    name: str
    elements: tuple[str, ...]
    source: SourceRef | None = None
