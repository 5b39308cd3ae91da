"""Every validation case on malformed input: positions, hints, fixes, no crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.project import ProjectLoadError, load_project
from workbench.core.validation import fix_command, validate

GOOD_INTENT = """- intent: greet
  examples: |
    - hello
    - hi
    - hey there
    - good morning
    - good evening
"""


def _nlu(body: str) -> str:
    return 'version: "3.1"\nnlu:\n' + GOOD_INTENT + body


def _codes(issues) -> list[str]:
    return [issue.code for issue in issues]


def _one(issues, code: str):
    found = [issue for issue in issues if issue.code == code]
    assert len(found) == 1, [i.format() for i in issues]
    return found[0]


def test_validation_bad_yaml_reports_line_and_rest_loads(make_project) -> None:
    root = make_project({
        "data/a.yml": _nlu(""),
        "data/b.yml": "nlu:\n- intent: x\n  examples: |\n    - a\n  bad: [unclosed\n",
    })
    project = load_project(root)
    issue = _one(project.load_issues, "bad-yaml")
    assert issue.severity == "error" and issue.path.name == "b.yml"
    assert issue.line in (5, 6)
    assert len(project.examples) == 5  # a.yml still loaded


@pytest.mark.parametrize("line", ['    - I want [ham]{"entity": topping}',
                                  '    - I want [ham]{"value": "x"}',
                                  '    - I want [ham]{"entity": "t", "colour": "red"}'])
def test_validation_bad_markup_is_an_error_with_line(make_project, line: str) -> None:
    root = make_project({"data/nlu.yml": _nlu("- intent: order\n  examples: |\n"
                                              "    - I want ham\n" + line + "\n")})
    project = load_project(root)
    issue = _one(validate(project), "bad-markup")
    assert (issue.severity, issue.line, issue.path.name) == ("error", 13, "nlu.yml")
    assert "I want" in issue.message and issue.hint
    assert [e.text for e in project.examples][-1] == "I want ham"  # bad line skipped


@pytest.mark.parametrize("markup", ["I want [pepperoni(topping)", "I want [](topping)",
                                    "I want [pepperoni] (topping)"])
def test_validation_suspicious_brackets_warn(make_project, markup: str) -> None:
    project = load_project(make_project({"data/nlu.yml": _nlu(
        f"- intent: order\n  examples: |\n    - {markup}\n    - plain\n")}))
    issue = _one(validate(project), "suspicious-markup")
    assert issue.severity == "warning" and issue.line == 12 and issue.example_index == 5


def test_validation_span_whitespace_has_trim_fix(make_project) -> None:
    project = load_project(make_project({"data/nlu.yml": _nlu(
        "- intent: order\n  examples: |\n    - I want [ pepperoni ](topping) now\n"
        "    - I want [ham](topping)\n")}))
    issue = _one(validate(project), "span-whitespace")
    assert issue.fix.kind == "trim_span"
    fix_command(project, issue.fix).redo(project)
    example = project.examples[issue.example_index]
    assert [example.text[s.start:s.end] for s in example.entities] == ["pepperoni"]
    assert "span-whitespace" not in _codes(validate(project))


def test_validation_span_inside_word(make_project) -> None:
    project = load_project(make_project({"data/nlu.yml": _nlu(
        "- intent: order\n  examples: |\n    - I want [pep](topping)peroni\n"
        "    - x y\n")}))
    assert _one(validate(project), "span-inside-word").severity == "warning"


def test_validation_duplicates_within_and_across_intents(make_project) -> None:
    project = load_project(make_project({"data/nlu.yml": _nlu(
        "- intent: bye\n  examples: |\n    - bye\n    - Bye\n    - hello\n")}))
    issues = validate(project)
    within = _one(issues, "duplicate-example")
    assert within.severity == "warning" and within.line == 13
    assert "line 12" in within.message
    across = _one(issues, "conflicting-example")
    assert across.severity == "error"
    assert "greet" in across.message and "bye" in across.message
    assert across.fix.kind == "remove_example"
    fix_command(project, across.fix).redo(project)
    assert "conflicting-example" not in _codes(validate(project))


def test_validation_too_few_examples(make_project) -> None:
    project = load_project(make_project({"data/nlu.yml": _nlu(
        "- intent: one\n  examples: |\n    - only one\n"
        "- intent: three\n  examples: |\n    - a\n    - b\n    - c\n"
        "- intent: none\n  examples: ''\n")}))
    issues = validate(project)
    errors = {i.message.split()[1] for i in issues if i.code == "too-few-examples"}
    assert errors == {"one", "none"}
    few = _one(issues, "few-examples")
    assert "three" in few.message and few.severity == "warning"
    assert "few-examples" not in _codes(validate(project, few_examples=3))
    assert "no-examples" in _codes(project.load_issues)


def test_validation_entity_missing_from_domain(make_project) -> None:
    files = {"data/nlu.yml": _nlu("- intent: order\n  examples: |\n"
                                  "    - a [ham](topping)\n"
                                  "    - a [coke](drink)\n    - a [cola](drink)\n")}
    no_domain = load_project(make_project(files))
    assert "entity-not-in-domain" not in _codes(validate(no_domain))
    files["domain.yml"] = "entities:\n  - drink\n"
    issue = _one(validate(load_project(make_project(files))), "entity-not-in-domain")
    assert "topping" in issue.message and issue.line == 12


def test_validation_missed_annotation_with_fix(make_project) -> None:
    project = load_project(make_project({"data/nlu.yml": _nlu(
        "- intent: order\n  examples: |\n    - a [pepperoni](topping) pizza\n"
        "    - one Pepperoni pizza please\n    - a [ham](topping) pizza\n")}))
    issue = _one(validate(project), "missed-annotation")
    assert issue.line == 13 and issue.fix.payload["start"] == 4
    fix_command(project, issue.fix).redo(project)
    spans = project.examples[issue.example_index].entities
    assert [(s.entity, s.value) for s in spans] == [("topping", "Pepperoni")]


@pytest.mark.parametrize(("body", "code"), [
    ("- intent: a/b/c\n  examples: |\n    - x\n", "bad-intent-name"),
    ("- intent: x\n  examples: |\n    - ok\n    not an example\n", "no-dash"),
    ("- just a string\n", "unknown-block"),
    ("- intent: x\n  synonym: y\n", "unknown-block"),
    ("- intent: x\n  examples:\n  - metadata: {a: 1}\n  - text: fine\n",
     "bad-example-item"),
    ("- intent: x\n  examples: 5\n", "bad-examples"),
    ("- regex: r\n  examples: |\n    - [unclosed\n", "bad-regex"),
    ("- intent: ''\n  examples: |\n    - x\n", "empty-name"),
    ("- intent: x\n  examples: |\n    -\n    - a\n", "empty-example"),
])
def test_validation_malformed_blocks(make_project, body: str, code: str) -> None:
    project = load_project(make_project({"data/nlu.yml": _nlu(body)}))
    issue = _one(validate(project), code)
    assert issue.path.name == "nlu.yml" and issue.line is not None and issue.hint
    assert len([e for e in project.examples if e.intent == "greet"]) == 5


def test_validation_nlu_not_a_list_and_unreadable_file(make_project) -> None:
    root = make_project({"data/a.yml": "nlu: 5\n", "data/ok.yml": _nlu("")})
    (root / "data" / "bin.yml").write_bytes(b"\xff\xfe\x00bad")
    project = load_project(root)
    codes = _codes(project.load_issues)
    assert "nlu-not-a-list" in codes and "unreadable-file" in codes
    assert len(project.examples) == 5


def test_validation_missing_path_raises_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectLoadError, match="no such file"):
        load_project(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ProjectLoadError, match="not a YAML file"):
        load_project(tmp_path / "notes.txt")


def test_validation_golden_project_findings() -> None:
    golden = Path(__file__).parents[1] / "data" / "golden_project"
    issues = validate(load_project(golden))
    assert [i for i in issues if i.severity == "error"] == []
    assert set(_codes(issues)) == {"few-examples", "rare-entity",
                                   "entity-not-in-domain", "missed-annotation"}
    for issue in issues:
        assert issue.format().startswith(str(issue.path))


def test_nlu_file_without_nlu_key_is_an_error_not_silence(make_project) -> None:
    root = make_project({
        "data/a.yml": _nlu(""),
        "data/forgot.yml": "- intent: greet\n  examples: |\n    - hi\n    - hello\n",
        "data/stories.yml": "- story: not nlu\n  steps: []\n",  # other lists: quiet
    })
    project = load_project(root)
    issue = _one(project.load_issues, "missing-nlu-key")
    assert issue.severity == "error" and issue.path.name == "forgot.yml"
    assert issue.line == 1 and "nlu:" in issue.hint
