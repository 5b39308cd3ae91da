"""Which files make up a Rasa project, and reading each of them without crashing.

A project is a folder with ``config.yml``, an optional ``domain.yml`` (or ``domain/``
folder) and training data in ``data/**/*.yml`` / ``*.yaml``; a single NLU YAML file is a
project of its own. Files under ``data/`` without an ``nlu:`` key (stories, rules) are
loaded so they can be reported on, but never modelled or rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.issues import Issue
from workbench.core.yaml_io.fast_nlu import fast_parse, same_content
from workbench.core.yaml_io.nlu import (
    IntentBlock,
    NluContent,
    ResourceBlock,
    has_nlu_section,
    read_nlu,
    to_plain,
)
from workbench.core.yaml_io.roundtrip import (
    YamlLoadError,
    YamlStyle,
    detect_style,
    load_yaml,
    read_text,
)

YAML_SUFFIXES = (".yml", ".yaml")
# Read plain NLU files with the fast line reader (tests switch it off to compare).
USE_FAST_READER = True
# Files in a project root that are never NLU data.
NON_DATA_NAMES = {"config", "domain", "endpoints", "credentials"}


@dataclass(eq=False)
class DataFile:
    """A YAML training-data file and its round-trip tree."""

    path: Path
    text: str  # the file content as last read or written
    style: YamlStyle
    tree: Any  # ruamel round-trip tree (None for an empty file)
    is_nlu: bool
    intent_blocks: list[IntentBlock] = field(default_factory=list)
    resource_blocks: list[ResourceBlock] = field(default_factory=list)
    base_dump: str | None = None  # dump of ``tree`` that corresponds to ``text``
    exists: bool = True  # False for a file the project will create on save
    needs_write: bool = False  # tree edited but not yet written (a failed save)
    fast: bool = False  # ``tree`` is fast_nlu's stand-in; see ``materialize``
    lines_stale: bool = False  # written by ruamel: node line numbers are outdated
    line_tree: Any = None  # a re-read of ``text`` for current line numbers

    def materialize(self) -> None:
        """Replace the fast reader's stand-in tree by ruamel's round-trip tree.

        Raises:
            SaveError: If ruamel reads the file differently (never expected).
        """
        if not self.fast:
            return
        from workbench.core.yaml_io.nlu_writer import SaveError

        try:
            real = load_yaml(self.text, self.style)
        except YamlLoadError as error:
            raise SaveError(
                f"{self.path}: cannot re-read the file: {error.message}") from None
        if not same_content(self.tree, real):
            raise SaveError(f"{self.path}: the file reads differently on a second "
                            "look; reopen the project and repeat the edit")
        seq = real["nlu"]
        for block in (*self.intent_blocks, *self.resource_blocks):
            if block.position is not None and block.alive:
                block.node = seq[block.position]
        self.tree = real
        self.fast = False


@dataclass
class ProjectLayout:
    """The files of a project, found by :func:`discover`."""

    root: Path  # the project folder (the file's folder for a single file)
    config: Path | None
    domain: list[Path]
    data: list[Path]
    single_file: bool


def discover(path: Path) -> ProjectLayout:
    """Find config, domain and data files of the project at ``path``.

    Args:
        path: A project folder or a single NLU YAML file (must exist).
    """
    if path.is_file():
        return ProjectLayout(path.parent, None, [], [path], True)
    config = _first_existing(path, "config")
    domain = [p for p in (_first_existing(path, "domain"),) if p is not None]
    domain_dir = path / "domain"
    if not domain and domain_dir.is_dir():
        domain = _yaml_files(domain_dir)
    data_dir = path / "data"
    if data_dir.is_dir():
        data = _yaml_files(data_dir)
    else:  # a flat folder of NLU files
        data = [p for p in _yaml_files(path, recursive=False)
                if p.stem not in NON_DATA_NAMES]
    return ProjectLayout(path, config, domain, data, False)


def _first_existing(folder: Path, stem: str) -> Path | None:
    for suffix in YAML_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _yaml_files(folder: Path, recursive: bool = True) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    found = [
        p for p in folder.glob(pattern)
        if p.suffix.lower() in YAML_SUFFIXES and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(found)


def _read_tree(path: Path, issues: list[Issue]) -> tuple[str, YamlStyle, Any] | None:
    """Read and parse ``path``; report a problem to ``issues`` and return ``None``."""
    try:
        text = read_text(path)
    except UnicodeDecodeError as error:
        line = _byte_line(path, error.start)
        issues.append(Issue("error", "unreadable-file",
                            f"the file is not UTF-8 text: byte {error.start + 1} "
                            f"(line {line}) cannot be decoded ({error.reason})",
                            path, line, None,
                            "save the file as UTF-8, or delete the damaged "
                            "character on that line"))
        return None
    except OSError as error:
        issues.append(Issue("error", "unreadable-file", f"cannot read file: {error}",
                            path, None, None,
                            "check the file exists, is readable and is UTF-8 text"))
        return None
    style = detect_style(text)
    try:
        return text, style, load_yaml(text, style)
    except YamlLoadError as error:
        issues.append(Issue("error", "bad-yaml", f"invalid YAML: {error.message}", path,
                            error.line, None,
                            "fix the YAML syntax (indentation, quotes, ':' after "
                            "keys); the rest of the project was loaded"))
        return None


def _byte_line(path: Path, offset: int) -> int | None:
    """1-based line of byte ``offset`` of ``path`` (``None`` if unreadable)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(offset).count(b"\n") + 1
    except OSError:
        return None


def _top_level_issue(tree: Any, path: Path, what: str, keys: str) -> Issue | None:
    """An issue for a file whose top level is not a mapping (``None`` if fine)."""
    if tree is None or isinstance(tree, dict):
        return None
    kind = "a list" if isinstance(tree, list) else f"a single value ({_short(tree)})"
    return Issue("error" if not isinstance(tree, list) else "warning", "not-a-mapping",
                 f"the top level of this file is {kind}, not a mapping of keys; "
                 f"nothing in it is read as {what}", path, 1, None,
                 f"start the file with keys such as {keys}")


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def read_data_file(path: Path, issues: list[Issue]
                   ) -> tuple[DataFile, NluContent] | None:
    """Read one training-data file; problems go to ``issues``, never raised."""
    fast_tree = None
    if USE_FAST_READER:
        try:
            text = read_text(path)
        except (OSError, UnicodeDecodeError):
            text = None  # _read_tree reports it
        fast_tree = fast_parse(text) if text is not None else None
    if fast_tree is not None:
        assert text is not None
        style = detect_style(text)
        tree: Any = fast_tree
    else:
        loaded = _read_tree(path, issues)
        if loaded is None:
            return None
        text, style, tree = loaded
    is_nlu = has_nlu_section(tree)
    if not is_nlu and _looks_like_nlu_blocks(tree):
        issues.append(Issue(
            "error", "missing-nlu-key",
            "this file lists intents but has no top-level 'nlu:' key, so none of its "
            "examples are read (Rasa ignores it too)", path, 1, None,
            "add a line 'nlu:' above the first '- intent:' (the list may stay at the "
            "left margin)"))
    elif (top := _top_level_issue(tree, path, "training data",
                                  "'version: \"3.1\"' and 'nlu:'")) is not None:
        issues.append(top)
        if top.severity == "error":
            return None  # a lone value: nothing to keep, and never to be written
    file = DataFile(path, text, style, tree, is_nlu, fast=fast_tree is not None)
    content = read_nlu(tree, path) if is_nlu else NluContent()
    for block in content.intent_blocks:
        block.file = file
    for resource in content.resource_blocks:
        resource.file = file
    file.intent_blocks = content.intent_blocks
    file.resource_blocks = content.resource_blocks
    issues.extend(content.issues)
    return file, content


_NLU_BLOCK_KEYS = frozenset({"intent", "synonym", "regex", "lookup"})


def _looks_like_nlu_blocks(tree: Any) -> bool:
    """A top-level list of mappings keyed like NLU blocks (``nlu:`` forgotten)."""
    return isinstance(tree, list) and any(
        isinstance(item, dict) and _NLU_BLOCK_KEYS & set(item) for item in tree)


def read_config(path: Path | None, issues: list[Issue]) -> dict[str, Any] | None:
    """Read ``config.yml`` as plain data (``None`` when absent or unreadable)."""
    if path is None:
        return None
    loaded = _read_tree(path, issues)
    if loaded is None:
        return None
    if loaded[2] is None:
        return {}
    if not isinstance(loaded[2], dict):
        issues.append(Issue("error", "bad-config", "config must be a mapping of keys",
                            path, 1, None,
                            "write 'language:', 'pipeline:' ... at the top level"))
        return None
    return to_plain(loaded[2])


def read_domain_entities(paths: list[Path], issues: list[Issue]) -> set[str] | None:
    """Collect entity names declared in the domain; ``None`` without a domain."""
    if not paths:
        return None
    entities: set[str] = set()
    for path in paths:
        loaded = _read_tree(path, issues)
        if loaded is None:
            continue
        top = _top_level_issue(loaded[2], path, "domain", "'intents:' and 'entities:'")
        if top is not None:
            issues.append(top)
            continue
        if loaded[2] is None:
            continue
        declared = loaded[2].get("entities") or []
        if not isinstance(declared, list):
            issues.append(Issue("warning", "bad-domain", "'entities:' must be a list",
                                path,
                                None, None, "list entity names under 'entities:'"))
            continue
        for item in declared:
            if isinstance(item, str):
                entities.add(item.strip())
            elif isinstance(item, dict):  # "- city: {roles: [...]}"
                entities.update(str(key).strip() for key in item)
    return entities
