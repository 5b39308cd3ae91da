"""App preferences: one frozen dataclass, persisted with QSettings.

Tests never touch the developer's real settings: they build a ``SettingsStore`` over
an INI file in a temporary folder (napari's ``_fresh_settings`` idea).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "NLU Workbench"
APPLICATION = "workbench"


@dataclass(frozen=True)
class AppPreferences:
    """User preferences of the desktop app."""

    # Most recent first; absolute paths of project folders or NLU files.
    recent_projects: tuple[str, ...] = ()
    # How many recent projects the File menu lists (editors usually show 5-10).
    max_recent: int = 8
    # Seconds between periodic recovery snapshots (edits also trigger one, debounced).
    autosave_seconds: int = 30
    # Delay after the last edit before validation runs again, in milliseconds:
    # long enough to not re-validate on every keystroke, short enough to feel live.
    validation_delay_ms: int = 400


class SettingsStore:
    """Read and write ``AppPreferences`` and the window layout.

    Args:
        qsettings: where to persist; ``None`` uses the user's real settings.
    """

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._qsettings = qsettings or QSettings(ORGANISATION, APPLICATION)

    @classmethod
    def at_path(cls, path: str | Path) -> SettingsStore:
        """Return a store backed by an INI file (used by tests and ``--settings``)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def load(self) -> AppPreferences:
        """Return the saved preferences (defaults for what is missing or unreadable)."""
        defaults = AppPreferences()
        recent = self._qsettings.value("recent_projects", [])
        if isinstance(recent, str):  # QSettings returns a lone string for 1-item lists
            recent = [recent]
        values: dict[str, object] = {
            "recent_projects": tuple(str(p) for p in recent or ())
        }
        for field in ("max_recent", "autosave_seconds", "validation_delay_ms"):
            raw = self._qsettings.value(field, getattr(defaults, field))
            try:
                values[field] = max(1, int(raw))
            except (TypeError, ValueError):
                values[field] = getattr(defaults, field)
        return dataclasses.replace(defaults, **values)

    def save(self, preferences: AppPreferences) -> None:
        """Persist ``preferences``."""
        self._qsettings.setValue("recent_projects", list(preferences.recent_projects))
        self._qsettings.setValue("max_recent", preferences.max_recent)
        self._qsettings.setValue("autosave_seconds", preferences.autosave_seconds)
        self._qsettings.setValue("validation_delay_ms", preferences.validation_delay_ms)
        self._qsettings.sync()

    def add_recent(self, path: str | Path) -> AppPreferences:
        """Put ``path`` first in the recent projects; save and return the result."""
        preferences = self.load()
        resolved = str(Path(path).resolve())
        recent = [resolved, *(p for p in preferences.recent_projects if p != resolved)]
        updated = dataclasses.replace(
            preferences, recent_projects=tuple(recent[: preferences.max_recent])
        )
        self.save(updated)
        return updated

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        """Return the saved (geometry, dock/toolbar state), ``None`` where absent."""
        geometry = self._qsettings.value("window/geometry")
        state = self._qsettings.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        """Persist the window geometry and dock layout."""
        self._qsettings.setValue("window/geometry", geometry)
        self._qsettings.setValue("window/state", state)
        self._qsettings.sync()
