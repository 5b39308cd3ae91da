"""config.yml edits: one value changes, every other byte stays; undo; create."""

from __future__ import annotations

import difflib
import json
import stat
from pathlib import Path

import pytest

from workbench.core.commands import AddExample, UndoStack
from workbench.core.config_commands import SetConfigSetting, SetMachineOption
from workbench.core.config_file import (
    DEFAULT_CONFIG_TEXT,
    UNSET,
    ConfigEditError,
    NeedsCreation,
)
from workbench.core.examples import Example
from workbench.core.machine_options import (
    MachineOptions,
    options_path,
    read_machine_options,
)
from workbench.core.project import SaveError, load_project
from workbench.core.project_edits import add_example
from workbench.core.saving import files_to_create
from workbench.core.yaml_io.nlu import to_plain
from workbench.core.yaml_io.roundtrip import detect_style, load_yaml, read_text

NLU = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n'

# Unusual but valid layout: BOM, CRLF, 4-space indent with a dash offset, comments
# everywhere, quoted keys and values, a flow list, a trailing comment block.
ODD = ("\ufeff# Our pipeline -- tuned by hand\r\n"
       "recipe: default.v1\r\n"
       'language: "en"   # English\r\n'
       "\r\n"
       "pipeline:\r\n"
       "    -   name: WhitespaceTokenizer\r\n"
       "    # featurizers\r\n"
       "    -   name: CountVectorsFeaturizer\r\n"
       "    -   name: DIETClassifier   # the model\r\n"
       "        epochs: 300            # long\r\n"
       "        'batch_size': [64, 256]\r\n"
       "        learning_rate: 0.002\r\n"
       "        constrain_similarities: true\r\n"
       "    -   name: EntitySynonymMapper\r\n"
       "\r\n"
       "# policies are not used\r\n"
       "policies:\r\n")


def _write_bytes(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def _project(tmp_path: Path, config: str | None):
    root = tmp_path / "project"
    _write_bytes(root / "data" / "nlu.yml", NLU)
    if config is not None:
        _write_bytes(root / "config.yml", config)
    return root, load_project(root)


def _plain(text: str):
    return to_plain(load_yaml(text, detect_style(text)))


def _diet(text: str) -> dict:
    return next(e for e in _plain(text)["pipeline"] if e["name"] == "DIETClassifier")


def _changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.ndiff(before.splitlines(keepends=True),
                         after.splitlines(keepends=True))
    return [line for line in diff if line[:1] in "+-"]


# -- one value changes, nothing else ---------------------------------------------------
EDITS = [
    ("epochs", 42), ("batch_size", [32, 128]), ("learning_rate", 0.0005),
    ("learning_rate", 1e-05), ("embedding_dimension", 30),
    ("number_of_transformer_layers", 4), ("transformer_size", 128),
    ("hidden_layers_sizes", {"text": [256, 128], "label": []}),
    ("number_of_negative_examples", 10), ("constrain_similarities", False),
    ("evaluate_on_number_of_examples", 200), ("evaluate_every_number_of_epochs", 5),
    ("random_seed", 7), ("epochs", UNSET), ("batch_size", UNSET),
]


@pytest.mark.parametrize(("key", "value"), EDITS)
def test_edit_changes_one_value_and_keeps_every_other_byte(
        tmp_path: Path, key: str, value: object) -> None:
    root, project = _project(tmp_path, ODD)
    stack = UndoStack(project)
    stack.push(SetConfigSetting(key, value))
    project.save()
    text = read_text(root / "config.yml")
    assert text.startswith("\ufeff# Our pipeline")
    assert "\n" not in text.replace("\r\n", "")  # still CRLF only
    diet = _diet(text)
    if value is UNSET:
        assert key not in diet
    else:
        assert diet[key] == value
    old = {k: v for k, v in _diet(ODD).items() if k != key}
    assert {k: v for k, v in diet.items() if k != key} == old
    changed = _changed_lines(ODD.lstrip("\ufeff"), text.lstrip("\ufeff"))
    assert all(key in line for line in changed), changed  # only the edited key's line
    assert len(changed) <= 2
    assert project.config["pipeline"][2][key] == value if value is not UNSET else True
    # undo restores the exact bytes on save
    stack.undo()
    project.save()
    assert (root / "config.yml").read_bytes() == ODD.encode("utf-8")


def test_exponent_floats_are_written_so_that_yaml_1_1_reads_a_float(tmp_path) -> None:
    root, project = _project(tmp_path, ODD)
    UndoStack(project).push(SetConfigSetting("learning_rate", 1e-05))
    project.save()
    assert "learning_rate: 1.0e-05" in read_text(root / "config.yml")


def test_flow_style_entry_and_new_key_keep_the_layout(tmp_path: Path) -> None:
    text = ("language: en\npipeline:\n- name: WhitespaceTokenizer\n"
            "- {name: DIETClassifier, epochs: 5}  # quick\n")
    root, project = _project(tmp_path, text)
    UndoStack(project).push(SetConfigSetting("random_seed", 3))
    project.save()
    saved = read_text(root / "config.yml")
    assert saved.startswith("language: en\npipeline:\n- name: WhitespaceTokenizer\n")
    assert "# quick" in saved
    assert _diet(saved) == {"name": "DIETClassifier", "epochs": 5, "random_seed": 3}


def test_settings_and_data_edits_share_one_save_and_one_undo_history(
        tmp_path: Path) -> None:
    root, project = _project(tmp_path, ODD)
    stack = UndoStack(project)
    stack.push(AddExample(Example("hey there", "greet")))
    stack.push(SetConfigSetting("epochs", 11))
    assert project.modified
    project.save()
    assert "hey there" in read_text(root / "data" / "nlu.yml")
    assert _diet(read_text(root / "config.yml"))["epochs"] == 11
    stack.undo()
    stack.undo()
    project.save()
    assert read_text(root / "data" / "nlu.yml") == NLU
    assert (root / "config.yml").read_bytes() == ODD.encode("utf-8")


def test_training_snapshot_uses_the_edited_values(tmp_path: Path) -> None:
    _, project = _project(tmp_path, ODD)
    UndoStack(project).push(SetConfigSetting("epochs", 3))
    assert _diet_of(project.snapshot().config)["epochs"] == 3  # before any save


def _diet_of(config: dict) -> dict:
    return next(e for e in config["pipeline"] if e["name"] == "DIETClassifier")


# -- configs that cannot be edited -----------------------------------------------------
def test_a_config_that_did_not_load_is_never_edited_or_written(tmp_path: Path) -> None:
    broken = "pipeline:\n- name: DIETClassifier\n  epochs: [1, 2\n"
    root, project = _project(tmp_path, broken)
    with pytest.raises(ConfigEditError, match="config.yml"):
        UndoStack(project).push(SetConfigSetting("epochs", 3))
    add_example(project, Example("hey", "greet"))
    project.save()
    assert read_text(root / "config.yml") == broken


def test_a_pipeline_without_diet_refuses_diet_settings(tmp_path: Path) -> None:
    text = "pipeline:\n- name: WhitespaceTokenizer\n"
    root, project = _project(tmp_path, text)
    assert project.config_file.diet_settings() is None
    with pytest.raises(ConfigEditError, match="no DIETClassifier"):
        UndoStack(project).push(SetConfigSetting("epochs", 3))
    assert read_text(root / "config.yml") == text
    assert not project.modified


def test_read_only_config_refuses_the_save_and_writes_nothing(tmp_path: Path) -> None:
    root, project = _project(tmp_path, ODD)
    config = root / "config.yml"
    UndoStack(project).push(SetConfigSetting("epochs", 3))
    add_example(project, Example("hey", "greet"))
    config.chmod(stat.S_IRUSR)
    try:
        with pytest.raises(SaveError, match="read-only"):
            project.save()
    finally:
        config.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert config.read_bytes() == ODD.encode("utf-8")
    assert read_text(root / "data" / "nlu.yml") == NLU


# -- a project without config.yml ------------------------------------------------------
def test_no_config_shows_rasa_defaults_and_creates_only_with_consent(
        tmp_path: Path) -> None:
    root, project = _project(tmp_path, None)
    config_file = project.config_file
    assert config_file.uses_default_pipeline
    assert config_file.diet_settings() == {"epochs": 100,
                                           "constrain_similarities": True}
    stack = UndoStack(project)
    with pytest.raises(NeedsCreation):
        stack.push(SetConfigSetting("epochs", 5))
    assert files_to_create(project) == []
    stack.push(SetConfigSetting("epochs", 5, create=True))
    assert not (root / "config.yml").exists()  # written by the save, not the edit
    stack.undo()
    project.save()
    assert not (root / "config.yml").exists()  # undone: nothing to create
    stack.redo()
    project.save()
    text = read_text(root / "config.yml")
    assert "# DIET: the transformer" in text
    assert _diet(text) == {"name": "DIETClassifier", "epochs": 5,
                           "constrain_similarities": True}
    assert project.config_path == root / "config.yml"
    assert load_project(root).config == project.config


def test_default_config_text_is_the_default_pipeline() -> None:
    from workbench.nlu.pipeline import DEFAULT_PIPELINE

    assert _plain(DEFAULT_CONFIG_TEXT)["pipeline"] == [
        dict(e) for e in DEFAULT_PIPELINE]


@pytest.mark.parametrize("text", ["language: en\n", "# only a comment\n", "",
                                  "language: en\npipeline:\n"])
def test_config_without_pipeline_gets_the_default_one(tmp_path: Path,
                                                      text: str) -> None:
    root, project = _project(tmp_path, text)
    assert project.config_file.uses_default_pipeline
    UndoStack(project).push(SetConfigSetting("epochs", 9))
    project.save()
    saved = read_text(root / "config.yml")
    assert saved.startswith(text.split("pipeline")[0])  # what was there stays first
    names = [e["name"] for e in _plain(saved)["pipeline"]]
    assert names[0] == "WhitespaceTokenizer" and "DIETClassifier" in names
    assert _diet(saved)["epochs"] == 9


def test_single_file_project_has_no_editable_config(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(NLU, encoding="utf-8")
    project = load_project(path)
    with pytest.raises(ConfigEditError, match="single NLU file"):
        UndoStack(project).push(SetConfigSetting("epochs", 3, create=True))
    assert not (tmp_path / "config.yml").exists()


# -- device and threads ----------------------------------------------------------------
def test_machine_options_are_written_at_once_and_undone(tmp_path: Path) -> None:
    root, project = _project(tmp_path, ODD)
    assert read_machine_options(root) == (MachineOptions(), None)
    stack = UndoStack(project)
    stack.push(SetMachineOption("device", "cpu"))
    stack.push(SetMachineOption("threads", 2))
    assert read_machine_options(root)[0] == MachineOptions("cpu", 2)
    assert (root / "config.yml").read_bytes() == ODD.encode("utf-8")  # not in config
    stack.undo()
    assert read_machine_options(root)[0] == MachineOptions("cpu", None)
    with pytest.raises(ValueError, match="threads"):
        stack.push(SetMachineOption("threads", 0))


@pytest.mark.parametrize("content", ["{", "[]", '{"threads": -1}', '{"device": 3}',
                                     '{"threads": true}'])
def test_damaged_machine_options_give_defaults_and_a_message(
        tmp_path: Path, content: str) -> None:
    path = options_path(tmp_path)
    path.parent.mkdir()
    path.write_text(content, encoding="utf-8")
    options, problem = read_machine_options(tmp_path)
    assert options == MachineOptions()
    assert problem is not None and "training.json" in problem


def test_machine_options_file_is_plain_json(tmp_path: Path) -> None:
    root, project = _project(tmp_path, None)
    UndoStack(project).push(SetMachineOption("threads", 3))
    assert json.loads(options_path(root).read_text()) == {"device": "auto",
                                                          "threads": 3}


# -- layouts x edits: every edit reads back exactly, few lines change ------------------
def _layouts() -> list[str]:
    out = []
    for indent, offset in ((2, 0), (4, 2), (2, 2), (4, 0)):
        pad, item = " " * offset, " " * offset + "-" + " " * (indent - 1)
        inner = " " * (offset + indent)
        for tail in ("", "    - name: EntitySynonymMapper\n"):
            body = (f"pipeline:\n{item}name: WhitespaceTokenizer\n"
                    f"{pad}# the model\n{item}name: DIETClassifier  # eol\n"
                    f"{inner}epochs: 50\n{inner}# seed below\n{inner}random_seed: 1\n"
                    f"{pad}# after the model\n")
            body += tail.replace("    - ", item) if tail else ""
            out.append("language: en\n" + body)
            out.append("---\n# start\n" + body + "...\n")
            out.append("\ufeff" + ("language: en\n" + body).replace("\n", "\r\n"))
    out.append("pipeline: [{name: WhitespaceTokenizer}, {name: DIETClassifier, "
               "epochs: 2}]\n")
    return out


@pytest.mark.parametrize("layout", _layouts())
def test_every_edit_on_many_layouts_reads_back_and_changes_few_lines(
        tmp_path: Path, layout: str) -> None:
    root, project = _project(tmp_path, layout)
    stack = UndoStack(project)
    for key, value in EDITS:
        stack.push(SetConfigSetting(key, value))
        text = project.config_file.text
        diet = _diet(text)
        assert (key not in diet) if value is UNSET else diet[key] == value
        assert text.startswith("\ufeff") == layout.startswith("\ufeff")
        assert ("\r\n" in text) == ("\r\n" in layout)
        if "\n- " in layout or "\n  - " in layout or "\n    -" in layout:
            kept = [line for line in layout.lstrip("\ufeff").splitlines()
                    if "#" in line]
            assert all(line in text for line in kept), (key, text)
        stack.undo()
        assert project.config_file.text == layout


@pytest.mark.parametrize("text", [
    "pipeline: {name: DIETClassifier}\n",           # a mapping, not a list
    "pipeline:\n- DIETClassifier\n",                 # an entry that is not a mapping
    "pipeline:\n- name: DIETClassifier\n  epochs: 1\n  epochs: 2\n",  # duplicate key
    "- name: DIETClassifier\n",                      # a list at the top
    "pipeline:\n- name: DIETClassifier\n  epochs: &a [*a]\n",  # recursive alias
    "pipeline:\n- name: DIETClassifier\n  epochs: \x07\n",     # control character
])
def test_hostile_configs_refuse_edits_with_a_message_and_stay_untouched(
        tmp_path: Path, text: str) -> None:
    root, project = _project(tmp_path, text)
    with pytest.raises(ConfigEditError) as refused:
        UndoStack(project).push(SetConfigSetting("epochs", 3))
    assert str(refused.value)
    add_example(project, Example("hey", "greet"))
    project.save()
    assert read_text(root / "config.yml") == text
