"""Serving fixtures: the tiny sample project trained once per session (two models, for
swaps), a real server on an ephemeral port, and a plain HTTP client."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.training.conftest import TINY, tiny_config
from workbench.cli.main import main


@dataclass(frozen=True)
class Trained:
    """A copy of the tiny project with two trained models (seeds 1 and 2)."""

    project: Path
    model_a: Path
    model_b: Path


def train_tiny(folder: Path) -> Trained:
    """Copy ``sample_projects/tiny`` into ``folder`` and train it twice, 3 epochs."""
    project = folder / "tiny"
    shutil.copytree(TINY, project)
    config = folder / "tiny-config.yml"
    with config.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(tiny_config(), handle)
    models = []
    for seed in (1, 2):
        out = folder / f"model-{seed}"
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(["train", str(project), "--config", str(config), "--epochs",
                           "3", "--seed", str(seed), "--device", "cpu", "--out",
                           str(out), "--no-progress"])
        assert status == 0
        models.append(out)
    return Trained(project, models[0], models[1])


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    if not TINY.is_dir():
        pytest.skip(f"sample project missing: {TINY}")
    folder = tmp_path_factory.mktemp("serve")
    with pytest.MonkeyPatch.context() as patch:  # never the developer's ~/.cache
        patch.setenv("XDG_CACHE_HOME", str(folder / "user-cache"))
        patch.delenv("WORKBENCH_CACHE_MB", raising=False)
        patch.delenv("WORKBENCH_CACHE_DIR", raising=False)
        yield train_tiny(folder)


def start_server(model: Path, **config: Any) -> Any:
    """A started BackgroundServer on 127.0.0.1, any free port, serving ``model``."""
    from workbench.serving.model_slot import ModelSlot, load_served
    from workbench.serving.server import BackgroundServer, ServeConfig

    settings = {"port": 0, "workers": 2, "body_timeout": 1.0, "idle_timeout": 1.5,
                "shutdown_timeout": 5.0, **config}
    server = BackgroundServer(ModelSlot(load_served(model)), ServeConfig(**settings))
    server.start()
    return server


@pytest.fixture
def server(trained: Trained) -> Iterator[Any]:
    server = start_server(trained.model_a)
    yield server
    server.stop()
    assert not server.running


def call(server: Any, method: str, path: str, body: bytes | str | dict | None = None,
         headers: dict[str, str] | None = None, timeout: float = 20.0
         ) -> tuple[int, Any]:
    """One request on a fresh connection; (status, JSON body or text)."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    connection = http.client.HTTPConnection("127.0.0.1", server.server.port,
                                            timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        kind = response.getheader("Content-Type", "")
    finally:
        connection.close()
    data = json.loads(raw) if kind.startswith("application/json") else raw.decode()
    return response.status, data
