"""``Project``: a Rasa project folder (or one NLU file) as an editable domain model.

``load_project`` reads config, domain and every NLU file into immutable examples and
resource items, keeping each file's ruamel tree next to them. Edits go through the
project's mutation methods (or :mod:`workbench.core.commands`), which emit events;
``save`` writes the changed blocks back into the trees and rewrites only changed files.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workbench.core.config_file import ConfigFile, open_config_file
from workbench.core.events import Signal
from workbench.core.example_list import ExampleList
from workbench.core.examples import (
    Example,
    LookupTable,
    RegexPattern,
    SourceRef,
    Synonym,
)
from workbench.core.issues import Issue
from workbench.core.load_checks import clean_stale_temps, no_project_data
from workbench.core.project_files import (
    DataFile,
    discover,
    read_config,
    read_data_file,
    read_domain_entities,
)
from workbench.core.snapshot import ProjectSnapshot
from workbench.core.text_rules import check_example, check_name, check_resource
from workbench.core.yaml_io.nlu_writer import NewFilesNeeded, SaveError

RESOURCE_LISTS = ("synonyms", "regexes", "lookups")
_LIST_NAMES = {"synonym": "synonyms", "regex": "regexes", "lookup": "lookups"}
Resource = Synonym | RegexPattern | LookupTable

__all__ = ["NewFilesNeeded", "Project", "ProjectLoadError", "SaveError",
           "load_project"]


class ProjectLoadError(Exception):
    """The path given to :func:`load_project` does not exist or is not YAML."""


def load_project(path: str | Path) -> Project:
    """Open a Rasa project folder or a single NLU YAML file.

    Bad content never raises: unreadable files, invalid YAML and bad markup become
    ``project.load_issues`` and the rest of the project loads.

    Args:
        path: Project folder (with ``config.yml``, ``domain.yml``, ``data/``) or a file.

    Raises:
        ProjectLoadError: If ``path`` does not exist, or is a file that is not YAML.
    """
    path = Path(path)
    # Loading creates ~3 objects per example; the cyclic GC would rescan them many
    # times (more than half the load time of a 50k-example project), and none of
    # them form cycles, so it is paused while reading.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_project(path)
    finally:
        if was_enabled:
            gc.enable()


def _load_project(path: Path) -> Project:
    if not path.exists():
        raise ProjectLoadError(f"{path}: no such file or folder; give a Rasa project "
                               "folder or an NLU .yml file")
    if path.is_file() and path.suffix.lower() not in (".yml", ".yaml"):
        raise ProjectLoadError(f"{path}: not a YAML file; give a Rasa project folder "
                               "or an NLU .yml/.yaml file")
    layout = discover(path)
    issues: list[Issue] = clean_stale_temps(layout)
    reads = [read_data_file(data_path, issues) for data_path in layout.data]
    examples = [e for read in reads if read is not None for e in read[1].examples]
    project = Project(layout.root, single_file=layout.single_file, examples=examples)
    project.config_path = layout.config
    project.config = read_config(layout.config, issues)
    project.config_file = open_config_file(
        layout.root, layout.config, single_file=layout.single_file,
        load_failed=layout.config is not None and project.config is None)
    project.domain_entities = read_domain_entities(layout.domain, issues)
    for read in reads:
        if read is None:
            continue
        file, content = read
        project.files.append(file)
        for intent in content.intents:
            if intent not in project.intents:
                project.intents.append(intent)
        for block in file.intent_blocks:
            for slot in block.slots:
                if slot.value is not None:
                    project._origin[id(slot.value)] = (slot.value, block, slot)
        for resource in file.resource_blocks:
            project._list_for(resource.kind).append(resource.item)
            project._origin[id(resource.item)] = (resource.item, resource, None)
    project.failed_paths = [p for p, read in zip(layout.data, reads, strict=True)
                            if read is None]
    empty = no_project_data(layout, any(f.is_nlu for f in project.files),
                            project.failed_paths)
    project.load_issues = issues if empty is None else [empty, *issues]
    return project


class Project:
    """A loaded Rasa project (see ``docs/internal-interfaces.md``).

    Signals:
        changed (): anything in the project changed.
        intents_changed (): the intent list changed (added, removed, renamed...).
        resources_changed (kind): ``"synonyms"``, ``"regexes"`` or ``"lookups"``.
        modified_changed (bool): the unsaved-changes flag flipped.
        saved (paths): files were written.

    Args:
        root: Project folder.
        single_file: The project is one NLU file (new intents go into it).
        examples: Initial examples (as read from the files).
    """

    def __init__(self, root: Path, *, single_file: bool = False,
                 examples: Iterable[Example] = ()) -> None:
        self.root = Path(root)
        self.single_file = single_file
        self.examples = ExampleList(examples)
        self.intents: list[str] = []
        self.synonyms: list[Synonym] = []
        self.regexes: list[RegexPattern] = []
        self.lookups: list[LookupTable] = []
        self.config: dict[str, Any] | None = None
        self.config_path: Path | None = None
        # config.yml as an editable text (settings edits; saved with the data)
        self.config_file: ConfigFile | None = None
        self.domain_entities: set[str] | None = None
        self.load_issues: list[Issue] = []
        self.files: list[DataFile] = []
        # data files that exist but did not load: never written, never a save target
        self.failed_paths: list[Path] = []
        self._modified = False
        # id(value) -> (value, block, slot): where an example/resource was read from or
        # last written; replacements inherit their predecessor's place.
        self._origin: dict[int, tuple[Any, Any, Any]] = {}
        self._intent_paths: dict[str, Path] = {}  # chosen files for new intents
        self.changed = Signal("changed")
        self.intents_changed = Signal("intents_changed")
        self.resources_changed = Signal("resources_changed")
        self.modified_changed = Signal("modified_changed")
        self.saved = Signal("saved")
        self.examples.inserted.connect(self._on_examples_inserted)
        self.examples.removed.connect(self._on_examples_changed)
        self.examples.changed.connect(self._on_example_replaced)
        self.examples.reset.connect(self._on_examples_changed)

    # -- state ---------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        """True when there are changes that ``save`` has not written yet."""
        return self._modified

    @modified.setter
    def modified(self, value: bool) -> None:
        if value != self._modified:
            self._modified = value
            self.modified_changed.emit(value)

    @property
    def nlu_paths(self) -> list[Path]:
        """Paths of the NLU data files, in load order."""
        return [file.path for file in self.files if file.is_nlu and file.exists]

    def __repr__(self) -> str:
        return (f"<Project {self.root} {len(self.examples)} examples, "
                f"{len(self.intents)} intents>")

    def _touch(self) -> None:
        self.modified = True
        self.changed.emit()

    def _on_examples_inserted(self, index: int, examples: tuple[Example, ...]) -> None:
        new = [e.intent for e in examples if e.intent not in self.intents]
        for intent in dict.fromkeys(new):
            self.intents.append(intent)
        if new:
            self.intents_changed.emit()
        self._touch()

    def _on_examples_changed(self, *args: Any) -> None:
        self._touch()

    def _on_example_replaced(self, index: int, old: Example, new: Example) -> None:
        self._inherit_origin(old, new)
        if new.intent not in self.intents:
            self.intents.append(new.intent)
            self.intents_changed.emit()
        self._touch()

    def _inherit_origin(self, old: Any, new: Any) -> None:
        entry = self._origin.get(id(old))
        if entry is not None and entry[0] is old and id(new) not in self._origin:
            self._origin[id(new)] = (new, entry[1], entry[2])

    # -- examples ------------------------------------------------------------------
    def examples_of(self, intent: str) -> list[int]:
        """Return the indices of the examples of ``intent``."""
        return [i for i, e in enumerate(self.examples) if e.intent == intent]

    def add_example(self, example: Example, index: int | None = None) -> int:
        """Add an example; by default right after the last example of its intent.

        Returns:
            The index it was inserted at.

        Raises:
            TextRuleError: A string of the example has a character that cannot be
                stored (a ``ValueError``; see :mod:`workbench.core.text_rules`).
        """
        check_example(example)
        if index is None:
            positions = self.examples_of(example.intent)
            index = positions[-1] + 1 if positions else len(self.examples)
        self.examples.insert(index, example)
        return index

    def insert_examples(self, pairs: Iterable[tuple[int, Example]]) -> None:
        """Re-insert ``(index, example)`` pairs (final indices), e.g. for undo."""
        pairs = sorted(pairs, key=lambda pair: pair[0])
        for _, example in pairs:
            check_example(example)
        for index, example in pairs:
            self.examples.insert(index, example)

    def remove_examples(self, indices: Iterable[int]) -> list[tuple[int, Example]]:
        """Remove the examples at ``indices``; return ``(index, example)`` ascending."""
        return self.examples.remove_indices(indices)

    def replace_example(self, index: int, example: Example) -> Example:
        """Replace the example at ``index`` (any edit); return the old one."""
        check_example(example)
        return self.examples.replace(index, example)

    # -- intents -------------------------------------------------------------------
    def add_intent(self, name: str, index: int | None = None,
                   path: Path | None = None) -> None:
        """Add an intent with no examples yet.

        Args:
            name: Intent name (at most one ``/``).
            index: Position in ``intents`` (default: last).
            path: NLU file its block should be written to (default: the first one).

        Raises:
            ValueError: If the name is empty, has more than one ``/`` or exists.
        """
        check_intent_name(name)
        if name in self.intents:
            raise ValueError(f"intent '{name}' already exists")
        self.intents.insert(len(self.intents) if index is None else index, name)
        if path is not None:
            self._intent_paths[name] = Path(path)
        self.intents_changed.emit()
        self._touch()

    def set_intents(self, names: Iterable[str]) -> None:
        """Replace the intent list (order included), e.g. to undo a merge."""
        self.intents[:] = list(names)
        self.intents_changed.emit()
        self._touch()

    def remove_intent(self, name: str) -> int:
        """Remove an intent name (not its examples); return its position."""
        position = self.intents.index(name)
        del self.intents[position]
        self.intents_changed.emit()
        self._touch()
        return position

    def rename_intent(self, old: str, new: str) -> None:
        """Rename an intent everywhere: examples, the intent list and its YAML blocks.

        Raises:
            ValueError: If ``old`` does not exist, or ``new`` exists or is invalid.
        """
        check_intent_name(new)
        if old not in self.intents:
            raise ValueError(f"no intent '{old}'")
        if new in self.intents:
            raise ValueError(f"intent '{new}' already exists; merge the intents")
        self.intents[self.intents.index(old)] = new
        for block in self.intent_blocks():
            if block.name == old:
                block.name = new
        if old in self._intent_paths:
            self._intent_paths[new] = self._intent_paths.pop(old)
        for index in self.examples_of(old):
            example = self.examples[index]
            self.examples.replace(index, _replace_intent(example, new))
        self.intents_changed.emit()
        self._touch()

    def intent_blocks(self) -> list[Any]:
        """Every live ``- intent:`` block of every file (internal to the save logic)."""
        return [b for f in self.files for b in f.intent_blocks if b.alive]

    def intent_metadata(self, name: str) -> Any:
        """Return the intent-level ``metadata:`` of intent ``name`` (or None)."""
        for block in self.intent_blocks():
            if block.name == name and block.metadata is not None:
                return block.metadata
        return None

    # -- synonyms, regexes, lookup tables ------------------------------------------
    def _list_for(self, kind: str) -> list[Any]:
        name = _LIST_NAMES.get(kind, kind)
        if name not in RESOURCE_LISTS:
            raise ValueError(f"unknown resource list {kind!r}; use {RESOURCE_LISTS}")
        return getattr(self, name)

    def insert_resource(self, kind: str, index: int, item: Resource) -> None:
        """Insert an item into ``synonyms``, ``regexes`` or ``lookups``."""
        check_resource(item)
        self._list_for(kind).insert(index, item)
        self._resource_touched(kind)

    def remove_resource(self, kind: str, index: int) -> Resource:
        """Remove and return the item at ``index`` of a resource list."""
        item = self._list_for(kind).pop(index)
        self._resource_touched(kind)
        return item

    def replace_resource(self, kind: str, index: int, item: Resource) -> Resource:
        """Replace the item at ``index`` of a resource list; return the old one."""
        items = self._list_for(kind)
        check_resource(item)
        old = items[index]
        items[index] = item
        self._inherit_origin(old, item)
        self._resource_touched(kind)
        return old

    def _resource_touched(self, kind: str) -> None:
        self.resources_changed.emit(_LIST_NAMES.get(kind, kind))
        self._touch()

    # -- output --------------------------------------------------------------------
    def save(self, *, create_files: bool = False) -> list[Path]:
        """Write changed files back atomically; return the paths written.

        All files are written to temp files first and renamed only when all are
        written. Files that did not load (``failed_paths``) are never written.

        Args:
            create_files: The user agreed to create the files the save needs
                (``files_to_create``); without it such a save raises
                ``NewFilesNeeded``.

        Raises:
            NewFilesNeeded: The save would create files (nothing was written).
            SaveError: An edit cannot be written, or a file is read-only, or the
                target file did not load (nothing was changed).
            OSError: A file could not be written (nothing was changed, unless
                ``error.written`` lists files already replaced).
        """
        from workbench.core.saving import save_project

        written = save_project(self, create_files=create_files)
        self.modified = False
        if written:
            self.saved.emit(written)
        return written

    def files_to_create(self) -> list[Path]:
        """The files the next ``save()`` would create (``[]`` if none)."""
        from workbench.core.saving import files_to_create

        return files_to_create(self)

    def locations(self) -> list[SourceRef | None]:
        """Current file and line of every example (``Example.source`` is as loaded)."""
        from workbench.core.locations import example_locations

        return example_locations(self)

    def snapshot(self) -> ProjectSnapshot:
        """Return an immutable copy of what training needs."""
        return ProjectSnapshot.from_project(self)

    def validate(self, **options: Any) -> list[Issue]:
        """Return load issues plus :func:`workbench.core.validation.validate`."""
        from workbench.core.validation import validate

        return validate(self, **options)


def check_intent_name(name: str) -> None:
    """Raise ``ValueError`` for names Rasa rejects (empty, spaces around, two ``/``)
    or that hold a character the project cannot store (``TextRuleError``)."""
    check_name(name, "intent")
    if not name or name != name.strip():
        raise ValueError(f"invalid intent name {name!r}: empty or surrounded by spaces")
    if name.count("/") > 1:
        raise ValueError(f"invalid intent name {name!r}: at most one '/' is allowed")


def _replace_intent(example: Example, intent: str) -> Example:
    return Example(example.text, intent, example.entities, example.metadata,
                   example.source)
