"""``PUT /model``: swapping models while requests run drops none of them."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from tests.serving.conftest import call, start_server


def test_swap_while_clients_parse_drops_nothing(server, trained) -> None:
    stop = threading.Event()
    results: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        while not stop.is_set():
            status, body = call(server, "POST", "/model/parse", {"text": f"hello {n}"})
            with lock:
                results.append(status if body.get("text") == f"hello {n}" else -1)

    clients = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in clients:
        thread.start()
    try:
        for target in (trained.model_b, trained.model_a, trained.model_b):
            time.sleep(0.3)
            status, body = call(server, "PUT", "/model", {"model_file": str(target)})
            assert status == 204, body
            assert call(server, "GET", "/status")[1]["model_id"] == target.name
    finally:
        stop.set()
        for thread in clients:
            thread.join(30)
    assert len(results) > 20
    assert set(results) == {200}


def test_requests_in_flight_finish_on_the_model_they_started_with(trained) -> None:
    server = start_server(trained.model_a, max_batch=1)  # answers exactly as alone
    try:
        _swap_with_requests_in_flight(server, trained)
    finally:
        server.stop()


def _swap_with_requests_in_flight(server, trained) -> None:
    from workbench.nlu.intra_op import GATE

    old = call(server, "POST", "/model/parse", {"text": "bye"})[1]
    answers: list[tuple[int, dict]] = []
    swaps: list[int] = []
    with GATE.use(3):  # hold the parses (and the next load) inside the gate
        clients = [threading.Thread(target=lambda: answers.append(
            call(server, "POST", "/model/parse", {"text": "bye"}))) for _ in range(4)]
        for thread in clients:
            thread.start()
        time.sleep(0.5)  # four requests in flight, each holding model A
        swapper = threading.Thread(target=lambda: swaps.append(call(
            server, "PUT", "/model", {"model_file": str(trained.model_b)})[0]))
        swapper.start()
        time.sleep(0.3)
        assert not answers and not swaps
    for thread in [*clients, swapper]:
        thread.join(30)
    assert swaps == [204]
    assert [status for status, _ in answers] == [200] * 4
    assert all(body == old for _, body in answers)  # finished on model A
    new = call(server, "POST", "/model/parse", {"text": "bye"})[1]
    assert new != old  # model B (another seed) answers differently
    assert call(server, "GET", "/status")[1]["model_id"] == trained.model_b.name


def test_project_path_swaps_to_its_active_model(server, trained) -> None:
    status, _ = call(server, "PUT", "/model", {"model_file": str(trained.project)})
    assert status == 204
    from workbench.training.active_model import active_model

    expected = active_model(trained.project)
    assert expected is not None
    assert call(server, "GET", "/status")[1]["model_file"] == str(expected.resolve())


def test_failed_swap_keeps_the_old_model(server, trained, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(trained.model_b, damaged)
    weights = damaged / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    for source, words in ((damaged, "checksum"), (tmp_path / "nothing", "no such"),
                          (tmp_path, "no trained model")):
        status, body = call(server, "PUT", "/model", {"model_file": str(source)})
        assert status == 400, body
        assert words in body["message"] and trained.model_a.name in body["message"]
        assert call(server, "GET", "/status")[1]["model_id"] == trained.model_a.name
    assert call(server, "POST", "/model/parse", {"text": "hi"})[0] == 200
