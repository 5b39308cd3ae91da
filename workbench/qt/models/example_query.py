"""ExampleQuery: what the example filter matches (Qt-free, testable without a display)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from workbench.core.examples import Example

FIELDS = ("any", "text", "intent", "entity")


@dataclass(frozen=True)
class ExampleQuery:
    """A filter over examples: a needle searched in one field, plus an intent scope."""

    text: str = ""  # substring (case-insensitive) or regular expression
    field: str = "any"  # one of FIELDS: where to search the needle
    regex: bool = False  # treat ``text`` as a Python regular expression
    intent: str | None = None  # only examples of this intent (the intent list selection)

    def matcher(self) -> Callable[[Example], bool]:
        """Return a fast predicate for this query.

        Raises:
            ValueError: If ``regex`` is set and ``text`` is not a valid expression
                (the message says where).
        """
        if self.field not in FIELDS:
            raise ValueError(f"unknown filter field {self.field!r}; use one of {FIELDS}")
        if self.regex:
            try:
                pattern = re.compile(self.text, re.IGNORECASE)
            except re.error as error:
                raise ValueError(f"invalid regular expression at {error.pos}: {error.msg}") from None
            found: Callable[[str], bool] = lambda value: pattern.search(value) is not None  # noqa: E731
        else:
            needle = self.text.lower()
            found = lambda value: needle in value.lower()  # noqa: E731
        field, intent = self.field, self.intent

        def search(example: Example) -> bool:
            if field in ("any", "text") and found(example.text):
                return True
            if field in ("any", "intent") and found(example.intent):
                return True
            if field in ("any", "entity"):
                return any(
                    found(span.entity) or found(example.text[span.start : span.end])
                    for span in example.entities
                )
            return False

        if not self.text and intent is None:
            return lambda example: True
        if not self.text:
            return lambda example: example.intent == intent
        if intent is None:
            return search
        return lambda example: example.intent == intent and search(example)

    def select(self, examples: Sequence[Example]) -> list[int]:
        """Return the indices of the matching examples, ascending."""
        if not self.text and self.intent is None:
            return list(range(len(examples)))
        match = self.matcher()
        return [index for index, example in enumerate(examples) if match(example)]
