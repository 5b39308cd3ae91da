"""Colours for entity types: distinct for the first dozen, stable in a session."""

from __future__ import annotations

from PySide6.QtGui import QColor

# Light backgrounds that keep black text readable (ColorBrewer Set3 + Pastel1).
_COLOURS = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
    "#fbb4ae", "#b3cde3", "#decbe4", "#fed9a6",
)  # fmt: skip


class EntityPalette:
    """Assign each entity type a colour, in order of first request."""

    def __init__(self) -> None:
        self._assigned: dict[str, QColor] = {}

    def colour(self, entity: str) -> QColor:
        """Return the background colour of ``entity`` (assigned on first use)."""
        colour = self._assigned.get(entity)
        if colour is None:
            colour = QColor(_COLOURS[len(self._assigned) % len(_COLOURS)])
            self._assigned[entity] = colour
        return colour

    def prime(self, entities: list[str]) -> None:
        """Assign colours to ``entities`` in the given (e.g. sorted) order."""
        for entity in entities:
            self.colour(entity)
