"""Request bodies of the HTTP API, checked, and Rasa-shaped JSON error bodies.

Pure functions (no aiohttp, no torch), so every bad-input class is tested directly:
a body that is not UTF-8, not JSON, too deeply nested, not an object; a missing or
non-string ``text``; a ``message_id`` that is not a string; text with unpaired
surrogates (``"\\ud800"`` is valid JSON but cannot be written back as UTF-8).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbench import __version__

MAX_BODY_BYTES = 1024 * 1024  # a parse request is a sentence; 1 MiB is generous
MAX_ID_CHARS = 1000  # message_id is echoed in logs only; keep it short


class ApiError(Exception):
    """A request the server refuses: HTTP ``status``, Rasa ``reason``, a message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.reason, self.message)


def error_body(status: int, reason: str, message: str) -> dict[str, Any]:
    """Rasa's ``ErrorResponse`` JSON: version, status, reason, message, code."""
    return {"version": __version__, "status": "failure", "reason": reason,
            "message": message, "code": status}


@dataclass(frozen=True)
class ParseRequest:
    """A checked ``POST /model/parse`` body."""

    text: str
    message_id: str | None = None


def decode_json_object(body: bytes) -> dict[str, Any]:
    """The JSON object in ``body``, or :class:`ApiError` (400) saying what is wrong."""
    if not body.strip():
        raise ApiError(400, "BadRequest", 'empty body: send a JSON object such as '
                       '{"text": "hello"}')
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, "BadRequest", f"the body is not UTF-8 (byte {error.start} "
                       f"is invalid): send JSON encoded as UTF-8") from None
    try:
        data = json.loads(decoded)
    except RecursionError:
        raise ApiError(400, "BadRequest", "the JSON is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, int too long, ...
        where = (f" at line {error.lineno}, column {error.colno}"
                 if isinstance(error, json.JSONDecodeError) else "")
        message = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        raise ApiError(400, "BadRequest",
                       f"the body is not valid JSON{where}: {message}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BadRequest", f"the body must be a JSON object, got "
                       f"{_json_type(data)}")
    return data


def parse_request(body: bytes) -> ParseRequest:
    """Check a ``POST /model/parse`` body: ``{"text": str, "message_id": str?}``."""
    data = decode_json_object(body)
    if "text" not in data:
        raise ApiError(400, "BadRequest",
                       'missing "text": send {"text": "the message"}')
    text = data["text"]
    if not isinstance(text, str):
        raise ApiError(400, "BadRequest",
                       f'"text" must be a string, got {_json_type(text)}')
    _require_utf8(text, "text")
    message_id = data.get("message_id")
    if message_id is not None:
        if not isinstance(message_id, str):
            raise ApiError(400, "BadRequest", f'"message_id" must be a string, got '
                           f"{_json_type(message_id)}")
        if len(message_id) > MAX_ID_CHARS:
            raise ApiError(400, "BadRequest", f'"message_id" is longer than '
                           f"{MAX_ID_CHARS} characters")
        _require_utf8(message_id, "message_id")
    return ParseRequest(text, message_id)


def model_request(body: bytes) -> str:
    """Check a ``PUT /model`` body: ``{"model_file": "path"}``; returns the path."""
    data = decode_json_object(body)
    path = data.get("model_file")
    if path is None:
        other = sorted(k for k in data if k in {"model_server", "remote_storage"})
        hint = (f" ({', '.join(other)} is not supported: give a local path)"
                if other else "")
        raise ApiError(400, "BadRequest", 'missing "model_file": send {"model_file": '
                       f'"path/to/model-or-project"}}{hint}')
    if not isinstance(path, str) or not path.strip():
        raise ApiError(400, "BadRequest", '"model_file" must be a non-empty string, '
                       f"got {_json_type(path)}")
    _require_utf8(path, "model_file")
    if "\x00" in path:
        raise ApiError(400, "BadRequest", '"model_file" contains a NUL character')
    return path


def _require_utf8(value: str, field: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ApiError(400, "BadRequest", f'"{field}" contains an unpaired surrogate '
                       f"(\\u{ord(value[error.start]):04x} at character {error.start})"
                       ) from None


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
