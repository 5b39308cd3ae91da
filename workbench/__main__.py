"""``python -m workbench [PROJECT]``: open the desktop window (``workbench app``)."""

from __future__ import annotations

import sys

from workbench.qt.app import main

if __name__ == "__main__":
    sys.exit(main())
