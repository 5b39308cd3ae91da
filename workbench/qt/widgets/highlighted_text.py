"""HighlightedText: a parsed message with its predicted entities marked in place."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from workbench.nlu.predictor import EntityPrediction
from workbench.qt.palette import EntityPalette


def entity_caption(entity: EntityPrediction) -> str:
    """``size.role #group = large 93%``: type, role, group, value and confidence."""
    role = f".{entity.role}" if entity.role else ""
    group = f" #{entity.group}" if entity.group else ""
    value = f" = {entity.value}" if entity.value != entity.text else ""
    return f"{entity.entity}{role}{group}{value} {entity.confidence:.0%}"


def highlighted_html(text: str, entities: Sequence[EntityPrediction],
                     palette: EntityPalette) -> str:
    """``text`` as HTML, each entity on its colour with its caption after it.

    Entities outside the text or overlapping an earlier one are left out.
    """
    parts: list[str] = []
    position = 0
    for entity in sorted(entities, key=lambda e: (e.start, e.end)):
        if not position <= entity.start < entity.end <= len(text):
            continue
        parts.append(html.escape(text[position:entity.start]))
        colour = palette.colour(entity.entity)
        background = colour.name()
        parts.append(
            f'<span style="background-color:{background}; font-weight:600">'
            f"{html.escape(text[entity.start:entity.end])}</span>"
            f'<sub style="color:{colour.darker(160).name()}">'
            f"&nbsp;{html.escape(entity_caption(entity))}</sub>")
        position = entity.end
    parts.append(html.escape(text[position:]))
    return "<span style='white-space:pre-wrap'>" + "".join(parts) + "</span>"


class HighlightedText(QLabel):
    """Show a text with entity highlights (plain, selectable rich text)."""

    def __init__(self, palette: EntityPalette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HighlightedText")
        self._palette = palette
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.setFont(font)

    def show_text(self, text: str, entities: Sequence[EntityPrediction]) -> None:
        """Show ``text`` with ``entities`` marked."""
        self.setText(highlighted_html(text, entities, self._palette) if text else "")
