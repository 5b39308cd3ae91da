"""Undoable edits as plain objects: ``redo(project)``, ``undo(project)``, ``text``.

The Qt layer wraps each command in a ``QUndoCommand``; :class:`UndoStack` does the same
job without Qt (CLI, tests). A command records what it needs on its first ``redo``;
``undo`` puts back the very objects that were there before, so a redo/undo pair
restores the exact previous state (and an unchanged file is saved byte-identical).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from workbench.core.examples import EntitySpan, Example
from workbench.core.project_edits import (
    add_example,
    add_intent,
    insert_examples,
    remove_examples,
    remove_intent,
    rename_intent,
    replace_example,
    set_intents,
)

# Synonym / regex / lookup-table edits live in their own module; re-exported here so
# that every command is reachable as ``workbench.core.commands.<Name>``.
from workbench.core.resource_commands import ResourceEdit

if TYPE_CHECKING:
    from workbench.core.project import Project

__all__ = [
    "AddExample", "AddIntent", "AnnotateEverywhere", "Command", "DeleteIntent",
    "MergeIntents", "MoveExamples", "RemoveExamples", "RenameIntent", "ReplaceExample",
    "ResourceEdit", "UndoStack",
]


class Command(Protocol):
    """What every command offers."""

    text: str

    def redo(self, project: Project) -> None: ...
    def undo(self, project: Project) -> None: ...


class _IntentGuard:
    """Remembers whether a redo made the project add an intent, to undo that too."""

    def __init__(self) -> None:
        self._intents_before: list[str] | None = None

    def remember(self, project: Project) -> None:
        self._intents_before = list(project.intents)

    def restore(self, project: Project) -> None:
        if self._intents_before is not None and project.intents != self._intents_before:
            set_intents(project, self._intents_before)


class AddExample(_IntentGuard):
    """Add one example (by default after the last example of its intent)."""

    def __init__(self, example: Example, index: int | None = None) -> None:
        super().__init__()
        self.example, self.index = example, index
        self.text = f"Add example “{_short(example.text)}”"

    def redo(self, project: Project) -> None:
        self.remember(project)
        self.index = add_example(project, self.example, self.index)

    def undo(self, project: Project) -> None:
        assert self.index is not None
        remove_examples(project, [self.index])
        self.restore(project)


class RemoveExamples:
    """Remove the examples at ``indices``."""

    def __init__(self, indices: Iterable[int]) -> None:
        self.indices = sorted(set(indices))
        self._removed: list[tuple[int, Example]] = []
        self.text = f"Remove {_count(len(self.indices), 'example')}"

    def redo(self, project: Project) -> None:
        self._removed = remove_examples(project, self.indices)

    def undo(self, project: Project) -> None:
        insert_examples(project, self._removed)


class ReplaceExample(_IntentGuard):
    """Replace the example at ``index``: text edits and span add/remove/change."""

    def __init__(self, index: int, example: Example, text: str | None = None) -> None:
        super().__init__()
        self.index, self.example = index, example
        self._old: Example | None = None
        self.text = text or f"Edit example “{_short(example.text)}”"

    def redo(self, project: Project) -> None:
        self.remember(project)
        self._old = replace_example(project, self.index, self.example)

    def undo(self, project: Project) -> None:
        assert self._old is not None
        replace_example(project, self.index, self._old)
        self.restore(project)


class _Retarget(_IntentGuard):
    """Gives examples the intent ``target``; undo puts back the very same objects."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target
        self._old: list[tuple[int, Example]] = []

    def _retarget(self, project: Project) -> None:
        for index, example in self._old:
            replace_example(project, index, replace(example, intent=self.target))

    def undo(self, project: Project) -> None:
        for index, example in self._old:
            replace_example(project, index, example)
        self.restore(project)


class MoveExamples(_Retarget):
    """Give the examples at ``indices`` another intent (they keep their rows)."""

    def __init__(self, indices: Iterable[int], target: str) -> None:
        super().__init__(target)
        self.indices = sorted(set(indices))
        self.text = f"Move {_count(len(self.indices), 'example')} to {target}"

    def redo(self, project: Project) -> None:
        self.remember(project)
        self._old = [(i, project.examples[i]) for i in self.indices]
        self._retarget(project)


class RenameIntent:
    """Rename an intent in the examples, the intent list and the YAML block."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self._examples: list[tuple[int, Example]] = []
        self.text = f"Rename intent {old} to {new}"

    def redo(self, project: Project) -> None:
        indices = project.examples_of(self.old)
        self._examples = [(i, project.examples[i]) for i in indices]
        rename_intent(project, self.old, self.new)

    def undo(self, project: Project) -> None:
        rename_intent(project, self.new, self.old)
        for index, example in self._examples:  # the very same objects as before
            replace_example(project, index, example)


class MergeIntents(_Retarget):
    """Move every example of ``sources`` into ``target`` and drop the sources."""

    def __init__(self, sources: Sequence[str], target: str) -> None:
        super().__init__(target)
        self.sources = [s for s in dict.fromkeys(sources) if s != target]
        self.text = f"Merge {', '.join(self.sources)} into {target}"

    def redo(self, project: Project) -> None:
        self.remember(project)
        names = set(self.sources)
        self._old = [(i, e) for i, e in enumerate(project.examples)
                     if e.intent in names]
        intents = list(project.intents)
        if self.target not in intents:
            first = min((intents.index(s) for s in self.sources if s in intents),
                        default=len(intents))
            intents.insert(first, self.target)
        set_intents(project, [name for name in intents if name not in names])
        self._retarget(project)


class DeleteIntent:
    """Delete an intent together with its examples."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._position = 0
        self._removed: list[tuple[int, Example]] = []
        self.text = f"Delete intent {name}"

    def redo(self, project: Project) -> None:
        self._removed = remove_examples(project, project.examples_of(self.name))
        self._position = remove_intent(project, self.name)

    def undo(self, project: Project) -> None:
        add_intent(project, self.name, self._position)
        insert_examples(project, self._removed)


class AddIntent:
    """Add an intent without examples (written to ``path`` or the first NLU file)."""

    def __init__(self, name: str, path: Path | None = None) -> None:
        self.name, self.path = name, path
        self.text = f"Add intent {name}"

    def redo(self, project: Project) -> None:
        add_intent(project, self.name, path=self.path)

    def undo(self, project: Project) -> None:
        remove_intent(project, self.name)


class AnnotateEverywhere:
    """Annotate every unannotated whole-word occurrence of ``text`` like ``template``.

    Matching ignores case and skips occurrences that overlap an existing span. The
    value is ``template.value`` when it differs from ``text`` (an explicit synonym),
    otherwise the matched words themselves.

    Args:
        text: The words to look for (e.g. ``"pepperoni"``).
        template: Entity, value, role and group to give each occurrence.
        skip: Example indices to leave alone (e.g. the one just annotated).
    """

    def __init__(self, text: str, template: EntitySpan,
                 skip: Iterable[int] = ()) -> None:
        if not text.strip():
            raise ValueError("AnnotateEverywhere needs non-empty text")
        self.words, self.template, self.skip = text, template, set(skip)
        self._pattern = re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)",
                                   re.IGNORECASE)
        self._changes: list[tuple[int, Example, Example]] = []
        self.text = f"Annotate “{_short(text)}” as {template.entity} everywhere"

    def matches(self, project: Project) -> list[tuple[int, int, int]]:
        """Return ``(example index, start, end)`` of every occurrence to annotate."""
        found = []
        for index, example in enumerate(project.examples):
            if index in self.skip:
                continue
            for match in self._pattern.finditer(example.text):
                start, end = match.span()
                if not any(s.start < end and start < s.end for s in example.entities):
                    found.append((index, start, end))
        return found

    def preview(self, project: Project) -> int:
        """Return how many occurrences ``redo`` would annotate."""
        return len(self.matches(project))

    def redo(self, project: Project) -> None:
        by_example: dict[int, list[EntitySpan]] = {}
        explicit = self.template.value if self.template.value != self.words else None
        for index, start, end in self.matches(project):
            text = project.examples[index].text
            by_example.setdefault(index, []).append(EntitySpan(
                start, end, self.template.entity, explicit or text[start:end],
                self.template.role, self.template.group))
        self._changes = []
        for index, spans in by_example.items():
            old = project.examples[index]
            merged = tuple(sorted((*old.entities, *spans),
                                  key=lambda s: (s.start, s.end)))
            new = replace(old, entities=merged)
            replace_example(project, index, new)
            self._changes.append((index, old, new))

    def undo(self, project: Project) -> None:
        for index, old, _ in reversed(self._changes):
            replace_example(project, index, old)


class UndoStack:
    """A Qt-free undo stack: ``push`` runs a command, ``undo``/``redo`` walk it."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._done: list[Any] = []
        self._undone: list[Any] = []

    def push(self, command: Any) -> None:
        """Run ``command`` and make it the next one to undo."""
        command.redo(self.project)
        self._done.append(command)
        self._undone.clear()

    def undo(self) -> bool:
        """Undo the last command; False when there is nothing to undo."""
        if not self._done:
            return False
        command = self._done.pop()
        command.undo(self.project)
        self._undone.append(command)
        return True

    def redo(self) -> bool:
        """Redo the last undone command; False when there is nothing to redo."""
        if not self._undone:
            return False
        command = self._undone.pop()
        command.redo(self.project)
        self._done.append(command)
        return True


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
