"""``Project``: a Rasa project folder (or one NLU file) as an editable domain model.

``load_project`` reads config, domain and every NLU file into immutable examples and
resource items, keeping each file's ruamel tree next to them. ``Project`` holds that
state and its signals; it is changed by :mod:`workbench.core.project_edits` (which
:mod:`workbench.core.commands` makes undoable), and ``save`` writes the changed blocks
back into the trees (:mod:`workbench.core.saving`), rewriting only changed files.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workbench.core.config_file import ConfigFile, open_config_file
from workbench.core.events import Signal
from workbench.core.example_list import ExampleList
from workbench.core.examples import Example, LookupTable, RegexPattern, Synonym
from workbench.core.issues import Issue
from workbench.core.load_checks import clean_stale_temps, no_project_data
from workbench.core.project_edits import resource_list
from workbench.core.project_files import (
    DataFile,
    discover,
    read_config,
    read_data_file,
    read_domain_entities,
)
from workbench.core.project_origins import inherit_origin
from workbench.core.snapshot import ProjectSnapshot
from workbench.core.yaml_io.nlu_writer import NewFilesNeeded, SaveError

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
            resource_list(project, resource.kind).append(resource.item)
            project._origin[id(resource.item)] = (resource.item, resource, None)
    project.failed_paths = [p for p, read in zip(layout.data, reads, strict=True)
                            if read is None]
    empty = no_project_data(layout, any(f.is_nlu for f in project.files),
                            project.failed_paths)
    project.load_issues = issues if empty is None else [empty, *issues]
    return project


class Project:
    """A loaded Rasa project: its content, its files and its change signals.

    It is changed by the functions of :mod:`workbench.core.project_edits` (undoable
    through :mod:`workbench.core.commands`), or directly through ``examples``; see
    ``docs/internal-interfaces.md``.

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

    def examples_of(self, intent: str) -> list[int]:
        """Return the indices of the examples of ``intent``."""
        return [i for i, e in enumerate(self.examples) if e.intent == intent]

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
        inherit_origin(self, old, new)
        if new.intent not in self.intents:
            self.intents.append(new.intent)
            self.intents_changed.emit()
        self._touch()

    # -- output --------------------------------------------------------------------
    def save(self, *, create_files: bool = False) -> list[Path]:
        """Write changed files back atomically; return the paths written.

        All files are written to temp files first and renamed only when all are
        written. Files that did not load (``failed_paths``) are never written.

        Args:
            create_files: The user agreed to create the files the save needs
                (``saving.files_to_create``); without it such a save raises
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

    def snapshot(self) -> ProjectSnapshot:
        """Return an immutable copy of what training needs."""
        return ProjectSnapshot.from_project(self)
