"""``workbench serve``: arguments, load errors (exit 2), a real process stopped by
SIGTERM, one access-log line per request."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from workbench.cli.main import main

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("args", "words"), [
    (["--port", "70000"], "--port 70000"),
    (["--workers", "-1"], "--workers -1"),
    (["--timeout", "0"], "--timeout 0"),
    (["--auth-token", ""], "--auth-token is empty"),
])
def test_bad_arguments_exit_2(trained, capsys, args, words) -> None:
    assert main(["serve", str(trained.model_a), *args]) == 2
    assert words in capsys.readouterr().err


def test_unloadable_models_exit_2_with_the_reason(trained, tmp_path, capsys) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(trained.model_a, damaged)
    (damaged / "metadata.json").write_text("{not json", encoding="utf-8")
    empty_project = tmp_path / "project"
    (empty_project / "data").mkdir(parents=True)
    for source, words in ((damaged, "metadata.json"), (tmp_path / "none", "no such"),
                          (empty_project, "workbench train")):
        assert main(["serve", str(source)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("workbench: error: ") and words in err
        assert "Traceback" not in err


def _start(args: list[str]) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli.main", "serve", *args],
        cwd=REPO_ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()  # "Serving ... at http://127.0.0.1:PORT ..."
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
    if not match:
        process.kill()
        raise AssertionError(f"no URL in {line!r}: {process.stderr.read()}")
    return process, match.group(1)


def test_project_is_served_and_sigterm_stops_it(trained) -> None:
    process, url = _start([str(trained.project), "--port", "0", "--workers", "1"])
    try:
        with urllib.request.urlopen(url + "/status", timeout=20) as response:
            status = json.loads(response.read())
        from workbench.training.active_model import active_model

        assert status["model_file"] == str(active_model(trained.project).resolve())
        request = urllib.request.Request(url + "/model/parse", method="POST",
                                         data=json.dumps({"text": "hello"}).encode())
        with urllib.request.urlopen(request, timeout=20) as response:
            assert json.loads(response.read())["text"] == "hello"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    access = [line for line in err.splitlines() if '" 200 ' in line]
    assert len(access) == 2  # one line per request
    assert any('"GET /status HTTP/1.1" 200' in line for line in access)
    assert any('"POST /model/parse HTTP/1.1" 200' in line for line in access)
    assert err.rstrip().endswith("stopped")


def test_port_in_use_exits_2(trained, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        assert main(["serve", str(trained.model_a), "--port", str(port)]) == 2
        assert time.monotonic() - started < 60
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}: cannot listen" in err and "--port" in err
