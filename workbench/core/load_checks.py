"""Checks made when a project is opened: leftovers of a killed save, a folder that
holds no Rasa data. Both report through load issues; neither raises."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from workbench.core.issues import Issue
from workbench.core.project_files import ProjectLayout
from workbench.core.yaml_io.atomic import remove_stale_temps, write_target

NO_PROJECT_DATA = "no-project-data"
STALE_TEMP = "stale-temp-removed"


def clean_stale_temps(layout: ProjectLayout) -> list[Issue]:
    """Remove temp files a killed save left next to the project's data files."""
    folders: list[Path] = [layout.root, layout.root / "data"]
    for path in layout.data:
        folders.append(path.parent)
        try:
            folders.append(write_target(path).parent)  # a symlink's target folder
        except OSError:
            continue
    if not layout.single_file:
        data = layout.root / "data"
        if data.is_dir():
            folders.extend(p for p in data.rglob("*") if p.is_dir()
                           and not any(part.startswith(".")
                                       for part in p.relative_to(data).parts))
    removed = remove_stale_temps(folders)
    if not removed:
        return []
    names = ", ".join(path.name for path in removed[:5])
    more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
    return [Issue("warning", STALE_TEMP,
                  f"removed {len(removed)} temp file(s) left by a save that did not "
                  f"finish ({names}{more}); the data files hold the last complete "
                  "save", removed[0].parent, None, None,
                  "check the last edits before the interruption are there; "
                  "nothing else to do")]


def no_project_data(layout: ProjectLayout, nlu_found: bool,
                    failed: Iterable[Path]) -> Issue | None:
    """An issue when a folder has no config, no domain and no NLU data file."""
    if layout.single_file or layout.config or layout.domain or nlu_found:
        return None
    root = layout.root
    failed = list(failed)
    other_yaml = [p for p in layout.data if p not in failed]
    try:
        entries = [e for e in os.scandir(root) if not e.name.startswith(".")]
    except OSError:
        entries = []
    folders = sum(1 for e in entries if e.is_dir())
    files = len(entries) - folders
    found = []
    if failed:
        found.append(f"{len(failed)} YAML file(s) that did not load")
    if other_yaml:
        found.append(f"{len(other_yaml)} YAML file(s) without 'nlu:'")
    found.append(f"{files} file(s) and {folders} folder(s) in all" if entries
                 else "nothing (the folder is empty)")
    return Issue("warning", NO_PROJECT_DATA,
                 f"no config.yml, no domain.yml and no NLU data file (data/*.yml with "
                 f"'nlu:') in {root}; found: {'; '.join(found)}", root, None, None,
                 "open a Rasa project folder (with config.yml and data/), or a "
                 "single NLU .yml file; to start a new project here, add intents: "
                 "saving asks before creating data/nlu.yml")
