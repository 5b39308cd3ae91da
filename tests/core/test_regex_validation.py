"""``data validate`` names slow and broken regexes with file and line (issue 9 #17)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workbench.core.project import load_project
from workbench.core.validation import validate

NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi
- regex: fine
  examples: |
    - \\b[A-Z]{2}-\\d{4}\\b
    - \\d+
- regex: evil
  examples: |
    - (a+)+$
    - (x+x+)+y
    - (a|aa)+$
    - (.*a){20}
    - [unclosed
- lookup: city
  examples: |
    - Berlin
    - New York
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(NLU, encoding="utf-8")
    return tmp_path


def test_validate_reports_each_regex_with_its_line(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path))
    found = {(i.code, i.severity, i.line): i for i in validate(project)
             if i.code in ("slow-regex", "bad-regex")}
    assert set(found) == {
        ("slow-regex", "error", 13), ("slow-regex", "error", 14),
        ("slow-regex", "error", 15), ("slow-regex", "warning", 16),
        ("bad-regex", "error", 17)}
    assert "'(a+)+$'" in found[("slow-regex", "error", 13)].message
    assert "time limit" in found[("slow-regex", "warning", 16)].message
    assert all(i.path == tmp_path / "data" / "nlu.yml" for i in found.values())


def test_ordinary_patterns_and_the_sample_project_are_clean() -> None:
    root = Path(__file__).resolve().parents[2]
    project = load_project(root / "sample_projects" / "pizza")
    assert not [i for i in validate(project) if i.code in ("slow-regex", "bad-regex")]


def test_cli_names_the_pattern_file_and_line(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = subprocess.run([sys.executable, "-m", "workbench.cli.main", "data",
                             "validate", str(root)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert (
        f"{root / 'data' / 'nlu.yml'}:13: error: regex evil: '(a+)+$'" in result.stdout
    )
    assert "Traceback" not in result.stderr and "gave up" not in result.stderr
