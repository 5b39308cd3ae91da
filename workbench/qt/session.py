"""ProjectSession: the open project, its undo history and the edits the window offers.

Every edit the window makes is built here as a core command and pushed on the one
history, so undo works the same from every widget. The session holds no Qt widgets.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.core import commands
from workbench.core.examples import (
    EntitySpan,
    Example,
    LookupTable,
    RegexPattern,
    Synonym,
)
from workbench.core.issues import Issue
from workbench.core.load_checks import NO_PROJECT_DATA
from workbench.core.project import Project, load_project
from workbench.qt.history import ProjectHistory

_RESOURCE_TYPES = {"synonyms": Synonym, "regexes": RegexPattern, "lookups": LookupTable}


class ProjectSession(QObject):
    """One open project and its history.

    Signals:
        opened(object): a project was opened (or re-opened) and is now current.
        dirty_changed(bool): whether there are unsaved changes flipped.
        refused(str): an edit was refused; the message says why.
    """

    opened = Signal(object)
    dirty_changed = Signal(bool)
    refused = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.path: Path | None = None
        self.history = ProjectHistory(self)
        self.history.refused.connect(self.refused)
        self.history.stack.cleanChanged.connect(self._on_clean_changed)
        self._restored = False  # recovered edits not saved yet (no undo entry for them)
        self._dirty = False

    # -- opening and saving -----------------------------------------------------------
    def open(self, path: str | Path) -> Project:
        """Load ``path`` and make it the current project.

        Raises:
            ProjectLoadError: If the path does not exist or is not YAML.
        """
        return self.adopt(self.load(path), path)

    @staticmethod
    def load(path: str | Path) -> Project:
        """Read ``path`` without making it current (the window may still say no).

        Raises:
            ProjectLoadError: If the path does not exist or is not YAML.
        """
        return load_project(path)

    def adopt(self, project: Project, path: str | Path) -> Project:
        """Make a loaded ``project`` (read from ``path``) the current one."""
        self.project, self.path = project, Path(path)
        self._restored = False
        self.history.attach(project)
        self._update_dirty()
        self.opened.emit(project)
        return project

    def save(self, *, create_files: bool = False) -> list[Path]:
        """Write the changed files; return the paths written.

        Args:
            create_files: the user agreed to create the files the save needs.

        Raises:
            NewFilesNeeded: files would be created (nothing was written; ask, then
                call again with ``create_files=True``).
            SaveError / OSError: from ``Project.save`` (nothing is marked saved).
        """
        if self.project is None:
            return []
        project = self.project
        written = project.save(create_files=True) if create_files else project.save()
        if written:  # the folder holds Rasa data now: that load warning is out of date
            project.load_issues = [
                i for i in project.load_issues if i.code != NO_PROJECT_DATA
            ]
        self._restored = False
        self.history.stack.setClean()
        self._update_dirty()
        return written

    def forget_edits(self) -> None:
        """Treat the current state as clean (the edits are about to be dropped)."""
        self._restored = False
        self.history.stack.setClean()
        self._update_dirty()

    def mark_restored(self) -> None:
        """Mark recovered (unsaved, not undoable) edits as present."""
        self._restored = True
        self._update_dirty()

    @property
    def dirty(self) -> bool:
        """Whether the project has edits that are not saved."""
        return self._dirty

    def _on_clean_changed(self, _clean: bool) -> None:
        self._update_dirty()

    def _update_dirty(self) -> None:
        dirty = self.project is not None and (
            self._restored or not self.history.stack.isClean()
        )
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    # -- reading helpers --------------------------------------------------------------
    def entity_types(self) -> list[str]:
        """Entity types in use or declared, most used first (for the type popup)."""
        if self.project is None:
            return []
        counts = Counter(s.entity for e in self.project.examples for s in e.entities)
        for entity in self.project.domain_entities or ():
            counts.setdefault(entity, 0)
        return sorted(counts, key=lambda name: (-counts[name], name))

    def data_paths(self) -> list[Path]:
        """The YAML files of the project (what the file watcher watches).

        Files that did not load are watched too: fixing one in an editor offers a
        reload.
        """
        if self.project is None:
            return []
        paths = [f.path for f in self.project.files if getattr(f, "exists", True)]
        paths += [path for path in self.project.failed_paths if path not in paths]
        if self.project.config_path is not None:
            paths.append(self.project.config_path)
        return paths

    # -- edits ------------------------------------------------------------------------
    def push(self, command: Any) -> bool:
        """Run and record a core command."""
        return self.history.push(command)

    def replace_example(self, index: int, example: Example) -> bool:
        """Replace the example at ``index`` (text, spans or intent edit)."""
        if self.project is None or self.project.examples[index] == example:
            return False
        return self.push(commands.ReplaceExample(index, example))

    def add_example(self, example: Example) -> int | None:
        """Add ``example`` after the last one of its intent; return its index."""
        command = commands.AddExample(example)
        return command.index if self.push(command) else None

    def remove_examples(self, indices: list[int]) -> bool:
        """Remove the examples at ``indices``."""
        return bool(indices) and self.push(commands.RemoveExamples(indices))

    def move_examples(self, indices: list[int], intent: str) -> bool:
        """Give the examples at ``indices`` the intent ``intent``."""
        return bool(indices) and self.push(commands.MoveExamples(indices, intent))

    def add_intent(self, name: str) -> bool:
        """Create an intent with no examples."""
        return self.push(commands.AddIntent(name.strip()))

    def rename_intent(self, old: str, new: str) -> bool:
        """Rename an intent everywhere."""
        return old != new.strip() and self.push(commands.RenameIntent(old, new.strip()))

    def merge_intents(self, sources: list[str], target: str) -> bool:
        """Move every example of ``sources`` into ``target``; drop the sources."""
        return bool([s for s in sources if s != target]) and self.push(
            commands.MergeIntents(sources, target.strip())
        )

    def delete_intent(self, name: str) -> bool:
        """Delete an intent and its examples."""
        return self.push(commands.DeleteIntent(name))

    def _everywhere_command(
        self, text: str, entity: str, skip: tuple[int, ...] = ()
    ) -> commands.AnnotateEverywhere | None:
        if not text.strip():
            return None
        return commands.AnnotateEverywhere(
            text, EntitySpan(0, len(text), entity, text), skip
        )

    def annotate_everywhere_count(self, text: str, entity: str) -> int:
        """Count the unannotated occurrences "annotate everywhere" would annotate."""
        command = self._everywhere_command(text, entity)
        return command.preview(self.project) if command and self.project else 0

    def annotate_everywhere(self, text: str, entity: str) -> bool:
        """Annotate each unannotated occurrence of ``text`` as ``entity`` (one step)."""
        command = self._everywhere_command(text, entity)
        if command is None or self.project is None or not command.preview(self.project):
            return False
        return self.push(command)

    def add_resource(self, kind: str, name: str, items: tuple[str, ...] = ()) -> bool:
        """Add an entry to ``kind``: "synonyms", "regexes" or "lookups"."""
        return self.push(
            commands.ResourceEdit.add(kind, _RESOURCE_TYPES[kind](name, tuple(items)))
        )

    def replace_resource(self, kind: str, index: int, item: Any) -> bool:
        """Replace a resource entry."""
        return self.push(commands.ResourceEdit.replace(kind, index, item))

    def remove_resource(self, kind: str, index: int) -> bool:
        """Remove a resource entry."""
        return self.push(commands.ResourceEdit.remove(kind, index))

    def apply_fix(self, issue: Issue) -> bool:
        """Apply an issue's one-click fix as an undoable edit (core ``fix_command``)."""
        if issue.fix is None or self.project is None:
            return False
        from workbench.core.validation import fix_command

        try:
            command = fix_command(self.project, issue.fix)
        except ValueError as error:
            self.refused.emit(f"No automatic fix: {error}")
            return False
        if command is None:
            self.refused.emit(
                "This problem has changed since it was found; nothing to fix."
            )
            return False
        return self.push(command)
