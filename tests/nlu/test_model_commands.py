"""``workbench test`` and ``workbench parse`` on the tiny model."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from workbench.cli.main import main

TEST_YAML = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello there
    - hey
- intent: book_flight
  examples: |
    - fly to [Berlin](city)
    - book a flight to [Paris](city)
- intent: goodbye
  examples: |
    - bye
"""


@pytest.fixture
def test_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.yml"
    path.write_text(TEST_YAML, encoding="utf-8")
    return path


def test_parse_text(tiny_model_dir: Path, capsys) -> None:
    assert main(["parse", str(tiny_model_dir), "fly to Berlin"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["text"] == "fly to Berlin"
    assert result["intent"]["name"] == "book_flight"


def test_parse_stdin_lines(tiny_model_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("hello\nfly to Rome\n\n"))
    assert main(["parse", str(tiny_model_dir)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["text"] for line in lines] == ["hello", "fly to Rome", ""]
    assert lines[2]["intent"]["name"] is None


def test_test_json_and_out_dir(tiny_model_dir: Path, test_file: Path, tmp_path: Path,
                               capsys) -> None:
    out = tmp_path / "reports"
    assert main(["test", str(tiny_model_dir), str(test_file), "--json",
                 "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_examples"] == 5
    for key in ("intent_accuracy", "intent_macro_f1", "intent_weighted_f1",
                "entity_token_f1", "entity_span_f1"):
        assert 0.0 <= result[key] <= 1.0
    assert result["intent_accuracy"] >= 0.6  # the tiny model learned something
    assert {p.name for p in out.iterdir()} >= {
        "intent_report.json", "intent_errors.json", "entity_report.json",
        "confusion_matrix.json"}
    matrix = json.loads((out / "confusion_matrix.json").read_text())
    assert sum(map(sum, matrix["matrix"])) == 5


def test_test_human_report(tiny_model_dir: Path, test_file: Path, capsys) -> None:
    assert main(["test", str(tiny_model_dir), str(test_file)]) == 0
    out = capsys.readouterr().out
    assert "intent accuracy" in out and "exact-span" in out and "book_flight" in out


def test_bad_model_and_bad_data_exit_2(tiny_model_dir: Path, tmp_path: Path,
                                       capsys) -> None:
    assert main(["parse", str(tmp_path / "missing"), "hi"]) == 2
    assert "no such model directory" in capsys.readouterr().err
    assert main(["test", str(tiny_model_dir), str(tmp_path / "missing.yml")]) == 2
    assert "error" in capsys.readouterr().err
    empty = tmp_path / "empty.yml"
    empty.write_text("nlu: []\n", encoding="utf-8")
    assert main(["test", str(tiny_model_dir), str(empty)]) == 2
    assert "no labelled examples" in capsys.readouterr().err
