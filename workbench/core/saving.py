"""Write a project's edits back into its YAML files (used by ``Project.save``).

1. Assign every example to the block it came from (or inherited by an edit), else to
   the first block of its intent, else to a new block; same for resource items.
   New blocks go into a loaded NLU file, never into a file that failed to load.
2. Plan every block (renders all new lines; raises ``SaveError`` before touching
   anything); refuse read-only files and, unless allowed, files to create
   (``NewFilesNeeded``); then apply the plans.
3. Render each changed file: fast-read files with in-block edits by replacing lines
   (``text_patch``); others by dumping the ruamel tree and merging the changed lines
   into the file's own text (``text_merge``), so untouched lines, comments,
   directives and document markers stay as they were. Every rendered text is read
   back and must give exactly the intended data, else ``SaveError``.
4. Commit all files at once (``atomic.commit_files``): every temp file is written
   before the first rename; files without changes are not written at all.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from workbench.core.config_file import config_write
from workbench.core.project_files import DataFile
from workbench.core.project_origins import intent_blocks
from workbench.core.yaml_io.atomic import (
    CommitError,
    FileWrite,
    commit_files,
    write_target,
)
from workbench.core.yaml_io.nlu import IntentBlock, ResourceBlock, Slot, to_plain
from workbench.core.yaml_io.nlu_writer import (
    NewFilesNeeded,
    Plan,
    SaveError,
    apply_plan,
    new_intent_node,
    new_resource_node,
    plan_intent_block,
    plan_resource_block,
)
from workbench.core.yaml_io.roundtrip import (
    YamlLoadError,
    YamlStyle,
    dump_yaml,
    load_yaml,
)
from workbench.core.yaml_io.text_merge import merge_edit
from workbench.core.yaml_io.text_patch import adopt, patch_text, read_back

if TYPE_CHECKING:
    from workbench.core.project import Project

__all__ = ["NewFilesNeeded", "SaveError", "files_to_create", "save_project"]

_KIND_OF_LIST = {"synonyms": "synonym", "regexes": "regex", "lookups": "lookup"}


class _Work:
    """What one save does: the plans and the files they touch."""

    def __init__(self, project: Project) -> None:
        self.plans: list[Plan] = []
        self.removals: list[IntentBlock | ResourceBlock] = []
        self.additions: list[IntentBlock | ResourceBlock] = []
        _plan_intents(project, self.plans, self.removals, self.additions)
        _plan_resources(project, self.plans, self.removals, self.additions)
        # files edited in memory by an earlier save whose write failed
        self.touched: list[DataFile] = [f for f in project.files if f.needs_write]
        for item in (*self.plans, *self.removals, *self.additions):
            block = item.block if isinstance(item, Plan) else item
            if block.file not in self.touched:
                self.touched.append(block.file)

    def new_paths(self) -> list[Path]:
        return [file.path for file in self.touched if not file.exists]


def files_to_create(project: Project) -> list[Path]:
    """The files the next ``save`` would create (``[]`` also when it would fail)."""
    try:
        return _Work(project).new_paths()
    except SaveError:
        return []


def save_project(project: Project, *, create_files: bool = False) -> list[Path]:
    """Write the project's changes; return the paths written (module docstring).

    Raises:
        NewFilesNeeded: Files would be created and ``create_files`` is false.
        SaveError: Nothing was written (the message names the file and the fix).
        OSError: A file could not be written (see ``CommitError.written``).
    """
    work = _Work(project)
    _check_writable(project, work.touched)
    settings = config_write(project.config_file)  # config.yml edits (consent given)
    if work.new_paths() and not create_files:
        raise NewFilesNeeded(work.new_paths())
    plans, touched = work.plans, work.touched
    as_text = _patch_as_text(touched, plans, work.removals, work.additions)
    touched = [file for file in touched if file not in as_text]
    plans = [plan for plan in plans if plan.block.file in touched]
    _apply_to_trees(project, touched, plans, work.removals, work.additions)
    rendered = {file: _render(file) for file in touched}
    writes = [FileWrite(file.path, text) for file, (text, _) in as_text.items()]
    writes += [FileWrite(file.path, text, create=not file.exists)
               for file, (text, _) in rendered.items()]
    if settings is not None:
        writes.append(settings)
    try:
        commit_files(writes)  # raises before any rename on (nearly) every error
    except CommitError as error:  # a rename failed: record the files it replaced
        _written(project, as_text, rendered, set(error.written))
        if settings is not None and settings.path in error.written:
            _config_saved(project, settings.path)
        raise
    _written(project, as_text, rendered, {write.path for write in writes})
    if settings is not None:
        _config_saved(project, settings.path)
    return [write.path for write in writes]


def _config_saved(project: Project, path: Path) -> None:
    assert project.config_file is not None
    project.config_file.mark_saved()
    project.config_path = path


def _written(project: Project, as_text: dict[DataFile, Any],
             rendered: dict[DataFile, tuple[str, str]], paths: set[Path]) -> None:
    """Make the in-memory files match what was written to ``paths``."""
    for file, (text, (tree, mine)) in as_text.items():
        if file.path in paths:
            _adopt_patch(project, file, text, tree, mine)
    for file, (text, after) in rendered.items():
        if file.path in paths:
            file.text, file.base_dump = text, after
            file.exists, file.needs_write = True, False
            file.lines_stale, file.line_tree = True, None


def _check_writable(project: Project, touched: list[DataFile]) -> None:
    """Refuse, before anything is written, files a save must not or cannot write."""
    failed = set(project.failed_paths)
    for file in touched:
        if file.path in failed:
            raise SaveError(f"{file.path}: this file did not load; it is never "
                            "written. Fix it and reopen the project")
        if not file.exists:
            if os.path.lexists(file.path):
                raise SaveError(f"{file.path}: a file of that name exists now; it is "
                                "not overwritten. Reopen the project to load it")
            continue
        target = write_target(file.path)
        try:
            mode = target.stat().st_mode
        except OSError:
            continue  # deleted since it was read: the save writes it again
        if not stat.S_IMODE(mode) & 0o222 or not os.access(target, os.W_OK):
            shown = f"{file.path} (a link to {target})" if target != file.path \
                else str(file.path)
            raise SaveError(f"{shown} is read-only; nothing was saved. Make it "
                            f"writable (e.g. chmod u+w '{target}') and save again")
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise SaveError(f"{file.path}: the folder {target.parent} is not "
                            "writable, so the file cannot be replaced safely; nothing "
                            "was saved. Make the folder writable and save again")


def _patch_as_text(touched: list[DataFile], plans: list[Plan], removals: list[Any],
                   additions: list[Any]
                   ) -> dict[DataFile, tuple[str, tuple[Any, list[Plan]]]]:
    """Fast-read files whose edits are line replacements: new text (text_patch)."""
    structural = {id(block.file) for block in (*removals, *additions)}
    result: dict[DataFile, tuple[str, tuple[Any, list[Plan]]]] = {}
    for file in touched:
        if not file.fast or file.needs_write or id(file) in structural:
            continue
        mine = [plan for plan in plans if plan.block.file is file]
        text = patch_text(file.text, mine)
        tree = read_back(file, text, mine) if text is not None else None
        if text is not None and tree is not None:
            result[file] = (text, (tree, mine))
    return result


def _adopt_patch(project: Project, file: DataFile, text: str, tree: Any,
                 mine: list[Plan]) -> None:
    file.text = text
    for plan in mine:
        plan.block.slots = plan.slots
        if isinstance(plan.block, IntentBlock):
            plan.block.style = plan.style
        for slot in plan.slots:
            if slot.value is not None:
                project._origin[id(slot.value)] = (slot.value, plan.block, slot)
    adopt(file, tree)


def _apply_to_trees(project: Project, touched: list[DataFile], plans: list[Plan],
                    removals: list[Any], additions: list[Any]) -> None:
    """Edit the ruamel trees of ``touched`` files (they are written afterwards)."""
    for file in touched:  # swap in ruamel trees before anything is edited
        file.materialize()
    for file in touched:  # remember what the unedited tree dumps to
        if file.base_dump is None:
            file.base_dump = dump_yaml(file.tree, file.style) if file.exists else ""
    for file in touched:
        file.needs_write = True
    for block in removals:
        _remove_block(block)

    def old_place(block: Any) -> int:
        return block.removed_at if block.removed_at is not None else 1 << 30

    for block in sorted(additions, key=old_place):
        block.alive = True
        seq = _nlu_seq(block.file)
        if block.removed_at is not None:
            seq.insert(min(block.removed_at, len(seq)), block.node)
            block.removed_at = None
        else:
            seq.append(block.node)
        if block not in block.file.intent_blocks and isinstance(block, IntentBlock):
            block.file.intent_blocks.append(block)
        if block not in block.file.resource_blocks and isinstance(block, ResourceBlock):
            block.file.resource_blocks.append(block)
    for plan in plans:
        apply_plan(plan)
        for slot in plan.slots:
            if slot.value is not None:
                project._origin[id(slot.value)] = (slot.value, plan.block, slot)


def _plan_intents(project: Project, plans: list[Plan], removals: list[Any],
                  additions: list[Any]) -> None:
    blocks = intent_blocks(project)
    first_of: dict[str, IntentBlock] = {}
    for block in blocks:
        first_of.setdefault(block.name, block)
    wanted: dict[int, list[tuple[Any, Slot | None]]] = {id(b): [] for b in blocks}
    for example in project.examples:
        entry = project._origin.get(id(example))
        slot = None
        block = None
        if entry is not None and entry[0] is example:
            origin_block = entry[1]
            if origin_block.alive and origin_block.name == example.intent:
                block, slot = origin_block, entry[2]
            elif not origin_block.alive and origin_block.name == example.intent:
                block = first_of.get(example.intent)
                if block is None:  # bring back the block an earlier save removed
                    block = _revive(origin_block, additions)
                    first_of[example.intent] = block
                    blocks.append(block)
                    wanted[id(block)] = []
                if block is origin_block:
                    slot = entry[2]
        if block is None:
            block = first_of.get(example.intent)
            if block is None:
                block = _new_intent_block(project, example.intent, additions)
                first_of[example.intent] = block
                blocks.append(block)
                wanted[id(block)] = []
        wanted[id(block)].append((example, slot))
    for intent in project.intents:  # intents without examples still get a block
        if intent not in first_of:
            dead = [b for f in project.files for b in f.intent_blocks
                    if not b.alive and b.name == intent]
            block = _revive(dead[0], additions) if dead else _new_intent_block(
                project, intent, additions)
            first_of[intent] = block
            blocks.append(block)
            wanted[id(block)] = []
    intents = set(project.intents)
    for block in blocks:
        if block.name not in intents and not wanted[id(block)]:
            if block not in additions:
                removals.append(block)
            continue
        plan = plan_intent_block(block, wanted[id(block)])
        if plan is not None:
            plans.append(plan)


def _revive(block: Any, additions: list[Any]) -> Any:
    """Put a block removed by an earlier save back where it was (undo after save).

    It becomes alive when the save adds its node back to the tree.
    """
    additions.append(block)
    return block


def _new_intent_block(project: Project, name: str, additions: list[Any]) -> IntentBlock:
    file = _target_file(project, project._intent_paths.get(name), "intent")
    block = IntentBlock(new_intent_node(name), name, "empty", file=file)
    additions.append(block)
    return block


def _plan_resources(project: Project, plans: list[Plan], removals: list[Any],
                    additions: list[Any]) -> None:
    for list_name, kind in _KIND_OF_LIST.items():
        used: set[int] = set()
        for item in getattr(project, list_name):
            entry = project._origin.get(id(item))
            block = None
            if entry is not None and entry[0] is item and id(entry[1]) not in used:
                block = entry[1]
                if not block.alive:
                    _revive(block, additions)
            if block is None:
                file = _target_file(project, None, kind)
                node = new_resource_node(kind, _name(item))
                # not alive until the save adds it (a failed save must not leave
                # the registry pointing at a block that is in no file)
                block = ResourceBlock(node, kind, item, file=file, alive=False)
                additions.append(block)
            used.add(id(block))
            plan = plan_resource_block(block, _name(item), _values(item))
            block.item = item
            project._origin[id(item)] = (item, block, None)
            if plan is not None:
                plans.append(plan)
        for file in project.files:
            for block in file.resource_blocks:
                if block.kind == kind and block.alive and id(block) not in used:
                    removals.append(block)


def _name(item: Any) -> str:
    return str(getattr(item, "value", None) or getattr(item, "name", ""))


def _values(item: Any) -> tuple[str, ...]:
    for field in ("examples", "patterns", "elements"):
        if hasattr(item, field):
            return tuple(getattr(item, field))
    return ()


def _target_file(project: Project, path: Path | None, kind: str) -> DataFile:
    """Choose the file a new block goes into.

    A single-file project: that file (``SaveError`` if it did not load). Else the file
    the user chose; else, for resources, the first file that already holds that kind;
    else the main NLU file: among files with intent blocks the one closest to the
    project root (``data/nlu.yml`` before ``data/more/x.yml``), in load order. Without
    a loaded NLU file: a new file at a free path (never a file that exists or failed).
    """
    if project.single_file:
        return _single_target(project)
    nlu_files = [f for f in project.files if f.is_nlu]
    if path is not None:
        for file in nlu_files:
            if file.path == Path(path):
                return file
    if kind != "intent":
        for file in nlu_files:
            if any(b.kind == kind and b.alive for b in file.resource_blocks):
                return file
    if nlu_files:
        with_intents = [f for f in nlu_files if f.intent_blocks] or nlu_files
        return min(with_intents, key=lambda f: len(f.path.parts))
    file = DataFile(_free_path(project, path), "", YamlStyle(), _new_tree(), True,
                    exists=False)
    project.files.append(file)
    return file


def _new_tree() -> CommentedMap:
    tree = CommentedMap()
    tree["version"] = "3.1"
    tree["nlu"] = CommentedSeq()
    return tree


def _single_target(project: Project) -> DataFile:
    """The file of a single-file project, made ready to take ``nlu:`` blocks."""
    for path in project.failed_paths:
        raise SaveError(f"{path}: this file did not load, so nothing can be saved "
                        "into it; fix the problem shown for it (or reopen it after "
                        "fixing it in an editor), then save again. Nothing was written")
    if not project.files:
        raise SaveError(f"{project.root}: the project has no data file to save into")
    file = project.files[0]
    if file.tree is None and not file.text.strip():  # an empty file
        file.tree, file.base_dump, file.fast = _new_tree(), file.text, False
    if not isinstance(file.tree, CommentedMap) and not file.fast:
        raise SaveError(f"{file.path}: the file's top level is not a mapping, so no "
                        "'nlu:' blocks can be added; nothing was written. Add a line "
                        "'nlu:' to it, or open a project folder")
    file.is_nlu = True
    return file


def _free_path(project: Project, wanted: Path | None) -> Path:
    """A path for a new NLU file where no file exists, loaded or not."""
    known = {f.path for f in project.files} | set(project.failed_paths)

    def free(path: Path) -> bool:
        return path not in known and not os.path.lexists(path)

    if wanted is not None and free(Path(wanted)):
        return Path(wanted)
    folder = project.root / "data"
    number = 1
    while True:
        candidate = folder / ("nlu.yml" if number == 1 else f"nlu_{number}.yml")
        if free(candidate):
            return candidate
        number += 1


def _nlu_seq(file: DataFile) -> CommentedSeq:
    if not isinstance(file.tree, CommentedMap):
        raise SaveError(f"{file.path}: the top level is not a mapping; "
                        "cannot add 'nlu:' blocks")
    seq = file.tree.get("nlu")
    if not isinstance(seq, CommentedSeq):
        seq = CommentedSeq()
        file.tree["nlu"] = seq
    return seq


def _remove_block(block: IntentBlock | ResourceBlock) -> None:
    seq = _nlu_seq(block.file)
    for index, node in enumerate(seq):
        if node is block.node:
            del seq[index]
            block.removed_at = index
            break
    block.alive = False


def _render(file: DataFile) -> tuple[str, str]:
    """Return ``(text to write, ruamel dump)`` of an edited tree.

    The dump's changes are merged into the file's own text; the result (or, failing
    that, the plain dump) must read back to exactly the tree's data.

    Raises:
        SaveError: Neither reads back as intended (nothing is written).
    """
    after = dump_yaml(file.tree, file.style)
    base = file.base_dump if file.base_dump is not None else after
    wanted = _comparable(file.tree)
    candidates = [merge_edit(file.text, base, after)] if file.exists else []
    candidates.append(after)
    for text in candidates:
        if _reads_as(text, file.style, wanted):
            return text, after
    raise SaveError(f"{file.path}: the edited file would not read back as intended "
                    "(a YAML construct the writer cannot reproduce); nothing was "
                    "written. Please report this file")


def _reads_as(text: str, style: YamlStyle, wanted: Any) -> bool:
    try:
        return _comparable(load_yaml(text, style)) == wanted
    except YamlLoadError:
        return False


def _comparable(node: Any) -> Any:
    """Plain data for comparing two trees (tags and odd scalars included)."""
    if isinstance(node, dict):
        return {_comparable(k): _comparable(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_comparable(value) for value in node]
    plain = to_plain(node)
    if plain is None or isinstance(plain, bool | int | float | str):
        return plain
    tag = getattr(node, "tag", None)
    value = getattr(node, "value", node)
    return (type(node).__name__, str(getattr(tag, "value", tag)), str(value))
