"""A save never loses a byte: failed files, new files, links, permissions, atomicity."""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import stat
import tempfile
import time
from pathlib import Path

import pytest

from workbench.core.examples import Example
from workbench.core.project import NewFilesNeeded, SaveError, load_project
from workbench.core.project_edits import add_example, add_intent, replace_example
from workbench.core.saving import files_to_create
from workbench.core.yaml_io.atomic import is_temp_name, new_file_mode

BROKEN = ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n'
          '- intent: bye\n  examples: [unclosed\n')
GOOD = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n'


def _temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if is_temp_name(p.name)]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- files that did not load -----------------------------------------------------------
def test_broken_file_in_folder_is_never_written(make_project) -> None:
    root = make_project({"config.yml": "language: en\n", "data/nlu.yml": BROKEN})
    project = load_project(root)
    broken = root / "data" / "nlu.yml"
    assert project.failed_paths == [broken]
    add_example(project, Example("hey", "greet"))
    new = root / "data" / "nlu_2.yml"
    assert files_to_create(project) == [new]
    with pytest.raises(NewFilesNeeded) as raised:
        project.save()
    assert raised.value.paths == [new] and not new.exists()
    assert project.save(create_files=True) == [new]
    assert broken.read_text() == BROKEN
    assert _mode(new) == new_file_mode()
    assert project.failed_paths == [broken]


def test_single_broken_file_refuses_to_save_and_writes_nowhere(tmp_path: Path) -> None:
    folder = tmp_path / "some"
    (folder / "data").mkdir(parents=True)
    broken = folder / "broken.yml"
    broken.write_text(BROKEN)
    other = folder / "data" / "nlu.yml"
    other.write_text(GOOD)
    project = load_project(broken)
    assert project.failed_paths == [broken]
    add_intent(project, "new_intent")
    add_example(project, Example("one example", "new_intent"))
    with pytest.raises(SaveError) as raised:
        project.save(create_files=True)
    assert str(broken) in str(raised.value) and "fix" in str(raised.value)
    assert broken.read_text() == BROKEN and other.read_text() == GOOD
    assert sorted(p.name for p in folder.rglob("*")) == [
        "broken.yml",
        "data",
        "nlu.yml",
    ]


def test_single_file_project_saves_into_that_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    other = tmp_path / "data" / "nlu.yml"
    other.write_text(GOOD)
    path = tmp_path / "mine.yml"
    path.write_text(GOOD)
    project = load_project(path)
    add_example(project, Example("ciao", "bye"))
    assert files_to_create(project) == []
    assert project.save() == [path]
    assert other.read_text() == GOOD
    assert [(e.intent, e.text) for e in load_project(path).examples][-1] == ("bye",
                                                                             "ciao")


def test_empty_single_file_takes_new_intents(tmp_path: Path) -> None:
    path = tmp_path / "empty.yml"
    path.write_text("")
    project = load_project(path)
    add_example(project, Example("hi", "greet"))
    assert project.save() == [path]
    assert [e.text for e in load_project(path).examples] == ["hi"]


# -- a folder without Rasa data --------------------------------------------------------
def test_folder_without_rasa_data_says_so_and_asks_before_creating(tmp_path: Path
                                                                   ) -> None:
    for name in ("notes.txt", "photo.png", "todo.md"):
        (tmp_path / name).write_text("x")
    project = load_project(tmp_path)
    issues = [i for i in project.load_issues if i.code == "no-project-data"]
    assert len(issues) == 1 and issues[0].severity == "warning"
    assert "config.yml" in issues[0].message and "3 file(s)" in issues[0].message
    assert str(tmp_path) in issues[0].message and issues[0].hint
    add_example(project, Example("hi", "greet"))
    with pytest.raises(NewFilesNeeded):
        project.save()
    assert not (tmp_path / "data").exists()
    old = os.umask(0o027)
    try:
        written = project.save(create_files=True)
    finally:
        os.umask(old)
    assert written == [tmp_path / "data" / "nlu.yml"]
    assert _mode(written[0]) == 0o640


def test_project_with_data_has_no_no_project_data_issue(golden_project: Path) -> None:
    codes = {i.code for i in load_project(golden_project).load_issues}
    assert "no-project-data" not in codes


# -- links and permissions -------------------------------------------------------------
def test_symlinked_data_file_is_written_through(make_project, tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "nlu.yml"
    shared.parent.mkdir()
    shared.write_text(GOOD)
    root = make_project({"config.yml": "language: en\n"})
    (root / "data").mkdir()
    link = root / "data" / "nlu.yml"
    link.symlink_to(shared)
    project = load_project(root)
    add_example(project, Example("hey", "greet"))
    assert project.save() == [link]
    assert link.is_symlink() and os.readlink(link) == str(shared)
    assert "- hey" in shared.read_text()
    assert _temps(root) == [] and _temps(shared.parent) == []


def test_read_only_file_is_refused_before_anything_is_written(golden_project: Path
                                                              ) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    extra = golden_project / "data" / "more" / "extra.yaml"
    before = nlu.read_bytes(), extra.read_bytes()
    project = load_project(golden_project)
    extra.chmod(0o444)
    for index, example in enumerate(project.examples):  # edit both files
        if example.text in ("hey", "servus"):
            replace_example(project, index, dataclasses.replace(example, text="yo"))
    with pytest.raises(SaveError) as raised:
        project.save()
    assert str(extra) in str(raised.value) and "chmod" in str(raised.value)
    assert (nlu.read_bytes(), extra.read_bytes()) == before
    assert _mode(extra) == 0o444
    extra.chmod(0o644)
    assert sorted(project.save()) == sorted([nlu, extra])


def test_folder_error_names_the_data_file_not_the_temp(golden_project: Path,
                                                       monkeypatch) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    project = load_project(golden_project)
    index = next(i for i, e in enumerate(project.examples) if e.text == "hi there")
    replace_example(project, index, dataclasses.replace(project.examples[index],
                                                        text="hi you"))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # a folder we may not write to
    with pytest.raises(OSError) as raised:
        project.save()
    message = str(raised.value)
    assert str(nlu) in message and "nothing was changed" in message
    assert ".tmp" not in message


# -- several files: all or nothing -----------------------------------------------------
def test_error_on_second_file_leaves_first_unwritten(golden_project: Path,
                                                     monkeypatch) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    extra = golden_project / "data" / "more" / "extra.yaml"
    before = nlu.read_bytes(), extra.read_bytes()
    project = load_project(golden_project)
    for index, example in enumerate(project.examples):
        if example.text in ("hey", "servus"):
            replace_example(project, index, dataclasses.replace(example, text="yo"))
    real = tempfile.mkstemp
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(kwargs.get("dir"))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", second_fails)
    with pytest.raises(OSError, match="nothing was changed"):
        project.save()
    assert (nlu.read_bytes(), extra.read_bytes()) == before
    assert _temps(golden_project) == []
    monkeypatch.setattr(tempfile, "mkstemp", real)
    assert len(project.save()) == 2  # the edits are still there and get written
    texts = [e.text for e in load_project(golden_project).examples]
    assert texts.count("yo") == 2


def test_stale_temp_files_are_removed_on_open(golden_project: Path) -> None:
    stale = [golden_project / "data" / ".nlu.yml.ab12cd34.tmp",
             golden_project / "data" / "more" / ".extra.yaml.zz_9aa00.tmp"]
    for path in stale:
        path.write_text("half a file")
    keep = golden_project / "data" / ".notes.tmp"  # not ours: left alone
    keep.write_text("x")
    project = load_project(golden_project)
    assert not any(path.exists() for path in stale) and keep.exists()
    issue = [i for i in project.load_issues if i.code == "stale-temp-removed"]
    assert len(issue) == 1 and "2 temp file(s)" in issue[0].message


def test_new_file_never_replaces_a_file_that_appeared(make_project) -> None:
    root = make_project({"config.yml": "language: en\n"})
    project = load_project(root)
    add_example(project, Example("hi", "greet"))
    assert files_to_create(project) == [root / "data" / "nlu.yml"]
    (root / "data").mkdir()
    (root / "data" / "nlu.yml").write_text("mine\n")
    with pytest.raises(SaveError):
        project.save(create_files=True)
    assert (root / "data" / "nlu.yml").read_text() == "mine\n"


# -- killed saves ----------------------------------------------------------------------
def _save_forever(root: Path, variants: list[tuple[str, str]]) -> None:
    """Child process: alternate the two contents and save, until killed."""
    project = load_project(root)
    turn = 0
    while True:
        old, new = variants[turn % 2]
        for index, example in enumerate(project.examples):
            if example.text in (old, old + " too"):
                suffix = example.text[len(old):]
                replace_example(project, index,
                                dataclasses.replace(example, text=new + suffix))
        project.save()
        turn += 1


def test_sigkill_during_saves_leaves_old_or_new_content(golden_project: Path) -> None:
    nlu = golden_project / "data" / "nlu.yml"
    extra = golden_project / "data" / "more" / "extra.yaml"
    # "hey" in nlu.yml and "servus" -> edit both files in every save
    project = load_project(golden_project)
    for index, example in enumerate(project.examples):
        if example.text == "servus":
            replace_example(project, index,
                            dataclasses.replace(example, text="hey too"))
    project.save()
    files = (nlu, extra)
    state_a = tuple(p.read_bytes() for p in files)
    variants = [("hey", "yo"), ("yo", "hey")]
    replace_example(project, project.examples.index(next(
        e for e in project.examples if e.text == "hey")),
        dataclasses.replace(next(e for e in project.examples if e.text == "hey"),
                    text="yo"))
    index = next(i for i, e in enumerate(project.examples) if e.text == "hey too")
    replace_example(project, index, dataclasses.replace(project.examples[index],
                                                        text="yo too"))
    project.save()
    state_b = tuple(p.read_bytes() for p in files)
    assert state_a != state_b
    rng = random.Random(4)
    started = time.monotonic()
    kills = left_behind = 0
    seen: set[tuple[int, bool]] = set()
    while kills < 40 and time.monotonic() - started < 15:
        pid = os.fork()
        if pid == 0:  # child
            try:
                _save_forever(golden_project, variants)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.02, 0.25))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kills += 1
        for number, path in enumerate(files):
            content = path.read_bytes()
            assert content in (state_a[number], state_b[number]), path
            seen.add((number, content == state_a[number]))
        left_behind += len(_temps(golden_project))
        load_project(golden_project)  # cleans up after the killed save
        assert _temps(golden_project) == []
    assert kills >= 20
    assert len(seen) == 4  # both contents of both files were seen: saves did happen
    print(f"{kills} kills, {left_behind} temp files left by killed saves")
