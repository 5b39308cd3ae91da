"""The copy the validation thread checks finds what the project itself would."""

from __future__ import annotations

from pathlib import Path

from workbench.core.examples import Example
from workbench.core.project import load_project
from workbench.core.project_edits import add_example
from workbench.core.validation import validate
from workbench.core.validation_input import ValidationInput

PIZZA = Path(__file__).resolve().parents[2] / "sample_projects" / "pizza"


def test_validating_the_copy_equals_validating_the_project() -> None:
    project = load_project(PIZZA)
    add_example(project, Example("hello", "goodbye"))  # a conflicting example
    copy = ValidationInput.from_project(project)
    issues = validate(copy)  # type: ignore[arg-type]
    assert issues == validate(project)
    assert any(issue.code == "conflicting-example" for issue in issues)
    add_example(project, Example("later", "greet"))  # the copy does not change
    assert len(copy.examples) == len(project.examples) - 1
