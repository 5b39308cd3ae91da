"""Where a project's items live in its files: the YAML blocks and the origin map.

Every example and resource item a project holds is remembered with the block (and,
for examples, the slot) it was read from or last written to, keyed by ``id``. A
replacement inherits its predecessor's place, so a save writes an edited example
where the old one was (:mod:`workbench.core.saving`, :mod:`workbench.core.locations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.core.project import Project
    from workbench.core.yaml_io.nlu import IntentBlock


def inherit_origin(project: Project, old: Any, new: Any) -> None:
    """Give ``new`` the place of ``old`` unless ``new`` already has one."""
    entry = project._origin.get(id(old))
    if entry is not None and entry[0] is old and id(new) not in project._origin:
        project._origin[id(new)] = (new, entry[1], entry[2])


def intent_blocks(project: Project) -> list[IntentBlock]:
    """Return every live ``- intent:`` block of every file, in file order."""
    return [b for f in project.files for b in f.intent_blocks if b.alive]


def intent_metadata(project: Project, name: str) -> Any:
    """Return the intent-level ``metadata:`` of intent ``name`` (or None)."""
    for block in intent_blocks(project):
        if block.name == name and block.metadata is not None:
            return block.metadata
    return None
