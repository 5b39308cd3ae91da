"""Undoable edits of the training settings (core commands, like ``core.commands``).

:class:`SetConfigSetting` changes one key of ``config.yml`` in memory (written by the
next ``Project.save``, with the data); :class:`SetMachineOption` changes the device or
thread count of this computer (``.workbench/training.json``, written at once). Both
record the exact previous state, so undo gives back the very same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.config_file import UNSET, ConfigEditError
from workbench.core.machine_options import (
    MachineOptions,
    read_machine_options,
    write_machine_options,
)

if TYPE_CHECKING:
    from workbench.core.project import Project

__all__ = ["SetConfigSetting", "SetMachineOption", "restore_config_text"]


class SetConfigSetting:
    """Set (or with ``UNSET`` remove) one DIETClassifier key or top-level key.

    Args:
        key: The Rasa key (``epochs``, ``batch_size`` ...).
        value: Plain data, or ``UNSET`` for the component's default.
        top_level: A top-level key of config.yml instead of a DIETClassifier key.
        create: The user agreed to create config.yml if the project has none.

    Raises (from ``redo``):
        ConfigEditError: A ``ValueError`` saying why the edit cannot be made.
    """

    def __init__(self, key: str, value: Any, *, top_level: bool = False,
                 create: bool = False) -> None:
        self.key, self.value = key, value
        self.top_level, self.create = top_level, create
        self._old: str | None = None
        self._new: str | None = None
        self.text = (f"Reset setting {key}" if value is UNSET
                     else f"Set {key} to {_shown(value)}")

    def redo(self, project: Project) -> None:
        config_file = project.config_file
        if config_file is None:
            raise ConfigEditError("this project has no editable config")
        if self._new is None:
            self._old = config_file.text
            self._new = config_file.edited(self.key, self.value,
                                           top_level=self.top_level,
                                           create=self.create)
        config_file.text = self._new
        _sync(project)

    def undo(self, project: Project) -> None:
        config_file = project.config_file
        assert config_file is not None
        config_file.text = self._old
        _sync(project)


class SetMachineOption:
    """Set ``device`` ("auto", "cpu", "cuda:0" ...) or ``threads`` (None = auto) for
    this project on this computer; written to ``.workbench/training.json`` at once."""

    def __init__(self, name: str, value: Any) -> None:
        if name not in ("device", "threads"):
            raise ValueError(f"unknown machine option {name!r}; use device or threads")
        self.name, self.value = name, value
        self._old: MachineOptions | None = None
        self.text = f"Set {name} to {'auto' if value is None else value}"

    def redo(self, project: Project) -> None:
        options, _ = read_machine_options(project.root)
        if self._old is None:
            self._old = options
        new = MachineOptions(**{**options.as_dict(), self.name: self.value})
        _write(project, new)

    def undo(self, project: Project) -> None:
        assert self._old is not None
        _write(project, self._old)


def restore_config_text(project: Project, text: str) -> bool:
    """Make ``text`` the edited config.yml (crash recovery); False if it cannot be.

    Refused (nothing changes) when the config cannot be edited or ``text`` is not a
    YAML mapping.
    """
    config_file = project.config_file
    if config_file is None or config_file.error is not None:
        return False
    try:
        config_file.check_text(text)
    except ConfigEditError:
        return False
    if config_file.text != text:
        config_file.text = text
        _sync(project)
    return True


def _write(project: Project, options: MachineOptions) -> None:
    try:
        write_machine_options(project.root, options)
    except OSError as error:
        raise ValueError(f"cannot save the training options: {error}") from None


def _sync(project: Project) -> None:
    """Keep ``project.config`` (what training snapshots) equal to the edited file."""
    config_file = project.config_file
    assert config_file is not None
    project.config = config_file.plain()
    project.modified = True
    project.changed.emit()


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)
