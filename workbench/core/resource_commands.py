"""Undoable edits of synonyms, regexes and lookup tables (see ``commands``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.project_edits import (
    Resource,
    insert_resource,
    remove_resource,
    replace_resource,
    resource_list,
)

if TYPE_CHECKING:
    from workbench.core.project import Project

_WORDS = {"synonyms": "synonym", "regexes": "regex", "lookups": "lookup table"}


class ResourceEdit:
    """Add, remove or replace one item of a resource list, undoably.

    Build one with :meth:`add`, :meth:`remove` or :meth:`replace`. Each is the same
    move: the place ``index`` of the list ``kind`` goes from holding nothing or an item
    to holding an item or nothing; undo makes the reverse move with the very object
    that was there before.

    Args:
        kind: ``"synonyms"``, ``"regexes"`` or ``"lookups"`` (or the singular).
        index: The place; ``None`` appends (only when adding).
        item: What the place holds after ``redo``; ``None`` removes.
        adds: The place is new (the item is inserted, not replacing one).
        text: The edit as the undo menu names it.
    """

    def __init__(self, kind: str, index: int | None, item: Resource | None, *,
                 adds: bool, text: str) -> None:
        self.kind, self.index, self.item, self.adds = kind, index, item, adds
        self.text = text
        self._old: Resource | None = None

    @classmethod
    def add(cls, kind: str, item: Resource, index: int | None = None) -> ResourceEdit:
        """Insert ``item`` at ``index`` (default: at the end)."""
        return cls(kind, index, item, adds=True,
                   text=f"Add {_word(kind)} {_name(item)}")

    @classmethod
    def remove(cls, kind: str, index: int) -> ResourceEdit:
        """Remove the item at ``index``."""
        return cls(kind, index, None, adds=False, text=f"Remove {_word(kind)}")

    @classmethod
    def replace(cls, kind: str, index: int, item: Resource) -> ResourceEdit:
        """Change the item at ``index`` (its name or its entries) to ``item``."""
        return cls(kind, index, item, adds=False,
                   text=f"Edit {_word(kind)} {_name(item)}")

    def redo(self, project: Project) -> None:
        if self.index is None:
            self.index = len(resource_list(project, self.kind))
        self._old = self._put(project, self.item, occupied=not self.adds)

    def undo(self, project: Project) -> None:
        self._put(project, self._old, occupied=self.item is not None)

    def _put(self, project: Project, item: Resource | None, *,
             occupied: bool) -> Resource | None:
        """Make the place hold ``item`` (None: no place); return what it held."""
        assert self.index is not None
        if not occupied:
            assert item is not None
            insert_resource(project, self.kind, self.index, item)
            return None
        if item is None:
            return remove_resource(project, self.kind, self.index)
        return replace_resource(project, self.kind, self.index, item)


def _word(kind: str) -> str:
    return _WORDS.get(kind, kind)


def _name(item: Resource) -> str:
    return str(getattr(item, "value", None) or getattr(item, "name", ""))
