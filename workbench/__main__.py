"""``python -m workbench [PROJECT]``: open the desktop window (``workbench app``)."""

from __future__ import annotations

import sys

from workbench.cli.app_command import main

if __name__ == "__main__":
    sys.exit(main())
