"""The layering of docs/style.md, checked on the real import graph.

Each check imports every module of one layer in a fresh interpreter and asserts which
heavy packages ended up in ``sys.modules``.
"""

from __future__ import annotations

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
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"torch", "PySide6", "pyqtgraph"})
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


def test_layering_nlu_and_training_never_import_qt() -> None:
    report = _imports("workbench.nlu,workbench.training")
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
