"""Review decisions as undoable commands, and the label a prediction proposes.

:class:`DecideMessage` is a core-style command (``redo(project)`` / ``undo(project)`` /
``text``): accepting adds the example through
:class:`workbench.core.commands.AddExample` (after its intent's last example, so it is
saved into the file holding that intent) and
records the decision in the inbox; undo removes the example and puts the message back.
The window pushes it on its one undo history, so Ctrl+Z undoes a review step like any
edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workbench.core.commands import AddExample
from workbench.core.examples import EntitySpan, Example
from workbench.training.inbox_store import (
    ACCEPTED,
    PENDING,
    InboxStore,
    normalise,
)

if TYPE_CHECKING:
    from workbench.core.project import Project


def spans_from_parse(
    text: str, parse: Mapping[str, Any] | None
) -> tuple[EntitySpan, ...]:
    """The predicted entities as spans (the annotated value is the text itself).

    Overlapping predictions keep the first; spans outside the text are dropped.
    """
    spans: list[EntitySpan] = []
    end_of_last = -1
    for entity in sorted((parse or {}).get("entities") or [],
                         key=lambda e: (int(e.get("start", 0)), int(e.get("end", 0)))):
        try:
            start, end = int(entity["start"]), int(entity["end"])
            name = str(entity["entity"])
        except (KeyError, TypeError, ValueError):
            continue
        if not 0 <= start < end <= len(text) or start < end_of_last:
            continue
        spans.append(EntitySpan(start, end, name, text[start:end],
                                entity.get("role"), entity.get("group")))
        end_of_last = end
    return tuple(spans)


def label_of(example: Example) -> dict[str, Any]:
    """The final label stored with a decision (JSON-ready)."""
    return {"intent": example.intent,
            "entities": [{"start": s.start, "end": s.end, "entity": s.entity,
                          "value": s.value, "role": s.role, "group": s.group}
                         for s in example.entities]}


class DecideMessage:
    """Accept (adding ``example``), reject or skip message ``message_id``; undoable."""

    def __init__(self, store: InboxStore, message_id: int, status: str,
                 previous: str = PENDING, example: Example | None = None) -> None:
        if (status == ACCEPTED) != (example is not None):
            raise ValueError("an accepted message needs its example (and only then)")
        self.store, self.message_id = store, message_id
        self.status, self.previous = status, previous
        self.example = example
        self._add = AddExample(example) if example is not None else None
        short = (example.text if example else "")[:40]
        self.text = {
            "accepted": f"Accept “{short}” as {example.intent if example else ''}",
            "rejected": "Reject inbox message",
            "skipped": "Skip inbox message",
        }.get(status, "Review message")

    def redo(self, project: Project) -> None:
        """Add the example first: if the data layer refuses it, nothing is recorded."""
        if self._add is not None:
            self._add.redo(project)
        try:
            self.store.decide(self.message_id, self.status,
                              label_of(self.example) if self.example else None)
        except Exception:
            if self._add is not None:
                self._add.undo(project)
            raise

    def undo(self, project: Project) -> None:
        """Remove the added example and put the message back where it was."""
        if self._add is not None:
            self._add.undo(project)
        self.store.decide(self.message_id, self.previous, None)


def return_unsaved(store: InboxStore, examples: Iterable[Example]) -> int:
    """Put accepted messages whose text is not in ``examples`` back to pending.

    An accepted message whose example never reached the files (the window was closed
    without saving, or crashed) is reviewed again instead of being lost. Returns
    how many came back.
    """
    present = {normalise(e.text) for e in examples}
    back = [m.id for m in store.messages(ACCEPTED) if normalise(m.text) not in present]
    for message_id in back:
        store.decide(message_id, PENDING, None)
    return len(back)


def choices_for(parse: Mapping[str, Any] | None, intents: Sequence[str]) -> list[str]:
    """Intents for the chooser: the model's ranking first, then the rest of the data."""
    ranked = [r.get("name") for r in (parse or {}).get("intent_ranking") or []]
    ordered = [name for name in ranked if isinstance(name, str) and name in intents]
    return ordered + [name for name in intents if name not in ordered]
