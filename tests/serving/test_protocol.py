"""Request-body checks: every class of bad input gets a 400 that says what is wrong."""

from __future__ import annotations

import json

import pytest

from workbench.serving.protocol import (
    MAX_ID_CHARS,
    ApiError,
    ParseRequest,
    error_body,
    model_request,
    parse_request,
)


def test_parse_request_accepts_text_and_message_id() -> None:
    assert parse_request(b'{"text": "hi", "message_id": "m1"}') == ParseRequest(
        "hi", "m1"
    )
    assert parse_request('{"text": "zürich \\u00e9"}'.encode()) == ParseRequest(
        "zürich é")
    assert parse_request(b'{"text": "", "extra": [1, 2]}') == ParseRequest("")
    assert parse_request(b'{"text": "x", "message_id": null}').message_id is None


@pytest.mark.parametrize(("body", "words"), [
    (b"", "empty body"),
    (b"   \n", "empty body"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"text": "caf\xe9"}', "not UTF-8"),
    (b"{text: hi}", "not valid JSON at line 1, column 2"),
    (b'{"text": "hi"', "not valid JSON"),
    (b'{"text": "hi"} trailing', "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b"1" * 5000, "not valid JSON"),  # int over Python's digit limit
    (b'"hello"', "must be a JSON object, got a string"),
    (b"[1, 2]", "must be a JSON object, got an array"),
    (b"null", "must be a JSON object, got null"),
    (b"{}", 'missing "text"'),
    (b'{"message": "hi"}', 'missing "text"'),
    (b'{"text": 5}', '"text" must be a string, got a number'),
    (b'{"text": null}', '"text" must be a string, got null'),
    (b'{"text": ["a"]}', '"text" must be a string, got an array'),
    (b'{"text": {"a": 1}}', '"text" must be a string, got an object'),
    (b'{"text": true}', '"text" must be a string, got a boolean'),
    (b'{"text": "\\ud800x"}', "unpaired surrogate (\\ud800 at character 0)"),
    (b'{"text": "hi", "message_id": 7}', '"message_id" must be a string'),
    (b'{"text": "hi", "message_id": "\\udfff"}', "unpaired surrogate"),
    (json.dumps({"text": "hi", "message_id": "m" * (MAX_ID_CHARS + 1)}).encode(),
     "longer than"),
])
def test_parse_request_refuses_bad_bodies(body: bytes, words: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_request(body)
    assert caught.value.status == 400
    assert words in caught.value.message
    assert caught.value.body()["code"] == 400
    assert caught.value.body()["status"] == "failure"


@pytest.mark.parametrize(("body", "words"), [
    (b"{}", 'missing "model_file"'),
    (b'{"model_server": {"url": "x"}}', "model_server is not supported"),
    (b'{"model_file": ""}', "non-empty string"),
    (b'{"model_file": 3}', "non-empty string, got a number"),
    (b'{"model_file": "a\\u0000b"}', "NUL"),
    (b'{"model_file": "\\ud800"}', "unpaired surrogate"),
    (b"model.tar.gz", "not valid JSON"),
])
def test_model_request_refuses_bad_bodies(body: bytes, words: str) -> None:
    with pytest.raises(ApiError) as caught:
        model_request(body)
    assert caught.value.status == 400 and words in caught.value.message


def test_model_request_returns_the_path() -> None:
    assert model_request(b'{"model_file": "models/x"}') == "models/x"


def test_error_body_has_rasas_keys() -> None:
    body = error_body(401, "NotAuthenticated", "no token")
    assert set(body) == {"version", "status", "reason", "message", "code"}
    assert body["code"] == 401 and body["reason"] == "NotAuthenticated"
