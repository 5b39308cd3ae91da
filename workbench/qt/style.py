"""Load the app style sheet from ``resources/styles`` (plain QSS, no code)."""

from __future__ import annotations

from pathlib import Path

STYLE_FILE = Path(__file__).resolve().parents[
    2
] / "resources" / "styles" / "workbench.qss"


def load_stylesheet(path: Path = STYLE_FILE) -> str:
    """Return the style sheet text ("" if the file is missing: Qt's default look)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
