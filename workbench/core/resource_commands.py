"""Undoable edits of synonyms, regexes and lookup tables (see ``commands``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.examples import LookupTable, RegexPattern, Synonym

if TYPE_CHECKING:
    from workbench.core.project import Project

Resource = Synonym | RegexPattern | LookupTable


class AddResource:
    """Add a synonym, regex or lookup table (kind "synonyms"/"regexes"/"lookups")."""

    kind = ""

    def __init__(self, item: Resource, index: int | None = None,
                 kind: str | None = None) -> None:
        self.kind = kind or self.kind
        self.item, self.index = item, index
        self.text = f"Add {_resource_word(self.kind)} {_resource_name(item)}"

    def redo(self, project: Project) -> None:
        items = getattr(project, self.kind)
        self.index = len(items) if self.index is None else self.index
        project.insert_resource(self.kind, self.index, self.item)

    def undo(self, project: Project) -> None:
        assert self.index is not None
        project.remove_resource(self.kind, self.index)


class RemoveResource:
    """Remove the item at ``index`` of a resource list."""

    kind = ""

    def __init__(self, index: int, kind: str | None = None) -> None:
        self.kind = kind or self.kind
        self.index = index
        self._item: Resource | None = None
        self.text = f"Remove {_resource_word(self.kind)}"

    def redo(self, project: Project) -> None:
        self._item = project.remove_resource(self.kind, self.index)

    def undo(self, project: Project) -> None:
        assert self._item is not None
        project.insert_resource(self.kind, self.index, self._item)


class ReplaceResource:
    """Change an item of a resource list (its name or its entries)."""

    kind = ""

    def __init__(self, index: int, item: Resource, kind: str | None = None) -> None:
        self.kind = kind or self.kind
        self.index, self.item = index, item
        self._old: Resource | None = None
        self.text = f"Edit {_resource_word(self.kind)} {_resource_name(item)}"

    def redo(self, project: Project) -> None:
        self._old = project.replace_resource(self.kind, self.index, self.item)

    def undo(self, project: Project) -> None:
        assert self._old is not None
        project.replace_resource(self.kind, self.index, self._old)


class AddSynonym(AddResource):
    """Add a synonym."""

    kind = "synonyms"


class RemoveSynonym(RemoveResource):
    """Remove a synonym."""

    kind = "synonyms"


class ReplaceSynonym(ReplaceResource):
    """Change a synonym."""

    kind = "synonyms"


class AddRegex(AddResource):
    """Add a regex."""

    kind = "regexes"


class RemoveRegex(RemoveResource):
    """Remove a regex."""

    kind = "regexes"


class ReplaceRegex(ReplaceResource):
    """Change a regex."""

    kind = "regexes"


class AddLookup(AddResource):
    """Add a lookup table."""

    kind = "lookups"


class RemoveLookup(RemoveResource):
    """Remove a lookup table."""

    kind = "lookups"


class ReplaceLookup(ReplaceResource):
    """Change a lookup table."""

    kind = "lookups"


def _resource_word(kind: str) -> str:
    words = {"synonyms": "synonym", "regexes": "regex", "lookups": "lookup table"}
    return words.get(kind, kind)


def _resource_name(item: Any) -> str:
    return str(getattr(item, "value", None) or getattr(item, "name", ""))
