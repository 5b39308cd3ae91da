"""Requests that queue up share one forward pass; answers match lone parses."""

from __future__ import annotations

import threading
import time

from tests.serving.conftest import call
from workbench.nlu.predictor_loader import load_model

TEXTS = ["hello", "hi there", "goodbye", "see you", "fly to Berlin", "book a flight",
         "good morning", "bye bye"]


def test_queued_requests_are_batched_and_match_lone_parses(server, trained) -> None:
    from workbench.nlu.intra_op import GATE

    model = load_model(trained.model_a)
    alone = {text: model.parse(text) for text in TEXTS}
    answers: dict[str, dict] = {}
    before = server.server.batcher.batches
    with GATE.use(3):  # hold the workers so the requests queue up
        clients = [threading.Thread(target=lambda t=text: answers.__setitem__(
            t, call(server, "POST", "/model/parse", {"text": t})[1])) for text in TEXTS]
        for thread in clients:
            thread.start()
        time.sleep(0.8)
    for thread in clients:
        thread.join(30)
    batches = server.server.batcher.batches - before
    assert len(answers) == len(TEXTS)
    assert batches < len(TEXTS)  # at least two requests shared a forward pass
    for text, answer in answers.items():
        expected = alone[text]
        assert answer["text"] == text
        assert answer["intent"]["name"] == expected["intent"]["name"]
        assert abs(answer["intent"]["confidence"]
                   - expected["intent"]["confidence"]) < 1e-4
        assert [
            (e["entity"], e["start"], e["end"], e["value"]) for e in answer["entities"]
        ] == [
            (e["entity"], e["start"], e["end"], e["value"])
            for e in expected["entities"]
        ]


def test_a_long_text_is_not_batched_with_short_ones(server) -> None:
    long_text = "hello " * 2000
    results = []
    threads = [threading.Thread(target=lambda t=t: results.append(
        call(server, "POST", "/model/parse", {"text": t}))) for t in
        [long_text, "hi", "bye", long_text]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in results) == [200] * 4
    assert sum(1 for _, body in results if body.get("truncated")) == 2


def test_a_lone_client_gets_one_forward_pass_per_request(server) -> None:
    batcher = server.server.batcher
    batches, batched = batcher.batches, batcher.batched
    for text in TEXTS:
        status, answer = call(server, "POST", "/model/parse", {"text": text})
        assert status == 200 and answer["text"] == text
    assert batcher.batches - batches == len(TEXTS)  # one forward pass each
    assert batcher.batched - batched == len(TEXTS)
