"""The fast line reader must agree exactly with the ruamel path, or step aside."""

from __future__ import annotations

import dataclasses
import difflib
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core import project_files
from workbench.core.examples import Example
from workbench.core.locations import example_locations
from workbench.core.markup import parse_markup
from workbench.core.project import load_project
from workbench.core.project_edits import (
    add_example,
    remove_examples,
    rename_intent,
    replace_example,
    replace_resource,
)
from workbench.core.yaml_io.fast_nlu import fast_parse

REPO_ROOT = Path(__file__).resolve().parents[2]

SNIPPETS = {
    "plain": 'version: "3.1"\nnlu:\n- intent: a\n  examples: |\n'
             '    - x\n    - [y](e)\n',
    "comments": "# top\nnlu:\n# c\n- intent: a   # trailing\n  # inner\n  examples: |\n"
                "    - x\n    # not a comment, an example line\n    - y\n\n# end\n",
    "blank_lines_inside": "nlu:\n- intent: a\n  examples: |\n    - x\n\n    - y\n\n\n"
                          "- intent: b\n  examples: |-\n    - z\n",
    "quoted_names": "nlu:\n- intent: 'it''s'\n  examples: |\n    - x\n"
                    "- synonym: \"big one\"\n  examples: |\n    - large\n",
    "indented_items": "nlu:\n  - intent: a\n    examples: |\n      - x\n"
                      "      -   spaced\n",
    "deeper_lines": "nlu:\n- intent: a\n  examples: |\n    - x\n      - continued\n"
                    "    - y\n",
    "number_name": "nlu:\n- intent: 123\n  examples: |\n    - x\n",
    "bool_name": "nlu:\n- intent: yes\n  examples: |\n    - x\n",
    "metadata": "nlu:\n- intent: a\n  metadata: {a: 1}\n  examples: |\n    - x\n",
    "list_examples": "nlu:\n- intent: a\n  examples:\n  - text: x\n",
    "keep_chomp": "nlu:\n- intent: a\n  examples: |+\n    - x\n\n",
    "responses": "nlu:\n- intent: a\n  examples: |\n    - x\nresponses:\n"
                 "  utter_a:\n  - text: hi\n",
    "bad_markup": 'nlu:\n- intent: a\n  examples: |\n    - [x]{"entity": bad}\n'
                  '    - ok\n',
    "no_dash": "nlu:\n- intent: a\n  examples: |\n    - x\n    y\n",
    "two_slashes": "nlu:\n- intent: a/b/c\n  examples: |\n    - x\n",
    "empty_item": "nlu:\n- intent: a\n  examples: |\n    -\n    - x\n",
    "unicode": "nlu:\n- intent: ünï\n  examples: |\n    - [Zürich](city) 🍕\n",
    "colon_in_example": "nlu:\n- intent: a\n  examples: |\n"
                        "    - time: 10:30 # not a comment\n",
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
    assert fast.synonyms == slow.synonyms
    assert (fast.regexes, fast.lookups) == (slow.regexes, slow.lookups)
    assert fast.load_issues == slow.load_issues


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_fast_reader_agrees_with_ruamel_on_snippets(tmp_path: Path, monkeypatch,
                                                    name: str) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(SNIPPETS[name], encoding="utf-8")
    fast, slow = _load_both(path, monkeypatch)
    _assert_same(fast, slow)


def test_fast_reader_takes_the_plain_shape_and_declines_the_rest() -> None:
    taken = {name for name, text in SNIPPETS.items() if fast_parse(text) is not None}
    expected = {"plain", "comments", "blank_lines_inside", "quoted_names", "unicode"}
    assert expected <= taken
    assert not taken & {"number_name", "bool_name", "metadata", "list_examples",
                        "keep_chomp", "responses", "bad_yaml"}


def test_fast_reader_agrees_on_datasets_and_samples(datasets_dir: Path,
                                                    monkeypatch) -> None:
    samples = sorted((REPO_ROOT / "sample_projects").glob("*"))
    paths = sorted(datasets_dir.rglob("*.yml")) + samples
    snips = datasets_dir / "snips" / "train.yml"
    assert fast_parse(snips.read_text(encoding="utf-8"))
    for path in paths:
        if path.is_dir() or path.suffix == ".yml":
            fast, slow = _load_both(path, monkeypatch)
            _assert_same(fast, slow)


def test_fast_loaded_file_edits_with_minimal_diff(datasets_dir: Path,
                                                  tmp_path: Path) -> None:
    source = datasets_dir / "financial_demo" / "train.yml"
    path = tmp_path / "train.yml"
    shutil.copyfile(source, path)  # not the read-only mode
    project = load_project(path)
    assert project.files[0].fast
    index = next(i for i, e in enumerate(project.examples) if e.text == "yup")
    example = project.examples[index]
    replace_example(project, index, dataclasses.replace(example, text="yup!"))
    project.save()
    diff = difflib.unified_diff(source.read_text().splitlines(),
                                path.read_text().splitlines(), lineterm="", n=0)
    changed = [line for line in diff
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-    - yup", "+    - yup!"]
    assert project.files[0].fast  # written by line replacement, no ruamel round trip
    add_example(project, Example("yes yes", "affirm"))  # shifts every later line
    project.save()
    lines = path.read_text().splitlines()
    places = example_locations(project)
    for example, place in zip(project.examples, places, strict=True):
        assert parse_markup(lines[place.line - 1].strip()[2:])[0] == example.text


def _edit(project) -> None:
    """The same mix of edits for both readers: text, add, remove, rename, synonym."""
    from workbench.core.examples import Example, Synonym

    index = next(i for i, e in enumerate(project.examples) if e.text == "yup")
    example = project.examples[index]
    replace_example(project, index, dataclasses.replace(example, text="yup!"))
    add_example(project, Example("hey hey", "greet"))
    remove_examples(project, project.examples_of("deny")[:2])
    rename_intent(project, "thankyou", "thanks")
    synonym = project.synonyms[0]
    replace_resource(project, "synonyms", 0,
                     Synonym(synonym.value, (*synonym.examples, "extra")))


@pytest.mark.parametrize("rounds", [1, 2])
def test_text_patch_save_equals_ruamel_save(datasets_dir: Path, tmp_path: Path,
                                            monkeypatch, rounds: int) -> None:
    source = datasets_dir / "financial_demo" / "train.yml"
    results = []
    for fast in (True, False):
        monkeypatch.setattr(project_files, "USE_FAST_READER", fast)
        path = tmp_path / f"{fast}.yml"
        shutil.copyfile(source, path)  # not the read-only mode
        project = load_project(path)
        for _ in range(rounds):  # a second round edits an already patched file
            _edit(project) if _ == 0 else remove_examples(project, [0])
            assert project.save() == [path]
        assert project.files[0].fast is fast
        results.append(path.read_bytes())
        again = load_project(path)
        assert [e.text for e in again.examples] == [e.text for e in project.examples]
    assert results[0] == results[1]


# Pools of lines to build documents from; valid shapes repeated so that the fast
# reader accepts a good share of the documents (odd ones test that it steps aside).
_HEADS = 4 * ["- intent: greet", "- synonym: big"] + [
    "- intent: 'it''s'", '- intent: "q a"', "- intent: a # c", "- regex: zip",
    "- lookup: city", "- intent: yes", "- intent: a: b", "- intent: faq/x",
    "  - intent: greet", "-  intent: b"]
_KEYS = 6 * ["  examples: |"] + 2 * ["  examples: |-"] + [
    "  examples: |  # c", "  examples: |2", "   examples: |", "  examples: >",
    "  metadata: x", "  examples:"]
_BODY = 8 * ["    - hello"] + 2 * ["", "    - [x](e) # hash"] + [
    "      - deeper", "    -", "    plain", "   ", "  # less indented comment",
    "    # literal comment line", "\t- tab", "     - odd indent", "    - 'quoted'",
    "    - x: y"]
_TOP = 3 * ['version: "3.1"', ""] + [
    "version: 3.1", "# top comment", "responses:", "  utter_a:", "foo: bar baz",
    "foo: [a]"]


@st.composite
def nlu_documents(draw) -> str:
    lines = draw(st.lists(st.sampled_from(_TOP), max_size=2)) + ["nlu:"]
    for _ in range(draw(st.integers(1, 4))):
        lines.append(draw(st.sampled_from(_HEADS)))
        lines.extend(draw(st.lists(st.sampled_from(["", "  # c"]), max_size=1)))
        lines.append(draw(st.sampled_from(_KEYS)))
        lines.extend(draw(st.lists(st.sampled_from(_BODY), min_size=1, max_size=5)))
    lines += draw(st.lists(st.sampled_from(_TOP), max_size=2))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "\n", "", "\n\n"]))


@settings(max_examples=400, deadline=None)
@given(nlu_documents())
def test_fast_reader_property_never_disagrees_with_ruamel(text: str) -> None:
    from workbench.core.yaml_io.nlu import to_plain
    from workbench.core.yaml_io.roundtrip import YamlLoadError, YamlStyle, load_yaml

    fast = fast_parse(text)
    if fast is None:
        return
    try:
        real = load_yaml(text, YamlStyle())
    except YamlLoadError:
        pytest.fail(f"fast reader accepted invalid YAML:\n{text}")
    assert to_plain(real) == to_plain(fast), text


_SMALL = """# small file
version: "3.1"
nlu:
- intent: greet   # hello
  examples: |
    - hi
    - hello [there](who)

    - hey
- intent: 'bye'
  examples: |-
    - bye
    - see you
- synonym: big
  examples: |
    - large
    - huge
"""

_OPS = st.lists(st.tuples(st.sampled_from(["edit", "add", "remove", "rename", "syn"]),
                          st.integers(0, 10),
                          st.sampled_from(["x y", "ok", "good day"])),
                min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(_OPS)
def test_text_patch_property_same_bytes_as_ruamel(tmp_path_factory, ops) -> None:
    from workbench.core.examples import Example, Synonym

    folder = tmp_path_factory.mktemp("patch")
    results = []
    for fast in (True, False):
        project_files.USE_FAST_READER = fast
        try:
            path = folder / f"{fast}.yml"
            path.write_text(_SMALL, encoding="utf-8")
            project = load_project(path)
        finally:
            project_files.USE_FAST_READER = True
        for op, number, text in ops:
            count = len(project.examples)
            if op == "edit" and count:
                index = number % count
                intent = project.examples[index].intent
                replace_example(project, index, Example(text, intent))
            elif op == "add":
                add_example(project, Example(text, project.intents[number % 2]))
            elif op == "remove" and count > 1:
                remove_examples(project, [number % count])
            elif op == "rename" and f"r{number}" not in project.intents:
                rename_intent(project, project.intents[number % 2], f"r{number}")
            elif op == "syn":
                old = project.synonyms[0]
                replace_resource(project, "synonyms", 0,
                                 Synonym(old.value, (*old.examples[1:], text)))
        project.save()
        results.append(path.read_text(encoding="utf-8"))
    assert results[0] == results[1]
