"""``Issue``: one finding about the project data, with where it is and how to fix it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Fix:
    """A one-click repair the GUI can offer for an issue.

    Kinds and their payload keys:
        ``remove_example``: ``index`` (example index to delete).
        ``annotate``: ``index``, ``start``, ``end``, ``entity``, ``value``, ``role``,
            ``group`` (add this span to the example at ``index``).
        ``trim_span``: ``index``, ``span`` (position in ``Example.entities``),
            ``start``, ``end`` (the trimmed offsets).
        Every payload also has ``text``: the example's text when validated, so a
        stale fix can be recognised.
        ``add_domain_entity``: ``entity``.
    """

    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found while loading or validating a project."""

    severity: Severity  # "error" blocks training; "warning" is advice
    code: str  # stable identifier, e.g. "duplicate-example"
    message: str  # what is wrong, naming the example
    path: Path | None = None  # file it is in
    line: int | None = None  # 1-based line in that file
    example_index: int | None = None  # index into Project.examples
    hint: str = ""  # what to do about it
    fix: Fix | None = None  # automatic repair, when there is an obvious one

    def format(self) -> str:
        """Render as ``path:line: severity: message (hint)`` (compiler style)."""
        where = str(self.path) if self.path is not None else "<project>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-ready data."""
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "path": str(self.path) if self.path is not None else None,
            "line": self.line,
            "example_index": self.example_index,
            "hint": self.hint,
            "fix": ({"kind": self.fix.kind, **dict(self.fix.payload)}
                    if self.fix else None),
        }
