"""Hostile YAML: alias bombs, deep nesting, huge numbers, odd top levels, bad bytes.

Each must end quickly in a load issue naming the file and line, with the rest of the
project loaded, and the file that failed must never be written.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.core.examples import Example
from workbench.core.project import load_project
from workbench.core.project_edits import add_example
from workbench.core.yaml_io.limits import MAX_ALIAS_NODES, MAX_DEPTH
from workbench.core.yaml_io.roundtrip import YamlLoadError, detect_style, load_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
NLU = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n'
OTHER = 'version: "3.1"\nnlu:\n- intent: bye\n  examples: |\n    - bye\n    - ciao\n'
CONFIG = "language: en\npipeline:\n- name: WhitespaceTokenizer\n"
# "Billion laughs": ten levels of nine aliases each, about 1 KB, 10^9 values expanded.
BOMB = "\n".join(["a0: &a0 [lol]"] + [
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)])
BOUND_S = 10.0  # a hang guard, not a benchmark: each case takes well under a second


def _indented(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.split("\n"))


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"config.yml": CONFIG, "data/nlu.yml": NLU,
                       "data/other.yml": OTHER, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _load(root: Path):
    started = time.perf_counter()
    project = load_project(root)
    assert time.perf_counter() - started < BOUND_S
    return project


def _issue(project, code: str, name: str):
    found = [i for i in project.load_issues if i.code == code and i.path.name == name]
    assert len(found) == 1, [(i.code, i.path, i.message) for i in project.load_issues]
    return found[0]


@pytest.mark.parametrize("where", ["metadata", "unrelated_key", "config"])
def test_alias_bomb_is_refused_at_load_with_a_line(tmp_path: Path, where: str) -> None:
    files = {
        "metadata": {"data/nlu.yml": NLU.replace(
            "- intent: greet\n", "- intent: greet\n  metadata:\n" + _indented(BOMB, 4)
            + "\n")},
        "unrelated_key": {"data/nlu.yml": NLU + "unrelated:\n" + _indented(BOMB, 2)
                          + "\n"},
        "config": {"config.yml": CONFIG + "bomb:\n" + _indented(BOMB, 2) + "\n"},
    }[where]
    project = _load(_project(tmp_path, files))
    name = "config.yml" if where == "config" else "nlu.yml"
    issue = _issue(project, "bad-yaml", name)
    assert issue.severity == "error" and issue.line is not None and issue.line > 2
    assert "aliases" in issue.message and str(MAX_ALIAS_NODES) in issue.message
    assert "bye" in [e.text for e in project.examples]  # the rest of the project
    if where != "config":
        assert tmp_path / "data" / "nlu.yml" in project.failed_paths


def test_save_with_a_bomb_file_never_touches_it(tmp_path: Path) -> None:
    bombed = NLU + "unrelated:\n" + _indented(BOMB, 2) + "\n"
    root = _project(tmp_path, {"data/nlu.yml": bombed})
    project = _load(root)
    add_example(project, Example("see you", "bye"))
    written = project.save()
    assert written == [root / "data" / "other.yml"]
    assert (root / "data" / "nlu.yml").read_text(encoding="utf-8") == bombed
    assert "see you" in [e.text for e in load_project(root).examples]


def test_data_validate_reports_a_bomb_and_exits_1_without_traceback(
        tmp_path: Path) -> None:
    root = _project(tmp_path, {
        "data/nlu.yml": NLU.replace(
            "- intent: greet\n", "- intent: greet\n  metadata:\n" + _indented(BOMB, 4)
            + "\n"),
        "config.yml": CONFIG + "bomb:\n" + _indented(BOMB, 2) + "\n"})
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys; from workbench.cli.main import main; sys.exit(main())",
         "data", "validate", str(root)],
        capture_output=True, text=True, timeout=60, env=env, cwd=REPO_ROOT)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    for name in ("data/nlu.yml", "config.yml"):
        assert re.search(rf"{root / name}:\d+: error: invalid YAML: aliases", output)


@pytest.mark.parametrize("nesting", [
    pytest.param("[" * 5000 + "]" * 5000, id="flow-5000"),
    pytest.param("{a: " * 3000 + "1" + "}" * 3000, id="flow-map-3000"),
    pytest.param("\n" + "".join(" " * (4 + 2 * i) + "- \n" for i in range(400)),
                 id="block-400"),
])
def test_deep_nesting_is_refused_at_load(tmp_path: Path, nesting: str) -> None:
    text = NLU.replace("- intent: greet\n", f"- intent: greet\n  metadata: {nesting}\n")
    project = _load(_project(tmp_path, {"data/nlu.yml": text}))
    issue = _issue(project, "bad-yaml", "nlu.yml")
    assert f"more than {MAX_DEPTH} levels" in issue.message and issue.line >= 4


def test_alias_chains_count_towards_depth_and_recursion_is_refused() -> None:
    chain = "\n".join(["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]"
                                         for i in range(1, MAX_DEPTH + 5)])
    recursive = "a: &x [1, *x]\n"
    for text, words in ((chain, "levels deep"), (recursive, "recursive")):
        with pytest.raises(YamlLoadError) as caught:
            load_yaml(text, detect_style(text))
        assert words in caught.value.message and caught.value.line is not None


def test_real_anchors_and_nesting_within_the_limits_still_load(tmp_path: Path) -> None:
    config = ("defaults: &d {epochs: 5, seed: 1}\npipeline:\n- name: DIETClassifier\n"
              "  <<: *d\n- name: ResponseSelector\n  settings: *d\n"
              "nested: " + "[" * 50 + "]" * 50 + "\n")
    project = _load(_project(tmp_path, {"config.yml": config}))
    assert not project.load_issues
    assert project.config["pipeline"][0]["epochs"] == 5
    assert project.config["pipeline"][1]["settings"] == {"epochs": 5, "seed": 1}


@pytest.mark.parametrize("value, words", [
    ("1" * 100_000, "4300 digits"),
    ("2001-13-45", "month must be in 1..12"),
])
def test_values_python_cannot_build_are_issues_with_a_line(
        tmp_path: Path, value: str, words: str) -> None:
    text = NLU.replace("- intent: greet\n", f"- intent: greet\n  metadata: {value}\n")
    project = _load(_project(tmp_path, {"data/nlu.yml": text,
                                        "config.yml": CONFIG + f"big: {value}\n"}))
    for name, line in (("nlu.yml", 4), ("config.yml", 4)):
        issue = _issue(project, "bad-yaml", name)
        assert issue.line == line and words in issue.message
        assert "quotes" in issue.message


def test_long_digit_strings_in_examples_are_text(tmp_path: Path) -> None:
    digits = "9" * 20_000
    project = _load(_project(tmp_path, {"data/nlu.yml": NLU + f"    - {digits}\n"}))
    assert digits in [e.text for e in project.examples] and not project.load_issues


@pytest.mark.parametrize("text, severity, failed", [
    ("just a sentence\n", "error", True),
    ("42\n", "error", True),
    ("- one\n- two\n", "warning", False),
])
def test_data_file_whose_top_level_is_not_a_mapping_is_reported(
        tmp_path: Path, text: str, severity: str, failed: bool) -> None:
    root = _project(tmp_path, {"data/odd.yml": text})
    project = _load(root)
    issue = _issue(project, "not-a-mapping", "odd.yml")
    assert issue.severity == severity and issue.line == 1
    assert "top level" in issue.message and "nlu:" in issue.hint
    assert (root / "data" / "odd.yml" in project.failed_paths) == failed
    assert {"hi", "bye"} <= {e.text for e in project.examples}


def test_domain_and_config_with_a_scalar_top_level_are_reported(tmp_path: Path) -> None:
    project = _load(_project(tmp_path, {"domain.yml": "entities\n",
                                        "config.yml": "pipeline\n"}))
    assert _issue(project, "not-a-mapping", "domain.yml").line == 1
    assert _issue(project, "bad-config", "config.yml").line == 1
    assert project.domain_entities == set() and project.config is None


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\ufffe",
                                       "\uffff"])
def test_raw_forbidden_character_gives_line_and_column(tmp_path: Path,
                                                       character: str) -> None:
    text = NLU.replace("hello", f"hel{character}lo")
    project = _load(_project(tmp_path, {"data/nlu.yml": text}))
    issue = _issue(project, "bad-yaml", "nlu.yml")
    assert issue.line == 6 and "line 6, column 10" in issue.message
    assert f"U+{ord(character):04X}" in issue.message
    assert [e.text for e in project.examples] == ["bye", "ciao"]


def test_bytes_that_are_not_utf8_give_the_line(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    # a lone surrogate, as written by a broken encoder
    (root / "data" / "nlu.yml").write_bytes(NLU.replace("hello", "hel\udc80lo").encode(
        "utf-8", "surrogatepass"))
    project = _load(root)
    issue = _issue(project, "unreadable-file", "nlu.yml")
    assert issue.line == 6 and "UTF-8" in issue.message
    assert root / "data" / "nlu.yml" in project.failed_paths
