"""``ProjectSnapshot``: an immutable copy of the training data and its fingerprint."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.examples import Example, LookupTable, RegexPattern, Synonym

if TYPE_CHECKING:
    from workbench.core.project import Project


@dataclass(frozen=True)
class ProjectSnapshot:
    """What training reads; the live project can keep changing meanwhile."""

    examples: tuple[Example, ...]
    synonyms: tuple[Synonym, ...]
    regexes: tuple[RegexPattern, ...]
    lookups: tuple[LookupTable, ...]
    config: dict[str, Any] | None  # a deep copy; treat as read-only
    domain_entities: frozenset[str] | None

    @classmethod
    def from_project(cls, project: Project) -> ProjectSnapshot:
        """Copy the project's current data (examples are immutable and shared)."""
        return cls(
            examples=project.examples.to_tuple(),
            synonyms=tuple(project.synonyms),
            regexes=tuple(project.regexes),
            lookups=tuple(project.lookups),
            config=copy.deepcopy(project.config),
            domain_entities=(frozenset(project.domain_entities)
                             if project.domain_entities is not None else None),
        )

    @property
    def intents(self) -> list[str]:
        """Intent names with at least one example, in first-seen order."""
        return list(dict.fromkeys(example.intent for example in self.examples))

    def canonical(self) -> dict[str, Any]:
        """Plain data that determines training: no file positions, no metadata."""
        return {
            "examples": [
                [e.text, e.intent,
                 [[s.start, s.end, s.entity, s.value, s.role, s.group]
                  for s in e.entities]]
                for e in self.examples
            ],
            "synonyms": [[s.value, list(s.examples)] for s in self.synonyms],
            "regexes": [[r.name, list(r.patterns)] for r in self.regexes],
            "lookups": [[t.name, list(t.elements)] for t in self.lookups],
            "config": self.config,
        }

    def fingerprint(self) -> str:
        """Return the sha256 hex digest of the canonical JSON (stable across runs)."""
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
