"""``workbench train`` and ``workbench runs`` (in-process, tiny project, tiny DIET)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.training.conftest import tiny_config
from workbench.cli.main import main


def _config_file(folder: Path, **diet: object) -> Path:
    path = folder / "tiny-config.yml"
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(tiny_config(**diet), handle)
    return path


def test_train_prints_nodes_and_model_path_last(tiny_project, tmp_path, capsys):
    config = _config_file(tmp_path)
    assert main(["train", str(tiny_project), "--config", str(config), "--epochs", "1",
                 "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    model = Path(lines[-1])
    assert model.is_dir() and model.parent == tiny_project / "models"
    assert any(line.startswith("tokenizer") and line.endswith("s") and "ran" in line
               for line in lines)
    assert not any("\r" in line for line in lines)  # not a terminal: no bar

    out_dir = tmp_path / "again"
    assert main(["train", str(tiny_project), "--config", str(config), "--epochs", "1",
                 "--device", "cpu", "--out", str(out_dir), "--progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == str(out_dir)
    assert any(line.startswith("diet") and line.endswith("cached") for line in lines)

    assert main(["runs", str(tiny_project), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [run["status"] for run in runs] == ["finished", "finished"]
    assert runs[1]["model_path"] == str(out_dir) and runs[1]["nodes_run"] == []
    assert main(["runs", str(tiny_project)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["run", "started", "(UTC)"] and len(table) == 3


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["train", "no/such/project"], 2, "no project at"),
        (["train", "{project}", "--epochs", "0"], 2, "--epochs must be at least 1"),
        (["train", "{project}", "--threads", "0"], 2, "--threads must be at least 1"),
        (["train", "{project}", "--config", "missing.yml"], 2, "cannot read config"),
        (["train", "{project}", "--finetune", "no/model"], 2, "no such model"),
        (["runs", "no/such/project"], 2, "no project at"),
    ],
)
def test_cli_bad_arguments(tiny_project, capsys, args, status, message):
    args = [arg.format(project=tiny_project) for arg in args]
    assert main(args) == status
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err


def test_train_bad_config_value_exits_1(tiny_project, tmp_path, capsys):
    config = _config_file(tmp_path, number_of_attention_heads=3)
    assert main(["train", str(tiny_project), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "number_of_attention_heads" in err and "Traceback" not in err


def test_runs_without_history(tiny_project, capsys):
    assert main(["runs", str(tiny_project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
