"""The code base passes ``ruff check`` (rules: [tool.ruff.lint] in pyproject.toml).

ruff comes with the ``test`` extra (pinned in constraints.txt), so it sits next to the
interpreter that runs the tests; ``python -m ruff`` is the fallback.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["workbench", "tests", "benchmarks", "scripts"]


def _ruff_command() -> list[str]:
    """The ruff installed with the test interpreter (never some other ruff on PATH)."""
    bin_dir = Path(sys.executable).parent
    for name in ("ruff", "ruff.exe"):
        candidate = bin_dir / name
        if candidate.is_file():
            return [str(candidate)]
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    pytest.fail("ruff is not installed next to the test interpreter; install the "
                "test extra: bash scripts/setup-env.sh (or pip install -c "
                "constraints.txt -e '.[test]')")


def test_ruff_check_passes() -> None:
    command = [*_ruff_command(), "check", "--no-cache", "--output-format", "concise",
               *CHECKED]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        pytest.fail(f"`ruff check {' '.join(CHECKED)}` reported problems "
                    f"(fix them, or run `.venv/bin/ruff check --fix` on your own "
                    f"files):\n{result.stdout}{result.stderr}", pytrace=False)
