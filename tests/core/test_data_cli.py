"""``workbench data validate`` / ``data stats`` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli.main import main

GOLDEN = Path(__file__).parents[1] / "data" / "golden_project"


def test_cli_stats_json_has_the_documented_keys(capsys) -> None:
    assert main(["data", "stats", str(GOLDEN), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    for key in ("examples", "intents", "entity_types", "entity_spans", "synonyms",
                "regexes", "lookups", "per_intent", "per_entity"):
        assert key in stats
    assert stats["examples"] == 18 and stats["intents"] == 5
    assert stats["per_intent"]["order_pizza"] == 5
    assert stats["per_entity"] == {"topping": 5, "size": 3, "city": 3, "ingredient": 1}
    assert (stats["synonyms"], stats["regexes"], stats["lookups"]) == (2, 1, 1)


def test_cli_stats_text_on_single_file(capsys) -> None:
    assert main(["data", "stats", str(GOLDEN / "data" / "nlu.yml")]) == 0
    out = capsys.readouterr().out
    assert "examples per intent" in out and "order_pizza" in out


def test_cli_validate_warnings_only_exits_zero(capsys) -> None:
    assert main(["data", "validate", str(GOLDEN)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out and all(": warning: " in line for line in out)
    prefix = str(GOLDEN / "data" / "nlu.yml") + ":20: warning:"
    assert any(line.startswith(prefix) for line in out)


def test_cli_validate_errors_exit_one_and_json(make_project, capsys) -> None:
    root = make_project({"data/nlu.yml": "nlu:\n- intent: a\n  examples: |\n"
                                        "    - [x]{\"entity\": bad}\n    - hello\n"})
    assert main(["data", "validate", str(root)]) == 1
    out = capsys.readouterr().out
    assert f"{root / 'data' / 'nlu.yml'}:4: error: bad entity markup" in out
    assert main(["data", "validate", str(root), "--json"]) == 1
    issues = json.loads(capsys.readouterr().out)
    codes = {issue["code"] for issue in issues}
    assert {"bad-markup", "too-few-examples"} <= codes
    keys = {"severity", "path", "line", "message", "hint"}
    assert all(keys <= set(issue) for issue in issues)


@pytest.mark.parametrize("command", ["validate", "stats"])
def test_cli_missing_path_exits_two(tmp_path: Path, capsys, command: str) -> None:
    assert main(["data", command, str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_cli_data_without_subcommand_exits_two(capsys) -> None:
    assert main(["data"]) == 2
