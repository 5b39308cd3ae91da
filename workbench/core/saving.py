"""Write a project's edits back into its YAML files (used by ``Project.save``).

1. Assign every example to the block it came from (or inherited by an edit), else to
   the first block of its intent, else to a new block; same for resource items.
2. Plan every block (renders all new lines; raises ``SaveError`` before touching
   anything), then apply the plans to the ruamel trees.
3. Dump each changed file. When ruamel cannot reproduce a file byte for byte (mixed
   indentation styles), the lines that changed between the dump before and after the
   edit are spliced into the original text, so untouched lines stay as they were.
4. Write atomically; files without changes are not written at all.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from workbench.core.project_files import DataFile
from workbench.core.yaml_io.nlu import IntentBlock, ResourceBlock, Slot, to_plain
from workbench.core.yaml_io.nlu_writer import (
    Plan,
    SaveError,
    apply_plan,
    new_intent_node,
    new_resource_node,
    plan_intent_block,
    plan_resource_block,
)
from workbench.core.yaml_io.text_patch import adopt, patch_text, read_back
from workbench.core.yaml_io.roundtrip import (
    YamlLoadError,
    YamlStyle,
    atomic_write,
    dump_yaml,
    load_yaml,
)

if TYPE_CHECKING:
    from workbench.core.project import Project

__all__ = ["SaveError", "save_project"]

_KIND_OF_LIST = {"synonyms": "synonym", "regexes": "regex", "lookups": "lookup"}


def save_project(project: Project) -> list[Path]:
    """Write the project's changes; return the paths written (see module docstring)."""
    plans: list[Plan] = []
    removals: list[IntentBlock | ResourceBlock] = []
    additions: list[IntentBlock | ResourceBlock] = []
    _plan_intents(project, plans, removals, additions)
    _plan_resources(project, plans, removals, additions)
    # files edited in memory by an earlier save whose write failed
    touched: list[DataFile] = [file for file in project.files if file.needs_write]
    for item in (*plans, *removals, *additions):
        block = item.block if isinstance(item, Plan) else item
        if block.file not in touched:
            touched.append(block.file)
    written = _save_as_text(project, touched, plans, removals, additions)
    touched = [file for file in touched if file.path not in written]
    plans = [plan for plan in plans if plan.block.file in touched]
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
    return [*written, *(_write(file) for file in touched)]


def _save_as_text(project: Project, touched: list[DataFile], plans: list[Plan],
                  removals: list[Any], additions: list[Any]) -> list[Path]:
    """Write fast-read files whose edits are line replacements (text_patch)."""
    structural = {id(block.file) for block in (*removals, *additions)}
    written: list[Path] = []
    for file in touched:
        if not file.fast or file.needs_write or id(file) in structural:
            continue
        mine = [plan for plan in plans if plan.block.file is file]
        text = patch_text(file.text, mine)
        tree = read_back(file, text, mine) if text is not None else None
        if text is None or tree is None:
            continue
        atomic_write(file.path, text)
        file.text = text
        for plan in mine:
            plan.block.slots = plan.slots
            if isinstance(plan.block, IntentBlock):
                plan.block.style = plan.style
            for slot in plan.slots:
                if slot.value is not None:
                    project._origin[id(slot.value)] = (slot.value, plan.block, slot)
        adopt(file, tree)
        written.append(file.path)
    return written


def _plan_intents(project: Project, plans: list[Plan], removals: list[Any],
                  additions: list[Any]) -> None:
    blocks = project.intent_blocks()
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

    The file the user chose; else, for resources, the first file that already holds
    that kind; else the main NLU file: among files with intent blocks the one closest
    to the project root (``data/nlu.yml`` before ``data/more/x.yml``), in load order;
    a new ``data/nlu.yml`` if the project has no NLU file.
    """
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
    new_path = Path(path) if path is not None else project.root / "data" / "nlu.yml"
    tree = CommentedMap()
    tree["version"] = "3.1"
    tree["nlu"] = CommentedSeq()
    file = DataFile(new_path, "", YamlStyle(), tree, True, exists=False)
    project.files.append(file)
    return file


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


def _write(file: DataFile) -> Path:
    after = dump_yaml(file.tree, file.style)
    base = file.base_dump if file.base_dump is not None else after
    text = after if base == file.text else splice(file.text, base, after, file.style)
    file.path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(file.path, text)
    file.text = text
    file.base_dump = after
    file.exists = True
    file.needs_write = False
    file.lines_stale, file.line_tree = True, None
    return file.path


def splice(original: str, before: str, after: str, style: YamlStyle) -> str:
    """Apply the line changes ``before -> after`` to ``original``.

    ``before`` is ruamel's dump of the unedited tree, which differs from ``original``
    only in indentation when ruamel cannot reproduce a file's mixed styles. Lines are
    matched one to one; inserted lines are shifted by the indentation difference of
    their neighbour. Falls back to ``after`` when the result would not load to the
    same data.
    """
    a_lines = original.splitlines(keepends=True)
    b_lines = before.splitlines(keepends=True)
    c_lines = after.splitlines(keepends=True)
    if len(a_lines) != len(b_lines):
        return after
    out: list[str] = []
    matcher = SequenceMatcher(None, b_lines, c_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(a_lines[i1:i2])
        elif tag in ("replace", "insert"):
            near = min(max(i1 - 1, 0), len(a_lines) - 1) if a_lines else -1
            delta = _indent(a_lines[near]) - _indent(b_lines[near]) if near >= 0 else 0
            out.extend(_shift(line, delta) for line in c_lines[j1:j2])
    text = "".join(out)
    try:
        same = to_plain(load_yaml(text, style)) == to_plain(load_yaml(after, style))
    except YamlLoadError:
        same = False
    return text if same else after


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shift(line: str, delta: int) -> str:
    if delta > 0:
        return " " * delta + line
    if delta < 0:
        removable = min(-delta, _indent(line))
        return line[removable:]
    return line
