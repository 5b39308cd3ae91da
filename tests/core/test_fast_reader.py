"""The fast line reader must agree exactly with the ruamel path, or step aside."""

from __future__ import annotations

import dataclasses
import difflib
import shutil
from pathlib import Path

import pytest

from workbench.core import project_files
from workbench.core.project import load_project
from workbench.core.yaml_io.fast_nlu import fast_parse

REPO_ROOT = Path(__file__).resolve().parents[2]

SNIPPETS = {
    "plain": 'version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - x\n    - [y](e)\n',
    "comments": "# top\nnlu:\n# c\n- intent: a   # trailing\n  # inner\n  examples: |\n"
                "    - x\n    # not a comment, an example line\n    - y\n\n# end\n",
    "blank_lines_inside": "nlu:\n- intent: a\n  examples: |\n    - x\n\n    - y\n\n\n- intent: b\n"
                          "  examples: |-\n    - z\n",
    "quoted_names": "nlu:\n- intent: 'it''s'\n  examples: |\n    - x\n- synonym: \"big one\"\n"
                    "  examples: |\n    - large\n",
    "indented_items": "nlu:\n  - intent: a\n    examples: |\n      - x\n      -   spaced\n",
    "deeper_lines": "nlu:\n- intent: a\n  examples: |\n    - x\n      - continued\n    - y\n",
    "number_name": "nlu:\n- intent: 123\n  examples: |\n    - x\n",
    "bool_name": "nlu:\n- intent: yes\n  examples: |\n    - x\n",
    "metadata": "nlu:\n- intent: a\n  metadata: {a: 1}\n  examples: |\n    - x\n",
    "list_examples": "nlu:\n- intent: a\n  examples:\n  - text: x\n",
    "keep_chomp": "nlu:\n- intent: a\n  examples: |+\n    - x\n\n",
    "responses": "nlu:\n- intent: a\n  examples: |\n    - x\nresponses:\n  utter_a:\n  - text: hi\n",
    "bad_markup": 'nlu:\n- intent: a\n  examples: |\n    - [x]{"entity": bad}\n    - ok\n',
    "no_dash": "nlu:\n- intent: a\n  examples: |\n    - x\n    y\n",
    "two_slashes": "nlu:\n- intent: a/b/c\n  examples: |\n    - x\n",
    "empty_item": "nlu:\n- intent: a\n  examples: |\n    -\n    - x\n",
    "unicode": "nlu:\n- intent: ünï\n  examples: |\n    - [Zürich](city) 🍕\n",
    "colon_in_example": "nlu:\n- intent: a\n  examples: |\n    - time: 10:30 # not a comment\n",
    "version_after": "nlu:\n- intent: a\n  examples: |\n    - x\nversion: '3.1'\n",
    "no_final_newline": "nlu:\n- intent: a\n  examples: |\n    - x\n    - y",
    "bad_yaml": "nlu:\n- intent: a\n  examples: |\n    - x\n  - intent: b\n",
    "lookup_regex": "nlu:\n- regex: zip\n  examples: |\n    - \\d{5}\n- lookup: t\n"
                    "  examples: |\n    - ham\n",
}


def _load_both(path: Path, monkeypatch):
    monkeypatch.setattr(project_files, "USE_FAST_READER", True)
    fast = load_project(path)
    monkeypatch.setattr(project_files, "USE_FAST_READER", False)
    slow = load_project(path)
    return fast, slow


def _assert_same(fast, slow) -> None:
    assert list(fast.examples) == list(slow.examples)
    assert fast.intents == slow.intents
    assert (fast.synonyms, fast.regexes, fast.lookups) == (slow.synonyms, slow.regexes, slow.lookups)
    assert fast.load_issues == slow.load_issues


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_fast_reader_agrees_with_ruamel_on_snippets(tmp_path: Path, monkeypatch, name: str) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(SNIPPETS[name], encoding="utf-8")
    fast, slow = _load_both(path, monkeypatch)
    _assert_same(fast, slow)


def test_fast_reader_takes_the_plain_shape_and_declines_the_rest() -> None:
    taken = {name for name, text in SNIPPETS.items() if fast_parse(text) is not None}
    assert {"plain", "comments", "blank_lines_inside", "quoted_names", "unicode"} <= taken
    assert not taken & {"number_name", "bool_name", "metadata", "list_examples", "keep_chomp",
                        "responses", "bad_yaml"}


def test_fast_reader_agrees_on_datasets_and_samples(datasets_dir: Path, monkeypatch) -> None:
    paths = sorted(datasets_dir.rglob("*.yml")) + sorted((REPO_ROOT / "sample_projects").glob("*"))
    assert fast_parse((datasets_dir / "snips" / "train.yml").read_text(encoding="utf-8"))
    for path in paths:
        if path.is_dir() or path.suffix == ".yml":
            fast, slow = _load_both(path, monkeypatch)
            _assert_same(fast, slow)


def test_fast_loaded_file_edits_with_minimal_diff(datasets_dir: Path, tmp_path: Path) -> None:
    source = datasets_dir / "financial_demo" / "train.yml"
    path = tmp_path / "train.yml"
    shutil.copy(source, path)
    project = load_project(path)
    assert project.files[0].fast
    index = next(i for i, e in enumerate(project.examples) if e.text == "yup")
    project.replace_example(index, dataclasses.replace(project.examples[index], text="yup!"))
    project.save()
    changed = [line for line in difflib.unified_diff(source.read_text().splitlines(),
                                                      path.read_text().splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-    - yup", "+    - yup!"]
    assert project.files[0].fast  # written by line replacement, no ruamel round trip


def _edit(project) -> None:
    """The same mix of edits for both readers: text, add, remove, rename, synonym."""
    from workbench.core.examples import Example, Synonym

    index = next(i for i, e in enumerate(project.examples) if e.text == "yup")
    project.replace_example(index, dataclasses.replace(project.examples[index], text="yup!"))
    project.add_example(Example("hey hey", "greet"))
    project.remove_examples(project.examples_of("deny")[:2])
    project.rename_intent("thankyou", "thanks")
    synonym = project.synonyms[0]
    project.replace_resource("synonyms", 0,
                             Synonym(synonym.value, (*synonym.examples, "extra")))


@pytest.mark.parametrize("rounds", [1, 2])
def test_text_patch_save_equals_ruamel_save(datasets_dir: Path, tmp_path: Path,
                                            monkeypatch, rounds: int) -> None:
    source = datasets_dir / "financial_demo" / "train.yml"
    results = []
    for fast in (True, False):
        monkeypatch.setattr(project_files, "USE_FAST_READER", fast)
        path = tmp_path / f"{fast}.yml"
        shutil.copy(source, path)
        project = load_project(path)
        for _ in range(rounds):  # a second round edits an already patched file
            _edit(project) if _ == 0 else project.remove_examples([0])
            assert project.save() == [path]
        assert project.files[0].fast is fast
        results.append(path.read_bytes())
        again = load_project(path)
        assert [e.text for e in again.examples] == [e.text for e in project.examples]
    assert results[0] == results[1]
