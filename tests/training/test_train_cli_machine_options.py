"""``workbench train`` honours ``.workbench/training.json``: flag > file > automatic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.training.conftest import tiny_config
from workbench.cli.main import main
from workbench.core.machine_options import (
    MachineOptions,
    options_path,
    write_machine_options,
)

torch = pytest.importorskip("torch")


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "tiny-config.yml"
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(tiny_config(), handle)
    return str(path)


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """Training in-process sets torch's thread count: restore it for other tests."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _train(project: Path, config: str, *flags: str) -> int:
    return main(["train", str(project), "--config", config, "--epochs", "1", *flags])


def _last_run(project: Path, capsys) -> dict:
    assert main(["runs", str(project), "--json"]) == 0
    return json.loads(capsys.readouterr().out)[-1]


def test_train_uses_the_threads_of_training_json_unless_a_flag_is_given(
        tiny_project, config, capsys):
    write_machine_options(tiny_project, MachineOptions("cpu", 1))
    torch.set_num_threads(2)
    assert _train(tiny_project, config) == 0
    assert torch.get_num_threads() == 1
    err = capsys.readouterr().err
    assert "device cpu and 1 CPU thread(s)" in err and "training.json" in err
    assert _last_run(tiny_project, capsys)["device"] == "cpu"

    assert _train(tiny_project, config, "--threads", "2") == 0
    assert torch.get_num_threads() == 2
    err = capsys.readouterr().err
    assert "CPU thread(s)" not in err and "device cpu as set" in err


def test_train_device_flag_wins_over_training_json(tiny_project, config, capsys):
    write_machine_options(tiny_project, MachineOptions("cuda:99", None))
    assert _train(tiny_project, config) == 1  # no such device here
    err = capsys.readouterr().err
    assert "cuda:99" in err and "Traceback" not in err
    assert _train(tiny_project, config, "--device", "cpu") == 0
    assert "training.json" not in capsys.readouterr().err
    assert _last_run(tiny_project, capsys)["device"] == "cpu"


@pytest.mark.parametrize("text", ["{not json", '{"device": "cpu", "threads": 0}',
                                  '["cpu"]'])
def test_train_with_a_bad_training_json_says_so_and_uses_the_defaults(
        tiny_project, config, capsys, text):
    path = options_path(tiny_project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    assert _train(tiny_project, config, "--device", "cpu") == 0
    err = capsys.readouterr().err
    assert f"note: {path}" in err and "defaults are used" in err
    assert "Traceback" not in err
