"""The user's copy of the bundled sample project (workbench/core/sample_project.py)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.core import sample_project as sp
from workbench.core.project import load_project


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".workbench" not in path.relative_to(root).parts
    }


def test_the_sample_resolves_to_the_repository_folder_in_a_checkout() -> None:
    assert sp.SAMPLE_PROJECT == REPO_ROOT / "sample_projects" / "pizza"
    assert (sp.SAMPLE_PROJECT / "data" / "nlu.yml").is_file()


def test_installed_locations_are_looked_up_under_the_prefix(tmp_path) -> None:
    candidates = sp.installed_sample_candidates()
    assert candidates[0] == sp.SOURCE_SAMPLE_PROJECT
    expected = Path(sys.prefix) / "share" / "workbench" / "sample_projects" / "pizza"
    assert expected in candidates
    installed = tmp_path / "share" / "workbench" / "sample_projects" / "pizza"
    (installed / "data").mkdir(parents=True)
    assert sp.find_sample_project((tmp_path / "nowhere", installed)) == installed
    assert sp.find_sample_project((tmp_path / "nowhere",)) is None


def test_first_use_copies_the_sample_and_later_uses_reuse_the_copy(tmp_path) -> None:
    first = sp.user_sample_copy(tmp_path / "home")
    assert first.created and first.path == tmp_path / "home" / "pizza"
    assert _files(first.path) == _files(sp.SAMPLE_PROJECT)
    assert "Copied the sample project to" in first.describe()
    assert str(first.path) in first.describe()
    project = load_project(first.path)
    assert len(project.examples) > 100 and not project.load_issues

    nlu = first.path / "data" / "nlu.yml"
    nlu.write_text(nlu.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    again = sp.user_sample_copy(tmp_path / "home")
    assert again == sp.SampleCopy(first.path, created=False)
    assert nlu.read_text(encoding="utf-8").endswith("# my edit\n")  # never overwritten
    assert "your copy" in again.describe() and str(first.path) in again.describe()
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["pizza"]


def test_a_foreign_folder_of_the_same_name_is_left_alone(tmp_path) -> None:
    home = tmp_path / "home"
    mine = home / "pizza"
    (mine / "data").mkdir(parents=True)
    (mine / "data" / "nlu.yml").write_text("my own project\n", encoding="utf-8")
    (home / "pizza-2").write_text("a file, not a folder\n", encoding="utf-8")
    copy = sp.user_sample_copy(home)
    assert copy.created and copy.path == home / "pizza-3"
    assert (mine / "data" / "nlu.yml").read_text(encoding="utf-8") == "my own project\n"
    assert sp.user_sample_copy(home).path == home / "pizza-3"


def test_outputs_of_runs_on_the_bundled_folder_are_not_copied(tmp_path) -> None:
    sample = tmp_path / "sample"
    (sample / "data").mkdir(parents=True)
    (sample / "data" / "nlu.yml").write_text("version: '3.1'\nnlu: []\n")
    (sample / "models" / "run1").mkdir(parents=True)
    (sample / ".workbench").mkdir()
    (sample / ".workbench" / "runs.db").write_bytes(b"x")
    copy = sp.user_sample_copy(tmp_path / "home", sample)
    assert sorted(_files(copy.path)) == ["data/nlu.yml"]
    assert not (copy.path / "models").exists()
    assert sp.is_sample_copy(copy.path)
    assert not (copy.path / ".workbench" / "runs.db").exists()


def test_a_read_only_installed_sample_gives_a_writable_copy(tmp_path) -> None:
    sample = tmp_path / "sample"
    (sample / "data").mkdir(parents=True)
    nlu = sample / "data" / "nlu.yml"
    nlu.write_text("version: '3.1'\nnlu: []\n")
    for path in (nlu, sample / "data", sample):
        path.chmod(stat.S_IREAD | (stat.S_IEXEC if path.is_dir() else 0))
    try:
        copy = sp.user_sample_copy(tmp_path / "home", sample)
    finally:
        for path in (sample, sample / "data", nlu):
            path.chmod(0o755 if path.is_dir() else 0o644)
    for path in (copy.path, copy.path / "data", copy.path / "data" / "nlu.yml"):
        assert path.stat().st_mode & stat.S_IWUSR, path  # mode bits: root ignores them


def test_a_missing_sample_or_unwritable_folder_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(sp.SampleCopyError, match="bundled sample project is missing"):
        sp.user_sample_copy(tmp_path / "home", tmp_path / "no-sample")
    assert not (tmp_path / "home" / "pizza").exists()
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be\n")
    with pytest.raises(sp.SampleCopyError, match="cannot copy the sample project to "
                       r".*blocker.*WORKBENCH_HOME"):
        sp.user_sample_copy(blocker / "sub")


def test_a_failed_copy_leaves_nothing_half_written(tmp_path, monkeypatch) -> None:
    def broken_copytree(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sp.shutil, "copytree", broken_copytree)
    with pytest.raises(sp.SampleCopyError, match="No space left on device"):
        sp.user_sample_copy(tmp_path / "home")
    assert list((tmp_path / "home").iterdir()) == []


def test_the_user_folder_is_configurable(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(sp.HOME_VARIABLE, str(tmp_path / "elsewhere"))
    assert sp.user_folder() == tmp_path / "elsewhere"
    monkeypatch.delenv(sp.HOME_VARIABLE)
    assert sp.user_folder() == Path.home() / "NLU Workbench"
