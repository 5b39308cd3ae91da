"""Crash recovery: the edited project content in ``.workbench/recovery*.json``.

While there are unsaved edits, the window (``qt/project_guard.py``) writes the
project's examples, intents, synonyms, regexes and lookups here (debounced after edits,
and periodically). A clean save or an explicit discard deletes the file. When a
project is opened and a recovery file exists, the previous session did not end
cleanly: the window offers to restore.

Restoring applies the difference to the freshly loaded project through the normal
edits (``project_edits``), so unchanged examples keep their place in the YAML files
and saving afterwards writes a minimal diff.
"""

from __future__ import annotations

import difflib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.config_commands import restore_config_text
from workbench.core.examples import (
    EntitySpan,
    Example,
    LookupTable,
    RegexPattern,
    Synonym,
)
from workbench.core.project_edits import (
    add_intent,
    insert_examples,
    insert_resource,
    remove_examples,
    remove_intent,
    remove_resource,
    replace_example,
    replace_resource,
)

if TYPE_CHECKING:
    from workbench.core.project import Project

FORMAT_VERSION = 1
_RESOURCE_TYPES = {"synonyms": Synonym, "regexes": RegexPattern, "lookups": LookupTable}


@dataclass(frozen=True)
class RecoveredContent:
    """What a recovery file holds."""

    saved_at: float  # time.time() of the write
    examples: tuple[Example, ...]
    intents: tuple[str, ...]
    resources: dict[str, tuple[Any, ...]]  # "synonyms"/"regexes"/"lookups" -> items
    config_text: str | None = None  # the edited config.yml when it has unsaved edits


def recovery_path(project: Project, opened: Path | None = None) -> Path:
    """Return where the recovery file of ``project`` lives.

    A project folder gets ``.workbench/recovery.json``; a single NLU file gets
    ``.workbench/recovery-<file name>.json`` next to it, so two files of one folder
    opened separately do not share a recovery file.
    """
    folder = project.root / ".workbench"
    if opened is not None and opened.is_file():
        return folder / f"recovery-{opened.name}.json"
    return folder / "recovery.json"


def capture(project: Project) -> RecoveredContent:
    """Copy what a recovery file holds (cheap: the immutable examples are shared)."""
    return RecoveredContent(
        saved_at=time.time(),
        examples=project.examples.to_tuple(),
        intents=tuple(project.intents),
        resources={kind: tuple(getattr(project, kind)) for kind in _RESOURCE_TYPES},
        config_text=_edited_config(project),
    )


def _edited_config(project: Project) -> str | None:
    config_file = getattr(project, "config_file", None)
    return (
        config_file.text if config_file is not None and config_file.modified else None
    )


def write_content(content: RecoveredContent, path: Path) -> None:
    """Write captured content to ``path`` atomically (safe in a worker thread)."""
    data = {
        "format": FORMAT_VERSION,
        "saved_at": content.saved_at,
        "intents": list(content.intents),
        "examples": [
            {
                "text": e.text,
                "intent": e.intent,
                "entities": [[s.start, s.end, s.entity, s.value, s.role, s.group]
                             for s in e.entities],  # fmt: skip
                "metadata": _plain(e.metadata),
            }
            for e in content.examples
        ],
        **{
            kind: [[_name(item), list(_values(item))] for item in items]
            for kind, items in content.resources.items()
        },
    }
    if content.config_text is not None:
        data["config_text"] = content.config_text
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def write_recovery(project: Project, path: Path) -> None:
    """Write the project's current content to ``path`` atomically."""
    write_content(capture(project), path)


def read_recovery(path: Path) -> RecoveredContent | None:
    """Return a recovery file's content; ``None`` if missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            return None
        examples = tuple(
            Example(
                item["text"],
                item["intent"],
                tuple(EntitySpan(*span) for span in item["entities"]),
                item.get("metadata"),
            )
            for item in data["examples"]
        )
        resources = {
            kind: tuple(cls(name, tuple(values)) for name, values in data.get(kind, []))
            for kind, cls in _RESOURCE_TYPES.items()
        }
        config_text = data.get("config_text")
        return RecoveredContent(
            float(data["saved_at"]), examples, tuple(data["intents"]), resources,
            config_text if isinstance(config_text, str) else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def discard_recovery(path: Path) -> None:
    """Delete a recovery file (and its folder when empty)."""
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass


def differs(project: Project, content: RecoveredContent) -> bool:
    """Whether restoring ``content`` would change ``project``."""
    if tuple(project.intents) != content.intents:
        return True
    if [_key(e) for e in project.examples] != [_key(e) for e in content.examples]:
        return True
    config_file = getattr(project, "config_file", None)
    if (content.config_text is not None and config_file is not None
            and config_file.text != content.config_text):
        return True
    return any(
        [(_name(i), _values(i)) for i in getattr(project, kind)]
        != [(_name(i), _values(i)) for i in items]
        for kind, items in content.resources.items()
    )


def apply_recovery(project: Project, content: RecoveredContent) -> None:
    """Change ``project`` so that it holds ``content`` (minimal edits)."""
    current = [_key(e) for e in project.examples]
    wanted = [_key(e) for e in content.examples]
    matcher = difflib.SequenceMatcher(None, current, wanted, autojunk=False)
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for offset in range(i2 - i1):
                old = project.examples[i1 + offset]
                new = content.examples[j1 + offset]
                replace_example(project, i1 + offset, Example(
                    new.text, new.intent, new.entities, new.metadata, old.source
                ))
            continue
        if i2 > i1:
            remove_examples(project, range(i1, i2))
        if j2 > j1:
            insert_examples(project, [
                (i1 + k, content.examples[j1 + k]) for k in range(j2 - j1)
            ])
    for name in content.intents:
        if name not in project.intents:
            add_intent(project, name)
    used = {e.intent for e in project.examples}
    for name in [
        n for n in project.intents if n not in content.intents and n not in used
    ]:
        remove_intent(project, name)
    for kind, items in content.resources.items():
        _apply_resources(project, kind, items)
    if content.config_text is not None:
        restore_config_text(project, content.config_text)  # refused: config kept


def _apply_resources(project: Project, kind: str, items: tuple[Any, ...]) -> None:
    present = getattr(project, kind)
    for index, item in enumerate(items):
        if index < len(present):
            if (_name(present[index]), _values(present[index])) != (
                _name(item), _values(item)
            ):
                replace_resource(project, kind, index, item)
        else:
            insert_resource(project, kind, index, item)
    while len(getattr(project, kind)) > len(items):
        remove_resource(project, kind, len(getattr(project, kind)) - 1)


def _key(example: Example) -> tuple[Any, ...]:
    return (example.text, example.intent, example.entities)


def _name(item: Any) -> str:
    return item.value if isinstance(item, Synonym) else item.name


def _values(item: Any) -> tuple[str, ...]:
    if isinstance(item, Synonym):
        return tuple(item.examples)
    if isinstance(item, RegexPattern):
        return tuple(item.patterns)
    return tuple(item.elements)


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON-ready plain data (ruamel maps become dicts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
