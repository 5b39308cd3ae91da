"""Tests of the bundled sample projects (``sample_projects/pizza`` and ``/tiny``).

Two layers of checks:

* data checks that read the YAML directly (ruamel + the entity regex of Rasa's
  ``entities_parser``), so the sample data is verified even without the loader;
* loader checks through the public API (``workbench.core.project.load_project`` and
  ``workbench.core.validation.validate``), which must read every feature the pizza
  project uses: several NLU files, roles, groups, synonyms, regexes, lookups,
  per-example metadata and retrieval intents.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from workbench.core.project_edits import replace_example

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "sample_projects"
PIZZA = SAMPLES / "pizza"
TINY = SAMPLES / "tiny"
BOTH = pytest.mark.parametrize("root", [PIZZA, TINY], ids=["pizza", "tiny"])

# Rasa's inline-annotation grammar (diet-reference.md §1.2).
ENTITY_RE = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\]"
    r"(\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)|\{(?P<entity_dict>[^}]+?)\})"
)


def _load(path: Path):
    return YAML(typ="rt").load(path.read_text(encoding="utf-8"))


def _raw_examples(root: Path) -> list[tuple[str, str, Path]]:
    """(intent, markup, file) for every intent example in the project's NLU files."""
    found = []
    for path in sorted((root / "data").glob("*.yml")):
        for block in _load(path).get("nlu") or []:
            if "intent" not in block:
                continue
            examples = block["examples"]
            if isinstance(examples, str):
                lines = [line.strip() for line in examples.splitlines() if line.strip()]
                assert all(line.startswith("-") for line in lines), block["intent"]
                items = [line[1:].strip() for line in lines]
            else:
                items = [str(item["text"]).strip() for item in examples]
            found.extend((str(block["intent"]), item, path) for item in items)
    return found


def _parse(markup: str) -> tuple[str, list[dict]]:
    """Plain text and entity dicts of one example, following Rasa's offset rules."""
    entities, removed = [], 0
    for match in ENTITY_RE.finditer(markup):
        text = match["entity_text"]
        start = match.start() - removed
        if match["entity_dict"] is not None:
            info = json.loads("{" + match["entity_dict"] + "}")
        else:
            info = {"entity": match["entity"]}
            if match["value"]:
                info["value"] = match["value"]
        info.setdefault("value", text)
        info.update(start=start, end=start + len(text), text=text)
        entities.append(info)
        removed += len(match[0]) - len(text)
    return ENTITY_RE.sub(lambda m: m["entity_text"], markup), entities


def _all_entities(root: Path) -> list[dict]:
    return [ent for _, markup, _ in _raw_examples(root) for ent in _parse(markup)[1]]


def _block_lines(block) -> list[str]:
    return [line.strip()[1:].strip() for line in block["examples"].splitlines()]


# ---------------------------------------------------------------- data checks


@BOTH
def test_every_yaml_file_parses(root: Path) -> None:
    files = sorted(root.rglob("*.yml"))
    assert {p.name for p in files} >= {"config.yml", "domain.yml", "nlu.yml"}
    for path in files:
        assert isinstance(_load(path), dict), path


@BOTH
def test_markup_is_valid_and_token_aligned(root: Path) -> None:
    for _, markup, path in _raw_examples(root):
        leftover = ENTITY_RE.sub("", markup)
        assert "[" not in leftover and "]" not in leftover, f"{path.name}: {markup!r}"
        text, entities = _parse(markup)
        for ent in entities:
            span, start, end = ent["text"], ent["start"], ent["end"]
            assert text[start:end] == span
            assert re.match(r"\w", span[0]) and re.match(r"\w", span[-1]), (
                f"{path.name}: span {span!r} has edge spaces/punctuation in {markup!r}"
            )
            assert start == 0 or text[start - 1].isspace(), f"bad start: {markup!r}"
            after = text[end : end + 2]
            ends_ok = after == "" or after[0].isspace()
            ends_ok = ends_ok or re.fullmatch(r"[,.!?](\s.*)?", after) is not None
            assert ends_ok, f"bad end: {markup!r}"


@BOTH
def test_no_duplicate_examples(root: Path) -> None:
    texts = Counter(_parse(markup)[0].lower() for _, markup, _ in _raw_examples(root))
    assert [t for t, n in texts.items() if n > 1] == []


def test_markup_agrees_with_core_parser() -> None:
    markup_module = pytest.importorskip("workbench.core.markup")
    for _, markup, _ in _raw_examples(PIZZA) + _raw_examples(TINY):
        text, spans = markup_module.parse_markup(markup)
        expected_text, expected = _parse(markup)
        assert text == expected_text
        keys = ("start", "end", "entity", "value", "role", "group")
        assert [tuple(getattr(s, k) for k in keys) for s in spans] == [
            tuple(e.get(k) for k in keys) for e in expected
        ]


def test_pizza_data_shape() -> None:
    raw = _raw_examples(PIZZA)
    per_intent = Counter(intent for intent, _, _ in raw)
    assert len(raw) >= 350
    assert len(per_intent) >= 14
    # Realistic imbalance: small and large intents.
    assert min(per_intent.values()) <= 16 and max(per_intent.values()) >= 40
    assert {"chitchat/ask_name", "chitchat/ask_weather"} <= set(per_intent)
    assert len({path.name for _, _, path in raw}) == 1  # intents in nlu.yml only
    entities = _all_entities(PIZZA)
    assert len({e["entity"] for e in entities}) >= 5
    assert {e["role"] for e in entities if "role" in e} == {"delivery", "billing"}
    assert {e["group"] for e in entities if "group" in e} == {"1", "2"}
    assert any(e["value"] != e["text"] for e in entities)  # inline synonyms


def test_pizza_regex_and_lookup_match_annotations() -> None:
    blocks = _load(PIZZA / "data" / "nlu_entities.yml")["nlu"]
    regexes = {b["regex"]: _block_lines(b) for b in blocks if "regex" in b}
    lookups = {b["lookup"]: set(_block_lines(b)) for b in blocks if "lookup" in b}
    assert len([b for b in blocks if "synonym" in b]) >= 2
    assert len(lookups["topping"]) >= 20
    entities = _all_entities(PIZZA)
    order_ids = [e["text"] for e in entities if e["entity"] == "order_id"]
    assert order_ids
    assert all(re.fullmatch(regexes["order_id"][0], o) for o in order_ids)
    toppings = {e["value"].lower() for e in entities if e["entity"] == "topping"}
    assert toppings <= lookups["topping"], toppings - lookups["topping"]


def test_tiny_data_shape() -> None:
    raw = _raw_examples(TINY)
    assert len({intent for intent, _, _ in raw}) == 4
    assert 35 <= len(raw) <= 45
    assert {e["entity"] for e in _all_entities(TINY)} == {"product", "size"}
    blocks = _load(TINY / "data" / "nlu.yml")["nlu"]
    assert sum("synonym" in b for b in blocks) == 1
    assert sum("regex" in b for b in blocks) == 1


@BOTH
def test_domain_declares_what_the_data_uses(root: Path) -> None:
    domain = _load(root / "domain.yml")
    raw = _raw_examples(root)
    assert set(domain["intents"]) == {intent.split("/")[0] for intent, _, _ in raw}
    assert set(domain["entities"]) == {e["entity"] for e in _all_entities(root)}
    retrieval = {intent for intent, _, _ in raw if "/" in intent}
    assert {f"utter_{name}" for name in retrieval} <= set(domain["responses"])


# ---------------------------------------------------------------- loader checks


@pytest.fixture(scope="module")
def pizza():
    project_module = pytest.importorskip(
        "workbench.core.project", reason="workbench.core.project is not written yet"
    )
    return project_module.load_project(PIZZA)


def _errors(issues) -> list:
    return [i for i in issues if i.severity == "error"]


def _describe(issues) -> str:
    return "\n".join(f"{i.path}:{i.line}: {i.code} {i.message}" for i in issues)


def test_pizza_loads_without_errors(pizza) -> None:
    assert _errors(pizza.load_issues) == [], _describe(_errors(pizza.load_issues))
    assert len(pizza.examples) >= 350
    assert len({ex.base_intent for ex in pizza.examples}) >= 14
    assert "chitchat/ask_name" in pizza.intents
    entity_types = {span.entity for ex in pizza.examples for span in ex.entities}
    assert len(entity_types) >= 5
    assert pizza.domain_entities == entity_types
    assert pizza.config["pipeline"][0]["name"] == "WhitespaceTokenizer"


def test_pizza_validation_has_no_errors(pizza) -> None:
    validation = pytest.importorskip("workbench.core.validation")
    errors = _errors(validation.validate(pizza))
    assert errors == [], _describe(errors)


def test_pizza_roles_groups_and_synonyms(pizza) -> None:
    spans = [span for ex in pizza.examples for span in ex.entities]
    assert {s.role for s in spans if s.role} == {"delivery", "billing"}
    assert {s.group for s in spans if s.group} == {"1", "2"}
    first = "2 large pepperoni pizza and 1"
    grouped = next(ex for ex in pizza.examples if ex.text.startswith(first))
    assert [(s.entity, s.group) for s in grouped.entities] == [
        ("quantity", "1"),
        ("size", "1"),
        ("product", "1"),
        ("quantity", "2"),
        ("size", "2"),
        ("product", "2"),
    ]
    xl = next(
        s
        for ex in pizza.examples
        for s in ex.entities
        if ex.text[s.start : s.end] == "XL"
    )
    assert (xl.entity, xl.value) == ("size", "extra large")


def test_pizza_synonyms_regexes_lookups_from_second_file(pizza) -> None:
    from_blocks = [
        s
        for s in pizza.synonyms
        if s.source is not None and s.source.path.name == "nlu_entities.yml"
    ]
    assert len(from_blocks) >= 2
    assert any(s.value == "extra large" and "XL" in s.examples for s in from_blocks)
    assert [r.name for r in pizza.regexes] == ["order_id"]
    toppings = next(t for t in pizza.lookups if t.name == "topping")
    assert len(toppings.elements) >= 20 and "pepperoni" in toppings.elements


def test_pizza_metadata_and_retrieval_intent(pizza) -> None:
    with_meta = [ex for ex in pizza.examples if ex.metadata]
    assert [ex.text for ex in with_meta] == ["where's my pizza"]
    assert with_meta[0].metadata["reviewed"] is True
    assert with_meta[0].source.path.name == "nlu.yml" and with_meta[0].source.line > 1
    name = next(ex for ex in pizza.examples if ex.intent == "chitchat/ask_name")
    assert (name.base_intent, name.response_key) == ("chitchat", "ask_name")


def test_tiny_loads() -> None:
    project_module = pytest.importorskip("workbench.core.project")
    tiny = project_module.load_project(TINY)
    assert _errors(tiny.load_issues) == [], _describe(_errors(tiny.load_issues))
    assert len(tiny.intents) == 4 and 35 <= len(tiny.examples) <= 45
    entity_types = {span.entity for ex in tiny.examples for span in ex.entities}
    assert entity_types == {"product", "size"}
    assert len(tiny.synonyms) >= 1 and len(tiny.regexes) == 1


def test_pizza_edit_and_save_touches_only_the_edited_lines(tmp_path: Path) -> None:
    import dataclasses
    import difflib
    import shutil

    project_module = pytest.importorskip("workbench.core.project")
    root = tmp_path / "pizza"
    shutil.copytree(PIZZA, root)
    project = project_module.load_project(root)
    edits = {"where's my pizza": "where is my pizza??", "hey bot": "hey pizza bot"}
    for index, example in enumerate(list(project.examples)):
        if example.text in edits:
            new = dataclasses.replace(example, text=edits[example.text])
            replace_example(project, index, new)
    written = project.save()
    assert [p.name for p in written] == ["nlu.yml"]
    for path in sorted(PIZZA.rglob("*.yml")):
        if path.name != "nlu.yml":
            copy = root / path.relative_to(PIZZA)
            assert copy.read_bytes() == path.read_bytes(), path
    before = (PIZZA / "data" / "nlu.yml").read_text(encoding="utf-8").splitlines()
    after = (root / "data" / "nlu.yml").read_text(encoding="utf-8").splitlines()
    changed = [
        line
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert sorted(changed) == sorted(
        [
            "-    - hey bot",
            "+    - hey pizza bot",
            "-  - text: where's my pizza",
            "+  - text: where is my pizza??",
        ]
    )
    reloaded = project_module.load_project(root)
    assert len(reloaded.examples) == len(project.examples)
    meta = next(ex for ex in reloaded.examples if ex.text == "where is my pizza??")
    assert meta.metadata["source"] == "support chat log"
