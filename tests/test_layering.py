"""The layering of docs/style.md, checked on the real import graph.

Each check imports every module of one layer in a fresh interpreter and asserts which
heavy packages ended up in ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, json, pkgutil, sys
import workbench
names = []
for package in sys.argv[1].split(","):
    module = importlib.import_module(package)
    names.append(package)
    if hasattr(module, "__path__") and sys.argv[2] == "walk":
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            importlib.import_module(info.name)
            names.append(info.name)
heavy = sorted({name.split(".")[0] for name in sys.modules}
               & {"torch", "PySide6", "pyqtgraph"})
print(json.dumps({"imported": names, "heavy": heavy}))
"""


def _imports(packages: str, *, walk: bool = True) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, packages, "walk" if walk else "top"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_layering_core_imports_neither_torch_nor_qt() -> None:
    report = _imports("workbench.core,workbench.cli.data_commands")
    assert len(report["imported"]) > 5
    assert report["heavy"] == []


def test_layering_nlu_training_and_serving_never_import_qt() -> None:
    report = _imports("workbench.nlu,workbench.training,workbench.serving")
    assert "torch" in report["heavy"]
    assert "PySide6" not in report["heavy"]
    assert "pyqtgraph" not in report["heavy"]


@pytest.mark.gui
def test_layering_qt_window_imports_torch_lazily() -> None:
    report = _imports("workbench.qt.main_window")
    assert "PySide6" in report["heavy"]
    assert "torch" not in report["heavy"]


def test_layering_importing_workbench_loads_nothing_heavy() -> None:
    report = _imports("workbench", walk=False)
    assert report["heavy"] == []


# -- import cycles between packages (static: every import statement, at module level
# and inside functions; ``if TYPE_CHECKING:`` blocks are not imports at run time) ------

LAYER_PACKAGES = ("workbench.cli", "workbench.qt", "workbench.core", "workbench.nlu",
                  "workbench.training")


def _is_type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _imported_modules(tree: ast.AST, module: str, is_package: bool, *,
                      type_checking: bool = False) -> set[str]:
    """Every module an import statement in ``tree`` names (run-time imports only,
    unless ``type_checking``: then ``if TYPE_CHECKING:`` imports count too)."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_type_checking_block(node) and not type_checking:
            stack.extend(node.orelse)  # only the else branch runs
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _layer_of(module: str) -> str | None:
    return next((p for p in LAYER_PACKAGES
                 if module == p or module.startswith(p + ".")), None)


def package_import_graph(root: Path = REPO_ROOT / "workbench") -> dict[str, dict]:
    """``{package: {imported package: [importing modules]}}`` between LAYER_PACKAGES."""
    graph: dict[str, dict[str, list[str]]] = {p: {} for p in LAYER_PACKAGES}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        source = _layer_of(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name in _imported_modules(tree, module, is_package):
            target = _layer_of(name)
            if target and target != source:
                graph[source].setdefault(target, []).append(module)
    return {k: {t: sorted(set(m)) for t, m in v.items()} for k, v in graph.items()}


def _cycles(graph: dict[str, dict]) -> list[list[str]]:
    """Each package that reaches itself again, with the path that does it."""
    found = []
    for start in graph:
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, {}):
                if nxt == start:
                    found.append([*path, start])
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return found


def test_imported_modules_sees_function_level_and_relative_imports() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import workbench.core.project\n"
        "if TYPE_CHECKING:\n    from workbench.qt.main_window import MainWindow\n"
        "def f():\n    from workbench.qt import app\n    from ..nlu import x\n"
    )
    found = _imported_modules(tree, "workbench.cli.app_command", is_package=False)
    assert {"workbench.core.project", "workbench.qt.app", "workbench.nlu.x"} <= found
    assert "workbench.qt.main_window" not in found  # TYPE_CHECKING only
    graph = {"a": {"b": []}, "b": {"c": []}, "c": {"a": []}, "d": {"a": []}}
    assert ["a", "b", "c", "a"] in _cycles(graph)
    assert _cycles({"a": {"b": []}, "b": {}}) == []


def test_no_import_cycles_between_packages() -> None:
    graph = package_import_graph()
    assert graph["workbench.cli"], "the scan found no imports at all"
    cycles = _cycles(graph)
    details = [
        " -> ".join(cycle)
        + ": "
        + "; ".join(
            f"{a} imported by {graph[a][b]}"
            for a, b in zip(cycle, cycle[1:], strict=False)
        )
        for cycle in cycles
    ]
    assert not cycles, "\n".join(details)


# Packages whose modules import each other without a cycle, not even a type-only one
# (issue 10: pipeline <-> featurizers.training_data; qt.main_window <-> window_actions).
ACYCLIC_PACKAGES = ("workbench.nlu", "workbench.training", "workbench.qt")


def module_import_graph(package: str, root: Path = REPO_ROOT) -> dict[str, dict]:
    """``{module: {imported module: []}}`` between the modules of ``package``,
    counting every import statement (functions and ``TYPE_CHECKING`` blocks too)."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in sorted(root.joinpath(*package.split(".")).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph: dict[str, dict] = {}
    for module, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names = _imported_modules(tree, module, is_package, type_checking=True)
        graph[module] = {n: [] for n in sorted(names) if n in modules and n != module}
    return graph


@pytest.mark.parametrize("package", ACYCLIC_PACKAGES)
def test_no_import_cycles_between_modules(package: str) -> None:
    graph = module_import_graph(package)
    assert sum(map(len, graph.values())) > 10, "the scan found no imports at all"
    assert not _cycles(graph), "\n".join(" -> ".join(c) for c in _cycles(graph))


def test_module_cycle_check_sees_type_only_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import B\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\n"
                                  "if TYPE_CHECKING:\n    from pkg.a import A\n")
    assert ["pkg.a", "pkg.b", "pkg.a"] in _cycles(module_import_graph("pkg", tmp_path))


def test_layering_qt_imports_nothing_of_the_command_line() -> None:
    assert "workbench.cli" not in package_import_graph()["workbench.qt"]


# -- the headless launch paths never load PySide6 ----------------------------------

HEADLESS = """
import io, json, os, sys
from contextlib import redirect_stdout
for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
    os.environ.pop(name, None)
os.environ["WORKBENCH_HOME"] = sys.argv[2]
os.environ.update(json.loads(sys.argv[3]))
from workbench.cli.main import main
with redirect_stdout(io.StringIO()) as out:
    status = main(["app", *json.loads(sys.argv[1])])
print(json.dumps({"status": status, "out": out.getvalue(),
                  "qt": sorted(m for m in sys.modules if m.split(".")[0] in
                               ("PySide6", "pyqtgraph", "shiboken6"))}))
"""


@pytest.mark.parametrize(("arguments", "environ"), [
    (["--summary"], {"QT_QPA_PLATFORM": "offscreen"}),
    ([], {}),
    (["PROJECT"], {}),
    (["PROJECT"], {"DISPLAY": ":4242"}),  # no X server there: the summary, no Qt abort
], ids=["summary", "no-display-sample", "no-display-project", "dead-display"])
def test_headless_app_paths_never_import_pyside6(arguments, environ, tmp_path) -> None:
    project = REPO_ROOT / "sample_projects" / "tiny"
    argv = [str(project) if a == "PROJECT" else a for a in arguments]
    result = subprocess.run(
        [sys.executable, "-c", HEADLESS, json.dumps(argv), str(tmp_path / "home"),
         json.dumps(environ)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"] in (0, 1), result.stderr
    assert "examples," in report["out"]  # the summary was printed
    assert report["qt"] == []
