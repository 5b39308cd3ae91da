"""Loading and saving without edits changes no byte; dumping a loaded tree is exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.project import load_project
from workbench.core.project_edits import remove_examples
from workbench.core.yaml_io.roundtrip import (
    detect_style,
    dump_yaml,
    load_yaml,
    read_text,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN = REPO_ROOT / "tests" / "data" / "golden_project"
SAMPLES = REPO_ROOT / "sample_projects"
SAMPLE_DIRS = sorted(p for p in SAMPLES.iterdir() if p.is_dir()) if SAMPLES.is_dir() \
    else []


def _snapshot_bytes(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _assert_dump_exact(path: Path) -> None:
    text = read_text(path)
    style = detect_style(text)
    assert dump_yaml(load_yaml(text, style), style) == text, path


@pytest.mark.parametrize("name", [
    "snips/train.yml", "snips/test.yml", "snips/valid.yml",
    "financial_demo/train.yml", "financial_demo/test.yml"])
def test_dataset_dump_is_byte_identical(datasets_dir: Path, name: str) -> None:
    path = datasets_dir / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    _assert_dump_exact(path)


def test_every_dataset_yaml_file_dumps_exactly(datasets_dir: Path) -> None:
    files = sorted(datasets_dir.rglob("*.yml")) + sorted(datasets_dir.rglob("*.yaml"))
    assert files
    for path in files:
        _assert_dump_exact(path)


@pytest.mark.parametrize("relative", ["data/nlu.yml", "data/more/extra.yaml",
                                      "data/stories.yml"])
def test_golden_nlu_files_dump_exactly(relative: str) -> None:
    _assert_dump_exact(GOLDEN / relative)


def test_golden_project_save_without_edits_writes_nothing(golden_project: Path) -> None:
    before = _snapshot_bytes(golden_project)
    project = load_project(golden_project)
    assert project.save() == []
    assert _snapshot_bytes(golden_project) == before
    assert not project.modified


@pytest.mark.parametrize("root", SAMPLE_DIRS, ids=[p.name for p in SAMPLE_DIRS])
def test_sample_project_round_trip(root: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    before = _snapshot_bytes(copy)
    project = load_project(copy)
    assert [i for i in project.load_issues if i.severity == "error"] == []
    assert project.save() == []
    assert _snapshot_bytes(copy) == before
    for path in project.nlu_paths:
        _assert_dump_exact(path)


def test_dataset_load_is_fast_and_complete(datasets_dir: Path) -> None:
    import time

    path = datasets_dir / "snips" / "train.yml"
    if not path.exists():
        pytest.skip("snips not present")
    started = time.perf_counter()
    project = load_project(path)
    seconds = time.perf_counter() - started
    assert len(project.examples) > 13000 - 1000
    assert project.load_issues == []
    assert len(project.intents) == 7
    assert seconds < 5.0  # typically ~0.5 s; generous for a loaded shared machine


def test_crlf_and_bom_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    text = ('\ufeffversion: "3.1"\r\nnlu:\r\n- intent: greet\r\n  examples: |\r\n'
            "    - hi\r\n    - hello\r\n")
    path.write_bytes(text.encode("utf-8"))
    project = load_project(path)
    assert [e.text for e in project.examples] == ["hi", "hello"]
    remove_examples(project, [0])
    project.save()
    assert path.read_bytes() == text.replace("    - hi\r\n", "").encode("utf-8")
