"""Load the app style sheet from ``resources/styles`` (plain QSS, no code).

From a source checkout (also an editable install) the file is the repository's
``resources/styles/workbench.qss``; a wheel installs the same file under
``<prefix>/share/workbench/styles`` (``[tool.setuptools.data-files]`` in
pyproject.toml).
"""

from __future__ import annotations

import sys
from pathlib import Path

_NAME = "workbench.qss"
SOURCE_STYLE_FILE = Path(__file__).resolve().parents[2] / "resources" / "styles" / _NAME
INSTALLED_STYLE_FILE = Path(sys.prefix) / "share" / "workbench" / "styles" / _NAME


def style_file(candidates: tuple[Path, ...] = (SOURCE_STYLE_FILE, INSTALLED_STYLE_FILE)
               ) -> Path | None:
    """The first style sheet that exists (source checkout first), else None."""
    return next((path for path in candidates if path.is_file()), None)


def load_stylesheet(path: Path | None = None) -> str:
    """Return the style sheet text ("" if there is none: Qt's default look)."""
    path = path if path is not None else style_file()
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
