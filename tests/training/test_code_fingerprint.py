"""Node keys cover the source of every module a node reaches, derived, never listed."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from tests.training.conftest import TINY, tiny_config
from workbench.core.project import load_project
from workbench.nlu.diet.config import DietConfig
from workbench.nlu.pipeline import PipelineConfig
from workbench.training.diet_node import build_diet_node
from workbench.training.fingerprint import (
    PACKAGE_ROOT,
    data_fingerprints,
    imported_names,
    module_closure,
    source_digest,
)
from workbench.training.nodes import build_graph


def _parsed_imports(source: str, module: str, is_package: bool) -> set[str]:
    """What the parser sees (every import statement, TYPE_CHECKING included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")[: None if is_package else -1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_line_scan_sees_every_import_the_parser_sees() -> None:
    tricky = ("import a.b as c, d\n"
              "from e import (f,  # comment\n    g as h,\n)\n"
              "def x():\n    from .i import j\n    import k; import l\n"
              "from . import m\nfrom .. import n\n")
    found = imported_names(tricky, "workbench.pkg.mod", is_package=False)
    assert {"a.b", "d", "e", "e.f", "e.g", "workbench.pkg.i.j", "k",
            "workbench.pkg.m", "workbench.n"} <= found
    top = imported_names(tricky, "workbench.pkg.mod", False, top_level_only=True)
    assert {"a.b", "e.g", "workbench.pkg.m"} <= top
    assert not {"workbench.pkg.i.j", "k", "l"} & top  # inside a function
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        source = path.read_text(encoding="utf-8")
        missing = _parsed_imports(source, module, is_package) - imported_names(
            source, module, is_package)
        assert not missing, f"{path}: the import scan misses {sorted(missing)}"


@pytest.fixture(scope="module")
def graph_nodes():
    snapshot = load_project(TINY).snapshot()
    config = PipelineConfig.from_rasa(tiny_config())
    diet = build_diet_node(DietConfig.from_rasa(config.diet), seed=1, device="cpu",
                           should_stop=lambda: False)
    spec = build_graph(snapshot, config, data_fingerprints(snapshot), diet)
    return {node.name: node for node in spec.nodes}


def test_each_node_reaches_the_modules_that_define_its_output(graph_nodes) -> None:
    def closure(name: str) -> set[str]:
        return set(module_closure(graph_nodes[name].code_entry_modules()))

    assert {"workbench.nlu.corpus", "workbench.nlu.tokenizers",
            "workbench.training.corpus_storage"} <= closure("tokenizer")
    assert {"workbench.nlu.featurizers.count_vectors", "workbench.nlu.sparse",
            "workbench.nlu.featurizers.base"} <= closure("count_vectors_word")
    assert {"workbench.nlu.labels", "workbench.nlu.bilou", "workbench.nlu.features",
            "workbench.nlu.pipeline",
            "workbench.training.storage"} <= closure("features")
    assert {"workbench.nlu.diet.trainer", "workbench.nlu.diet.model",
            "workbench.nlu.diet.losses", "workbench.training.projection",
            "workbench.nlu.diet"} <= closure("diet")
    assert "workbench.nlu.synonyms" in closure("synonym_mapper")
    everything = {m for name in graph_nodes for m in closure(name)}
    assert not any(m.startswith("workbench.qt") for m in everything)
    # DIET's code is not part of the featurization nodes' keys, nor the reverse
    assert "workbench.nlu.diet.trainer" not in closure("features")
    assert "workbench.nlu.labels" not in closure("diet")


@pytest.fixture
def source_copy(tmp_path) -> Path:
    root = tmp_path / "workbench"
    shutil.copytree(PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_editing_any_module_a_node_reaches_changes_its_key(graph_nodes,
                                                           source_copy) -> None:
    entries = graph_nodes["features"].code_entry_modules()
    before = source_digest(entries, source_copy)
    assert before == source_digest(entries)  # the copy hashes like the original
    modules = module_closure(entries, source_copy)
    assert len(modules) > 20
    for name, path in modules.items():
        original = path.read_text(encoding="utf-8")
        path.write_text(original + "\n# edited\n", encoding="utf-8")
        assert source_digest(entries, source_copy) != before, name
        path.write_text(original, encoding="utf-8")
    assert source_digest(entries, source_copy) == before


def _rewrite_imports(root: Path, old: str, new: str) -> None:
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("new_name", ["workbench.nlu.tagging",
                                      "workbench.nlu.featurizers.bilou"])
def test_renaming_or_moving_a_module_changes_the_key(graph_nodes, source_copy,
                                                     new_name) -> None:
    entries = graph_nodes["features"].code_entry_modules()
    before = source_digest(entries, source_copy)
    old = source_copy / "nlu" / "bilou.py"
    target = source_copy.parent.joinpath(*new_name.split(".")).with_suffix(".py")
    old.rename(target)
    _rewrite_imports(source_copy, "workbench.nlu.bilou", new_name)
    after = module_closure(entries, source_copy)
    assert new_name in after and "workbench.nlu.bilou" not in after
    assert source_digest(entries, source_copy) != before


def test_a_module_gone_while_still_imported_changes_the_key(graph_nodes,
                                                           source_copy) -> None:
    entries = graph_nodes["features"].code_entry_modules()
    before = source_digest(entries, source_copy)
    (source_copy / "nlu" / "bilou.py").unlink()
    assert source_digest(entries, source_copy) != before


def test_a_named_module_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="no_such_module"):
        source_digest(["workbench.nlu.no_such_module"])
    # outside the package (a test's own node functions): counted by name
    assert source_digest(["tests.a"]) != source_digest(["tests.b"])
