"""Two ``workbench train`` processes on one project at the same time (issue 9, item 14).

Each run must get its own model folder, its own history row pointing at it, and the
shared training cache must stay usable: a third run with nothing changed is restored
from it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbench.nlu.predictor_loader import load_model
from workbench.training.run_history import FINISHED, RunHistory

TRAIN = [sys.executable, "-m", "workbench.cli.main", "train", "--epochs", "2",
         "--threads", "1", "--no-progress"]


def _start(project: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([*TRAIN, str(project)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _finish(process: subprocess.Popen) -> Path:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return Path(out.strip().splitlines()[-1])


def test_two_concurrent_trains_get_their_own_model_folders(tiny_project: Path,
                                                           tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    first, second = _start(tiny_project, env), _start(tiny_project, env)
    folders = [_finish(first), _finish(second)]

    assert folders[0] != folders[1]
    for folder in folders:
        assert folder.parent == tiny_project / "models"
        assert (folder / "checksums.json").is_file()
        parsed = load_model(folder).parse("I want a large pizza")
        assert parsed["intent"]["name"] is not None

    runs = RunHistory.for_project(tiny_project).runs()
    assert [run.status for run in runs] == [FINISHED, FINISHED]
    assert {Path(run.model_path) for run in runs} == set(folders)
    assert len({run.id for run in runs}) == 2

    # The cache both processes wrote is intact: nothing changed, so DIET is restored.
    third = _finish(_start(tiny_project, env))
    assert third not in folders
    latest = RunHistory.for_project(tiny_project).runs()[-1]
    assert Path(latest.model_path) == third
    assert "diet" in latest.nodes_cached and "diet" not in latest.nodes_run
    assert load_model(third).parse("bye")["intent"]["name"] is not None
