"""Each endpoint, auth and every bad-input class over real HTTP (a real server on an
ephemeral port, serving a really trained tiny model)."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time

import pytest

from tests.serving.conftest import call, start_server
from workbench.cli.main import main
from workbench.serving.protocol import MAX_BODY_BYTES


def raw_exchange(server, data: bytes, *, pause_after: float = 0.0,
                 timeout: float = 10.0) -> tuple[bytes, float]:
    """Send raw bytes, read until the server closes; (answer, seconds until closed)."""
    started = time.monotonic()
    with socket.create_connection(
        ("127.0.0.1", server.server.port), timeout=timeout
    ) as s:
        s.sendall(data)
        if pause_after:
            time.sleep(pause_after)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - started


def json_of(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def test_parse_returns_what_workbench_parse_prints(server, trained, capsys) -> None:
    assert main(["parse", str(trained.model_a), "hello there"]) == 0
    expected = json.loads(capsys.readouterr().out)
    status, body = call(server, "POST", "/model/parse",
                        {"text": "hello there", "message_id": "m-1"})
    assert status == 200
    assert body == expected
    assert body["intent"]["name"] and "truncated" not in body


def test_status_version_and_hello(server, trained) -> None:
    status, body = call(server, "GET", "/status")
    assert status == 200
    assert body["model_id"] == trained.model_a.name
    assert body["model_file"] == str(trained.model_a.resolve())
    assert set(body["fingerprint"]) >= {"model", "data", "config"}
    assert body["loaded_at"].endswith("+00:00")
    status, body = call(server, "GET", "/version")
    assert status == 200 and body["version"] and body["minimum_compatible_version"]
    status, text = call(server, "GET", "/")
    assert status == 200 and "Hello" in text


def test_unknown_path_and_method_get_json_errors(server) -> None:
    status, body = call(server, "GET", "/model/train")
    assert status == 404 and "POST /model/parse" in body["message"]
    status, body = call(server, "GET", "/model/parse")
    assert status == 405 and "use POST" in body["message"]
    assert server.stats.errors >= 2


def test_auth_token_works_as_rasas(trained) -> None:
    server = start_server(trained.model_a, auth_token="s3cret")
    try:
        status, body = call(server, "POST", "/model/parse", {"text": "hi"})
        assert status == 401 and body["reason"] == "NotAuthenticated"
        assert "?token=" in body["message"]
        status, body = call(server, "GET", "/status?token=wrong")
        assert status == 401 and "wrong" in body["message"]
        status, body = call(server, "PUT", "/model", {"model_file": "x"})
        assert status == 401
        status, _ = call(server, "GET", "/status?token=%ff%fe")
        assert status == 401
        status, body = call(server, "POST", "/model/parse?token=s3cret", {"text": "hi"})
        assert status == 200 and body["text"] == "hi"
        assert call(server, "GET", "/status?token=s3cret")[0] == 200
        assert call(server, "GET", "/version")[0] == 200  # open, as in Rasa
    finally:
        server.stop()


@pytest.mark.parametrize(("body", "words"), [
    (b'{"text": "hi"', "not valid JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b'{"text": 12}', '"text" must be a string'),
    (b'{"message_id": "x"}', 'missing "text"'),
    (b"", "empty body"),
    (b'{"text": "\\udc80"}', "unpaired surrogate"),
])
def test_bad_parse_bodies_get_400(server, body: bytes, words: str) -> None:
    status, answer = call(server, "POST", "/model/parse", body)
    assert status == 400 and words in answer["message"]
    assert call(server, "POST", "/model/parse", {"text": "hi"})[0] == 200


def test_body_over_the_limit_gets_413(server) -> None:
    big = b'{"text": "' + b"a" * MAX_BODY_BYTES + b'"}'
    status, answer = call(server, "POST", "/model/parse", big)
    assert status == 413 and str(MAX_BODY_BYTES) in answer["message"]
    # without Content-Length (chunked), the limit holds while reading
    connection = http.client.HTTPConnection("127.0.0.1", server.server.port, timeout=20)
    chunks = (b"x" * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 2))
    connection.request("POST", "/model/parse", body=chunks, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["reason"] == "PayloadTooLarge"
    connection.close()


def test_very_long_message_is_truncated_and_flagged(server) -> None:
    text = "hello " * 20_000  # 20,000 tokens; the model reads 512
    status, answer = call(server, "POST", "/model/parse", {"text": text})
    assert status == 200
    assert answer["truncated"] is True and answer["text"] == text
    assert answer["intent"]["name"]


def test_huge_headers_get_a_json_400_and_the_server_goes_on(server) -> None:
    status, answer = call(server, "GET", "/status", headers={"X-Big": "a" * 20_000})
    assert status == 400 and "8190 bytes" in answer["message"]
    many = {f"X-H{i}": "v" for i in range(300)}
    status, answer = call(server, "GET", "/status", headers=many)
    assert status == 400 and answer["status"] == "failure"
    status, answer = call(server, "GET", "/status?" + "q" * 20_000)
    assert status == 400
    assert call(server, "GET", "/status")[0] == 200


def test_garbage_bytes_are_answered_and_closed(server) -> None:
    answer, _ = raw_exchange(server, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    answer, _ = raw_exchange(server, b"GET /status HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Length: -5\r\n\r\n")
    assert b" 400 " in answer.split(b"\r\n")[0]
    answer, _ = raw_exchange(
        server,
        b"POST /model/parse HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n",
    )
    assert b" 400 " in answer.split(b"\r\n")[0]
    assert call(server, "GET", "/status")[0] == 200


def test_slow_body_gets_408_within_the_bound(server) -> None:
    head = (b"POST /model/parse HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
            b'{"text": ')
    answer, seconds = raw_exchange(server, head)
    status, body = json_of(answer)
    assert status == 408 and "within 1 s" in body["message"]
    assert seconds < 8


@pytest.mark.parametrize("data", [
    b"",  # connects and says nothing
    b"POST /model/parse HTTP/1.1\r\nHost: x\r\n",  # headers never finish
])
def test_half_open_clients_are_dropped_within_the_bound(server, data: bytes) -> None:
    answer, seconds = raw_exchange(server, data)
    assert seconds < 8
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
    assert call(server, "GET", "/status")[0] == 200


def test_keep_alive_connection_serves_many_requests(server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.server.port, timeout=20)
    for text in ("hi", "bye", "hello"):
        connection.request("POST", "/model/parse", body=json.dumps({"text": text}))
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["text"] == text
    connection.close()


def test_stop_finishes_the_request_in_flight(trained) -> None:
    from workbench.nlu.intra_op import GATE

    server = start_server(trained.model_a)
    port = server.server.port
    answers: list[tuple[int, object]] = []
    with GATE.use(3):  # predictions wanting one thread wait until this block ends
        client = threading.Thread(target=lambda: answers.append(
            call(server, "POST", "/model/parse", {"text": "hello"})))
        client.start()
        time.sleep(0.5)  # the request now waits inside the model, in flight
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        time.sleep(0.5)
        assert not answers and stopper.is_alive()  # stop waits for it
        with pytest.raises(OSError):  # no new connections meanwhile
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    client.join(20)
    stopper.join(20)
    assert not server.running
    assert answers and answers[0][0] == 200 and answers[0][1]["text"] == "hello"


def test_expect_100_continue_is_answered_at_once(server) -> None:
    body = json.dumps({"text": "hello " * 300}).encode()  # curl sends Expect over 1 KiB
    head = (b"POST /model/parse HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.server.port), timeout=20) as s:
        s.sendall(head)
        s.settimeout(0.5)  # well under the second curl would wait without it
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.settimeout(20)
        s.sendall(body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status, parsed = json_of(answer)
    assert status == 200 and parsed["text"].startswith("hello")
    answer, _ = raw_exchange(server, b"POST /model/parse HTTP/1.1\r\nHost: x\r\n"
                             b"Expect: tea\r\nContent-Length: 2\r\n\r\n{}")
    assert json_of(answer)[0] == 417


def test_refused_body_does_not_leak_into_the_next_request(trained) -> None:
    server = start_server(trained.model_a, auth_token="t")
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server.port,
                                                timeout=20)
        # 401 before the body is read; the unread body must not be taken as a request
        connection.request("POST", "/model/parse",
                           body=b'GET /status HTTP/1.1\r\nHost: x\r\n\r\n')
        response = connection.getresponse()
        assert response.status == 401
        response.read()
        connection.request("POST", "/model/parse?token=t", body=b'{"text": "hi"}')
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["text"] == "hi"
        connection.close()
    finally:
        server.stop()


def test_the_server_runs_on_uvloop_where_installed_else_asyncio(server,
                                                                 monkeypatch) -> None:
    import builtins
    import sys

    from workbench.serving.server import new_event_loop

    if sys.platform != "win32":  # a dependency there: the running server uses it
        import uvloop

        assert isinstance(server._loop, uvloop.Loop)
    real_import = builtins.__import__

    def no_uvloop(name, *args, **kwargs):
        if name == "uvloop":
            raise ImportError("not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvloop)
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("asyncio")
        assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
    finally:
        loop.close()
