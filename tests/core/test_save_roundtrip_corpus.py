"""Round trips over a corpus of block shapes: every edit reloads to what was in memory,
lines outside the edited block keep their bytes, a no-op save changes nothing.

Shapes: null/missing/[]/int/list examples, ``|``, ``|-``, ``|+``, ``|2``, ``>``,
quoted scalars and names, flow style, comments everywhere, ``%YAML``, ``---``,
``...``, CRLF, BOM.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
from pathlib import Path

import pytest

from workbench.core.examples import Example
from workbench.core.project import Project, load_project
from workbench.core.project_edits import (
    add_example,
    remove_examples,
    remove_intent,
    rename_intent,
    replace_example,
)

# (name, text): the name is the intent the block holds (None: a resource block).
BLOCKS: list[tuple[str | None, str]] = [
    ("t_plain", "- intent: t_plain\n  examples: |\n    - hello\n    - hi there\n"),
    ("t_strip", "- intent: t_strip\n  examples: |-\n    - bye\n    - see you\n"),
    ("t_keep", "- intent: t_keep\n  examples: |+\n    - yes\n    - sure\n\n"),
    ("t_ind2", "- intent: t_ind2\n  examples: |2\n    - one\n    - two\n"),
    ("t_ind2s", "- intent: t_ind2s\n  examples: |2-\n    - uno\n    - dos\n"),
    ("t_ind4", "- intent: t_ind4\n  examples: |4\n      - eins\n      - zwei\n"),
    (
        "t_quoted",
        "- intent: 't_quoted'   # quoted name\n  examples: \"- ja\\n- jo\\n\"\n",
    ),
    (
        "t_list",
        "- intent: t_list\n  examples:\n  - text: list one\n"
        "    metadata:\n      k: v\n  - text: list two\n",
    ),
    ("t_flow", '- {intent: t_flow, examples: "- flow one\\n- flow two\\n"}\n'),
    (
        "t_comment",
        "- intent: t_comment\n  # inside the block\n  examples: |\n"
        "    - commented   \n    - more   # not a comment\n",
    ),
    ("s_null", "- intent: s_null\n  examples:\n"),
    ("s_missing", "- intent: s_missing\n"),
    ("s_empty_list", "- intent: s_empty_list\n  examples: []\n"),
    ("s_int", "- intent: s_int\n  examples: 3\n"),
    ("s_empty_str", "- intent: s_empty_str\n  examples: ''\n"),
    (None, "- synonym: big\n  examples: |\n    - large\n    - huge\n"),
    (None, "- regex: zip\n  examples: |\n    - \\d{5}\n"),
    (None, "- lookup: city\n  examples: |\n    - Oslo\n    - Rome\n"),
]
COMMENTS = ["", "# --- a section header\n", "\n# spaced comment\n\n", "\n"]
HEADERS = ['version: "3.1"\nnlu:\n', '%YAML 1.2\n---\nversion: "3.1"\nnlu:\n',
           '# top comment\n---\nnlu:\n', 'nlu:\n']
FOOTERS = ["", "...\n", "# the end\n"]
EDITABLE = [name for name, _ in BLOCKS if name and name.startswith("t_")]
EDITS = ["add", "remove", "replace", "delete_block", "rename"]


@dataclasses.dataclass
class Case:
    text: str
    ranges: dict[str, tuple[int, int]]  # intent -> 0-based [first, end) lines


def _build(order: list[int], header: str, footer: str, seed: int) -> Case:
    lines_before = header.count("\n")
    parts = [header]
    ranges: dict[str, tuple[int, int]] = {}
    for position, index in enumerate(order):
        comment = COMMENTS[(seed + position) % len(COMMENTS)]
        parts.append(comment)
        lines_before += comment.count("\n")
        name, text = BLOCKS[index]
        size = text.count("\n")
        if name:
            ranges[name] = (lines_before, lines_before + size)
        parts.append(text)
        lines_before += size
    parts.append(footer)
    return Case("".join(parts), ranges)


def _cases() -> list[tuple[str, Case]]:
    cases = []
    count = len(BLOCKS)
    for seed, (header, footer) in enumerate(itertools.product(HEADERS, FOOTERS)):
        order = list(range(count))
        order = order[seed % count:] + order[:seed % count]  # every block first once
        if seed % 2:
            order.reverse()
        cases.append((f"h{HEADERS.index(header)}f{FOOTERS.index(footer)}",
                      _build(order, header, footer, seed)))
    return cases


CASES = _cases()


def _encode(text: str, newline: str, bom: bool) -> bytes:
    return (("\ufeff" if bom else "") + text.replace("\n", newline)).encode("utf-8")


def _state(project: Project) -> dict:
    by_intent: dict[str, list] = {}
    for example in project.examples:
        by_intent.setdefault(example.intent, []).append(
            (example.text, example.entities, example.metadata))
    return {
        "examples": by_intent,
        "intents": sorted(project.intents),
        "synonyms": [(s.value, s.examples) for s in project.synonyms],
        "regexes": [(r.name, r.patterns) for r in project.regexes],
        "lookups": [(t.name, t.elements) for t in project.lookups],
    }


def _edit(project: Project, intent: str, edit: str) -> None:
    positions = project.examples_of(intent)
    if edit == "add":
        add_example(project, Example("a new one", intent))
    elif edit == "remove":
        remove_examples(project, [positions[0]])
    elif edit == "replace":
        old = project.examples[positions[-1]]
        replace_example(project, positions[-1],
                        dataclasses.replace(old, text="changed"))
    elif edit == "delete_block":
        remove_examples(project, positions)
        remove_intent(project, intent)
    else:
        rename_intent(project, intent, intent + "_renamed")


@pytest.mark.parametrize("newline,bom", [("\n", False), ("\r\n", True)],
                         ids=["lf", "crlf-bom"])
@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES])
def test_noop_save_is_byte_identical(tmp_path: Path, name: str, case: Case,
                                     newline: str, bom: bool) -> None:
    path = tmp_path / "nlu.yml"
    data = _encode(case.text, newline, bom)
    path.write_bytes(data)
    project = load_project(path)
    assert not [i for i in project.load_issues if i.severity == "error"]
    add_example(project, Example("temporary", "t_plain"))  # an edit undone in memory
    remove_examples(project, [project.examples_of("t_plain")[-1]])
    assert project.save() == []
    assert path.read_bytes() == data


EDIT_CASES = [(name, case, number % 2 == 1)
              for number, (name, case) in enumerate(CASES[::3])]


@pytest.mark.parametrize("name,case,crlf_bom", EDIT_CASES,
                         ids=[f"{n}-{'crlf' if c else 'lf'}" for n, _, c in EDIT_CASES])
def test_every_edit_reloads_exactly_and_keeps_other_lines(
        tmp_path: Path, name: str, case: Case, crlf_bom: bool) -> None:
    newline, bom = ("\r\n", True) if crlf_bom else ("\n", False)
    failures = []
    for intent, edit in itertools.product(EDITABLE, EDITS):
        path = tmp_path / f"{intent}-{edit}.yml"
        original = _encode(case.text, newline, bom)
        path.write_bytes(original)
        project = load_project(path)
        _edit(project, intent, edit)
        project.save()
        reloaded = load_project(path)
        if _state(reloaded) != _state(project):
            failures.append(f"{intent}/{edit}: reloads differently")
            continue
        if [i for i in reloaded.load_issues if i.severity == "error"]:
            failures.append(f"{intent}/{edit}: errors after reload")
        assert reloaded.save() == [], f"{intent}/{edit}: second save wrote"
        old = original.decode("utf-8").splitlines(keepends=True)
        new = path.read_bytes().decode("utf-8").splitlines(keepends=True)
        first, end = case.ranges[intent]
        while first > 0 and not old[first - 1].strip():  # blank separators may go
            first -= 1
        while end < len(old) and not old[end].strip():
            end += 1
        if edit == "delete_block":  # the comments just above a block are its own
            while first > 0 and (not old[first - 1].strip()
                                 or old[first - 1].lstrip().startswith("#")):
                first -= 1
        after_comments = end  # ruamel appends list items after a trailing comment
        while after_comments < len(old) and (not old[after_comments].strip() or
                                             old[after_comments].startswith("#")):
            after_comments += 1
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, _, _ in matcher.get_opcodes():
            inserted_nearby = tag == "insert" and first <= i1 <= after_comments
            if tag != "equal" and not inserted_nearby and not (first <= i1
                                                               and i2 <= end):
                failures.append(f"{intent}/{edit}: changed lines {i1}-{i2} outside "
                                f"the block ({first}-{end}): {old[i1:i2]!r}")
                break
    assert failures == [], '\n'.join(failures)
