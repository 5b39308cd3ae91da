"""ValidationInput: an immutable copy of what ``validation.validate`` reads.

Taken on the GUI thread and validated on a worker thread while the user keeps editing.
Examples are immutable and shared, so the copy is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.core.issues import Issue


@dataclass(frozen=True)
class ValidationInput:
    """The parts of a ``Project`` that ``workbench.core.validation.validate`` reads."""

    examples: tuple[Any, ...]
    intents: tuple[str, ...]
    domain_entities: frozenset[str] | None
    regexes: tuple[Any, ...]
    synonyms: tuple[Any, ...]
    lookups: tuple[Any, ...]
    load_issues: tuple[Issue, ...] = field(default=())

    @classmethod
    def from_project(cls, project: Any) -> ValidationInput:
        """Copy what validation needs from ``project``."""
        domain = project.domain_entities
        return cls(
            examples=project.examples.to_tuple(),
            intents=tuple(project.intents),
            domain_entities=frozenset(domain) if domain is not None else None,
            regexes=tuple(project.regexes),
            synonyms=tuple(project.synonyms),
            lookups=tuple(project.lookups),
            load_issues=tuple(project.load_issues),
        )
