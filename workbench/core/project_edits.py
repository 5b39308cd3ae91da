"""The edits a :class:`~workbench.core.project.Project` is changed by.

Each function checks its input first (nothing changes when it raises), changes one
list of the project, keeps the origin map (:mod:`workbench.core.project_origins`) and
emits the project's signals. Undoable edits (:mod:`workbench.core.commands`) and crash
recovery are made of these; code outside ``core`` goes through the commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.examples import Example, LookupTable, RegexPattern, Synonym
from workbench.core.project_origins import inherit_origin, intent_blocks
from workbench.core.text_rules import check_example, check_name, check_resource

if TYPE_CHECKING:
    from workbench.core.project import Project

RESOURCE_LISTS = ("synonyms", "regexes", "lookups")
_LIST_NAMES = {"synonym": "synonyms", "regex": "regexes", "lookup": "lookups"}
Resource = Synonym | RegexPattern | LookupTable


# -- examples ----------------------------------------------------------------------
def add_example(project: Project, example: Example, index: int | None = None) -> int:
    """Add an example; by default right after the last example of its intent.

    Returns:
        The index it was inserted at.

    Raises:
        TextRuleError: A string of the example has a character that cannot be
            stored (a ``ValueError``; see :mod:`workbench.core.text_rules`).
    """
    check_example(example)
    if index is None:
        positions = project.examples_of(example.intent)
        index = positions[-1] + 1 if positions else len(project.examples)
    project.examples.insert(index, example)
    return index


def insert_examples(project: Project, pairs: Iterable[tuple[int, Example]]) -> None:
    """Re-insert ``(index, example)`` pairs (final indices), e.g. for undo."""
    pairs = sorted(pairs, key=lambda pair: pair[0])
    for _, example in pairs:
        check_example(example)
    for index, example in pairs:
        project.examples.insert(index, example)


def remove_examples(project: Project,
                    indices: Iterable[int]) -> list[tuple[int, Example]]:
    """Remove the examples at ``indices``; return ``(index, example)`` ascending."""
    return project.examples.remove_indices(indices)


def replace_example(project: Project, index: int, example: Example) -> Example:
    """Replace the example at ``index`` (any edit); return the old one."""
    check_example(example)
    return project.examples.replace(index, example)


# -- intents -----------------------------------------------------------------------
def add_intent(project: Project, name: str, index: int | None = None,
               path: Path | None = None) -> None:
    """Add an intent with no examples yet.

    Args:
        project: The project to change.
        name: Intent name (at most one ``/``).
        index: Position in ``intents`` (default: last).
        path: NLU file its block should be written to (default: the first one).

    Raises:
        ValueError: If the name is empty, has more than one ``/`` or exists.
    """
    check_intent_name(name)
    if name in project.intents:
        raise ValueError(f"intent '{name}' already exists")
    project.intents.insert(len(project.intents) if index is None else index, name)
    if path is not None:
        project._intent_paths[name] = Path(path)
    _touched(project, intents=True)


def set_intents(project: Project, names: Iterable[str]) -> None:
    """Replace the intent list (order included), e.g. to undo a merge."""
    project.intents[:] = list(names)
    _touched(project, intents=True)


def remove_intent(project: Project, name: str) -> int:
    """Remove an intent name (not its examples); return its position."""
    position = project.intents.index(name)
    del project.intents[position]
    _touched(project, intents=True)
    return position


def rename_intent(project: Project, old: str, new: str) -> None:
    """Rename an intent everywhere: examples, the intent list and its YAML blocks.

    Raises:
        ValueError: If ``old`` does not exist, or ``new`` exists or is invalid.
    """
    check_intent_name(new)
    if old not in project.intents:
        raise ValueError(f"no intent '{old}'")
    if new in project.intents:
        raise ValueError(f"intent '{new}' already exists; merge the intents")
    project.intents[project.intents.index(old)] = new
    for block in intent_blocks(project):
        if block.name == old:
            block.name = new
    if old in project._intent_paths:
        project._intent_paths[new] = project._intent_paths.pop(old)
    for index in project.examples_of(old):
        example = project.examples[index]
        project.examples.replace(index, Example(example.text, new, example.entities,
                                                example.metadata, example.source))
    _touched(project, intents=True)


def check_intent_name(name: str) -> None:
    """Raise ``ValueError`` for names Rasa rejects (empty, spaces around, two ``/``)
    or that hold a character the project cannot store (``TextRuleError``)."""
    check_name(name, "intent")
    if not name or name != name.strip():
        raise ValueError(f"invalid intent name {name!r}: empty or surrounded by spaces")
    if name.count("/") > 1:
        raise ValueError(f"invalid intent name {name!r}: at most one '/' is allowed")


# -- synonyms, regexes, lookup tables ----------------------------------------------
def resource_list(project: Project, kind: str) -> list[Any]:
    """Return ``project.synonyms``, ``.regexes`` or ``.lookups`` (singular kinds too).

    Raises:
        ValueError: If ``kind`` names no resource list.
    """
    name = _LIST_NAMES.get(kind, kind)
    if name not in RESOURCE_LISTS:
        raise ValueError(f"unknown resource list {kind!r}; use {RESOURCE_LISTS}")
    return getattr(project, name)


def insert_resource(project: Project, kind: str, index: int, item: Resource) -> None:
    """Insert an item into ``synonyms``, ``regexes`` or ``lookups``."""
    check_resource(item)
    resource_list(project, kind).insert(index, item)
    _touched(project, resources=kind)


def remove_resource(project: Project, kind: str, index: int) -> Resource:
    """Remove and return the item at ``index`` of a resource list."""
    item = resource_list(project, kind).pop(index)
    _touched(project, resources=kind)
    return item


def replace_resource(project: Project, kind: str, index: int,
                     item: Resource) -> Resource:
    """Replace the item at ``index`` of a resource list; return the old one."""
    items = resource_list(project, kind)
    check_resource(item)
    old = items[index]
    items[index] = item
    inherit_origin(project, old, item)
    _touched(project, resources=kind)
    return old


def _touched(project: Project, *, intents: bool = False,
             resources: str | None = None) -> None:
    if intents:
        project.intents_changed.emit()
    if resources is not None:
        project.resources_changed.emit(_LIST_NAMES.get(resources, resources))
    project.modified = True
    project.changed.emit()
