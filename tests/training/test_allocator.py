"""Training processes run with tcmalloc where it is installed (allocator.py)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.conftest import TINY, tiny_config
from workbench.training import allocator

INSTALLED = allocator.preload_library({}) if sys.platform.startswith("linux") else None
needs_tcmalloc = pytest.mark.skipif(
    INSTALLED is None, reason="tcmalloc is not installed (libtcmalloc-minimal4)")
ROOT = Path(__file__).resolve().parents[2]


def test_choice_from_the_environment(tmp_path, monkeypatch):
    lib = tmp_path / "libother.so"
    lib.write_bytes(b"")
    monkeypatch.setattr(sys, "platform", "linux")
    assert allocator.preload_library({"WORKBENCH_MALLOC": "system"}) is None
    assert allocator.preload_library({"WORKBENCH_MALLOC": " System "}) is None
    assert allocator.preload_library({"WORKBENCH_MALLOC": str(lib)}) == str(lib)
    # A named library that is not there: keep the system allocator, never fail.
    assert allocator.preload_library(
        {"WORKBENCH_MALLOC": str(tmp_path / "missing.so")}) is None
    monkeypatch.setattr(sys, "platform", "darwin")
    assert allocator.preload_library({"WORKBENCH_MALLOC": str(lib)}) is None
    assert allocator.preload_library({}) is None


def test_environment_prepends_once_and_keeps_other_preloads():
    env = allocator.with_allocator({"LD_PRELOAD": "/x/libfoo.so", "A": "1"}, "/l/tc.so")
    assert env["LD_PRELOAD"] == "/l/tc.so /x/libfoo.so"
    assert env["A"] == "1"
    again = allocator.with_allocator(env, "/l/tc.so")
    assert again["LD_PRELOAD"] == "/l/tc.so /x/libfoo.so"
    assert allocator.with_allocator({}, "/l/tc.so")["LD_PRELOAD"] == "/l/tc.so"


def test_allocator_environment_restores_os_environ(tmp_path, monkeypatch):
    lib = tmp_path / "libtc.so"
    lib.write_bytes(b"")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("WORKBENCH_MALLOC", str(lib))
    monkeypatch.setenv("LD_PRELOAD", "/x/libfoo.so")
    before = dict(os.environ)
    with allocator.allocator_environment() as chosen:
        assert chosen == str(lib)
        assert os.environ["LD_PRELOAD"] == f"{lib} /x/libfoo.so"
    assert dict(os.environ) == before
    monkeypatch.setenv("WORKBENCH_MALLOC", "system")
    with allocator.allocator_environment() as chosen:
        assert chosen is None
        assert dict(os.environ) == {**before, "WORKBENCH_MALLOC": "system"}


def _report(queue) -> None:  # noqa: ANN001 - runs in the spawned child
    from workbench.nlu.diet import memory
    from workbench.training.allocator import active_library

    queue.put((active_library(), memory._tcmalloc() is not None))


@needs_tcmalloc
def test_spawned_training_child_runs_with_tcmalloc(monkeypatch):
    monkeypatch.delenv("WORKBENCH_MALLOC", raising=False)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    results = []
    for choice in (None, "system"):
        if choice:
            monkeypatch.setenv("WORKBENCH_MALLOC", choice)
        with allocator.allocator_environment():
            child = context.Process(target=_report, args=(queue,))
            child.start()
        results.append(queue.get(timeout=60))
        child.join(30)
    (library, releases), (none, no_release) = results
    assert library is not None and "tcmalloc" in library and releases
    assert none is None and not no_release
    assert "LD_PRELOAD" not in os.environ or "tcmalloc" not in os.environ["LD_PRELOAD"]


def _train(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    project = tmp_path / "project"
    if not project.exists():
        shutil.copytree(TINY, project)
        (tmp_path / "config.yml").write_text(json.dumps(tiny_config(epochs=1)))
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli.main", "train", str(project),
         "--config", str(tmp_path / "config.yml"), "--verbose", "--no-progress",
         "--out", str(tmp_path / "models"), "--threads", "1"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)


@needs_tcmalloc
def test_workbench_train_reexecutes_with_tcmalloc(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_MALLOC")}
    done = _train(tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert "note: memory allocator " in done.stderr
    assert "tcmalloc" in done.stderr.split("note: memory allocator ")[1].splitlines()[0]
    assert "large alloc" not in done.stderr
    plain = _train(tmp_path, {**env, "WORKBENCH_MALLOC": "system"})
    assert plain.returncode == 0, plain.stderr
    assert "note: memory allocator of the system (malloc)" in plain.stderr


def test_only_commands_that_train_reexecute():
    from workbench.cli.main import _trains, build_parser

    parser = build_parser()

    def trains(*argv: str) -> bool:
        return _trains(parser.parse_args(list(argv)))

    assert trains("train", "project")
    assert trains("test", "project", "--cross-validation", "3")
    assert trains("app", "project", "--train")
    assert not trains("test", "models/x", "data/test.yml")
    assert not trains("app", "project")
    assert not trains("parse", "models/x", "hello")
    assert not trains("serve", "models/x")
