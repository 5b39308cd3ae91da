"""The desktop app (PySide6 + pyqtgraph): the only package that imports Qt.

pyqtgraph prefers PyQt6 when several bindings are installed; pin it to PySide6 before
any module here imports it. torch is never imported at module level in this package.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
