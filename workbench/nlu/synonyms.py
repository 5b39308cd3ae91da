"""Rasa's ``EntitySynonymMapper``: replace entity values by their canonical synonym."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

PROCESSOR_NAME = "EntitySynonymMapper"


@dataclass
class EntitySynonymMapper:
    """Lower-cased original string -> canonical value.

    Built from ``synonym:`` blocks and from annotations whose value differs from the
    annotated text (``[NYC](city:New York)``); later definitions overwrite earlier ones,
    and each overwrite with a different value is recorded in ``conflicts``.
    """

    synonyms: dict[str, str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    @classmethod
    def from_training_data(cls, training_data: Any) -> EntitySynonymMapper:
        """Collect synonyms from a snapshot/project (``synonyms`` and ``examples``)."""
        mapper = cls()
        for example in getattr(training_data, "examples", ()):
            for span in example.entities:
                surface = example.text[span.start : span.end]
                if span.value is not None and str(span.value) != surface:
                    mapper.add(surface, str(span.value))
        for synonym in getattr(training_data, "synonyms", ()):
            for original in synonym.examples:
                mapper.add(original, synonym.value)
        return mapper

    def add(self, original: str, value: str) -> None:
        """Map ``original`` (case-insensitively) to ``value``."""
        key = original.lower()
        previous = self.synonyms.get(key)
        if previous is not None and previous != value:
            self.conflicts.append(
                f"synonym '{original}' was mapped to '{previous}' and is now mapped "
                f"to '{value}'"
            )
        self.synonyms[key] = value

    def process(self, entities: Iterable[MutableMapping[str, Any]]) -> None:
        """Replace values in place and add ``EntitySynonymMapper`` to ``processors``."""
        for entity in entities:
            key = str(entity.get("value", "")).lower()
            if key in self.synonyms:
                entity["value"] = self.synonyms[key]
                processors = list(entity.get("processors", ()))
                processors.append(PROCESSOR_NAME)
                entity["processors"] = processors

    def to_state(self) -> dict[str, str]:
        """JSON-able mapping."""
        return dict(self.synonyms)

    @classmethod
    def from_state(cls, state: Mapping[str, str]) -> EntitySynonymMapper:
        """Inverse of :meth:`to_state`."""
        return cls({str(k): str(v) for k, v in state.items()})
