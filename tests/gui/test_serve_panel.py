"""The Serve tab: "Serve the active model" starts a real server in the background,
shows its URL and request count, and the server stops when the window closes."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory):
    pytest.importorskip("torch")
    from tests.serving.conftest import train_tiny
    from tests.training.conftest import TINY

    if not TINY.is_dir():
        pytest.skip(f"sample project missing: {TINY}")
    folder = tmp_path_factory.mktemp("serve-gui")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder / "user-cache"))
        yield train_tiny(folder)


def _window(qtbot, settings_store, prompter, project: Path):
    from workbench.qt.main_window import MainWindow

    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(project)
    win.resize(1100, 700)
    win.show()
    return win


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_from_the_window_counts_requests_and_stops_on_close(
        qtbot, settings_store, prompter, trained_tiny, tmp_path) -> None:
    from workbench.training.active_model import active_model

    win = _window(qtbot, settings_store, prompter, trained_tiny.project)
    panel = win.serve_panel
    panel.port.setValue(_free_port())
    win.actions["serve_model"].trigger()
    assert win.tabs.currentWidget() is panel
    qtbot.waitUntil(lambda: panel.running, timeout=60_000)
    url = panel.url
    assert url in panel.state.text()
    assert str(active_model(trained_tiny.project).resolve()) in panel.model_label.text()
    request = urllib.request.Request(url + "/model/parse", method="POST",
                                     data=json.dumps({"text": "hello"}).encode())
    with urllib.request.urlopen(request, timeout=20) as response:
        assert json.loads(response.read())["text"] == "hello"
    qtbot.waitUntil(lambda: "Requests answered: 1 (1 parses" in panel.requests.text(),
                    timeout=10_000)
    assert not panel.port.isEnabled()
    assert win.grab().save(str(tmp_path / "serve-tab.png"))  # it paints

    server = panel.server
    win.discard_and_close()
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.server.port), timeout=2).close()


def test_stop_button_and_port_in_use(qtbot, settings_store, prompter, trained_tiny
                                     ) -> None:
    win = _window(qtbot, settings_store, prompter, trained_tiny.project)
    panel = win.serve_panel
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        panel.port.setValue(taken.getsockname()[1])
        panel.button.click()
        qtbot.waitUntil(lambda: "choose another port" in panel.state.text(),
                        timeout=60_000)
    assert not panel.running and panel.button.isEnabled()
    panel.port.setValue(_free_port())
    panel.button.click()
    qtbot.waitUntil(lambda: panel.running, timeout=60_000)
    server = panel.server
    panel.button.click()  # "Stop serving"
    assert not panel.running and not server.running
    assert panel.state.text() == "Not serving."
    win.discard_and_close()


def test_without_a_trained_model_it_says_what_to_do(qtbot, settings_store, prompter,
                                                    pizza_project_dir) -> None:
    win = _window(qtbot, settings_store, prompter, pizza_project_dir)
    assert win.serve_panel.start() is False
    assert "no trained model yet" in win.serve_panel.state.text()
    assert not win.serve_panel.running
    win.discard_and_close()
