"""The HTTP handlers: routing, auth, body limits and deadlines, JSON everywhere.

Every answer is JSON, errors included (Rasa's ``ErrorResponse`` shape from
:func:`workbench.serving.protocol.error_body`), also for what aiohttp refuses before a
handler runs (a bad request line, headers over the limits): :class:`JsonErrorHandler`.
A handler that fails unexpectedly answers 500 with the reason and logs one line; the
server keeps running.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler, RequestPayloadError
from aiohttp.web_request import BaseRequest

from workbench import __version__
from workbench.nlu.artefacts import ArtefactError
from workbench.serving.batcher import ParseBatcher
from workbench.serving.model_slot import ModelSlot
from workbench.serving.protocol import (
    MAX_BODY_BYTES,
    ApiError,
    error_body,
    model_request,
    parse_request,
)

log = logging.getLogger("workbench.serve")

RASA_MINIMUM_COMPATIBLE = "3.0.0"  # the Rasa API shapes these endpoints follow

Handler = Callable[[BaseRequest], Awaitable[web.StreamResponse]]


@dataclass
class ApiSettings:
    """What the handlers need besides the model."""

    auth_token: str | None = None
    body_timeout: float = 10.0  # seconds to receive a request body
    max_body_bytes: int = MAX_BODY_BYTES


class RequestStats:
    """Requests answered so far (read from any thread, e.g. the window's timer)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.parses = 0
        self.errors = 0

    def count(self, status: int, parse: bool) -> None:
        with self._lock:
            self.total += 1
            self.parses += parse and status == 200
            self.errors += status >= 400


def json_response(data: Any, status: int = 200) -> web.Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return web.Response(body=body, status=status, content_type="application/json")


class Api:
    """The endpoints; :meth:`handle` is the low-level server's request handler."""

    def __init__(self, slot: ModelSlot, batcher: ParseBatcher,
                 settings: ApiSettings, stats: RequestStats | None = None) -> None:
        self.slot = slot
        self.batcher = batcher
        self.settings = settings
        self.stats = stats or RequestStats()
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="serve-load")
        self._routes: dict[str, dict[str, tuple[Handler, bool]]] = {
            "/": {"GET": (self.hello, False)},
            "/version": {"GET": (self.version, False)},
            "/status": {"GET": (self.status, True)},
            "/model/parse": {"POST": (self.parse, True)},
            "/model": {"PUT": (self.put_model, True)},
        }

    def close(self) -> None:
        self._loader.shutdown(wait=True)

    async def handle(self, request: BaseRequest) -> web.StreamResponse:
        """Route, check the token, and turn every failure into a JSON answer."""
        try:
            response = await self._dispatch(request)
        except ApiError as error:
            response = json_response(error.body(), error.status)
            if error.status in (408, 413):
                response.force_close()  # the rest of the body is not read
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - answer 500, keep serving
            log.error("%s %s failed: %s: %s", request.method, request.path,
                      type(error).__name__, error)
            response = json_response(error_body(
                500, "ServerError", f"{type(error).__name__}: {error}"), 500)
        self.stats.count(response.status, request.path == "/model/parse")
        return response

    async def _dispatch(self, request: BaseRequest) -> web.StreamResponse:
        methods = self._routes.get(request.path)
        if methods is None:
            routes = self._routes.items()
            endpoints = ", ".join(f"{verb} {path}" for path, verbs in routes
                                  for verb in verbs)
            raise ApiError(404, "NotFound", f"no endpoint {request.path[:200]}; "
                           f"endpoints: {endpoints}")
        entry = methods.get(request.method)
        if entry is None:
            raise ApiError(405, "MethodNotAllowed", f"{request.method[:20]} "
                           f"{request.path} is not allowed; use {', '.join(methods)}")
        handler, needs_auth = entry
        if needs_auth:
            self._check_token(request)
        return await handler(request)

    def _check_token(self, request: BaseRequest) -> None:
        expected = self.settings.auth_token
        if not expected:
            return
        given = request.query.get("token", "")
        if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                                   expected.encode("utf-8")):
            raise ApiError(401, "NotAuthenticated",
                           "User is not authenticated: add ?token=<the server's "
                           "--auth-token> to the URL" if not given else
                           "the token is wrong")

    async def _body(self, request: BaseRequest) -> bytes:
        """The request body within the size limit and the deadline."""
        limit = self.settings.max_body_bytes
        length = request.content_length
        if length is not None and length > limit:
            raise ApiError(413, "PayloadTooLarge", f"the body is {length} bytes; the "
                           f"limit is {limit} bytes")
        expect = request.headers.get("Expect")
        if expect is not None and request.version >= (1, 1):
            if expect.lower() != "100-continue":
                raise ApiError(417, "ExpectationFailed",
                               f"unknown Expect: {expect[:100]}")
            # curl sends this for bodies over 1 KiB and waits a second without it
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # the answer itself has not started
        try:
            return await asyncio.wait_for(request.read(), self.settings.body_timeout)
        except asyncio.TimeoutError:
            raise ApiError(408, "RequestTimeout", f"the body did not arrive within "
                           f"{self.settings.body_timeout:g} s") from None
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "PayloadTooLarge", f"the body is over the limit of "
                           f"{limit} bytes") from None
        except RequestPayloadError as error:  # e.g. broken chunked encoding
            raise ApiError(400, "BadRequest", f"the body could not be read: {error}"
                           ) from None
        except ConnectionError:
            raise ApiError(400, "BadRequest", "the client closed the connection "
                           "before the body arrived") from None

    # -- endpoints ------------------------------------------------------------------
    async def hello(self, request: BaseRequest) -> web.StreamResponse:
        return web.Response(text=f"Hello from workbench {__version__} (Rasa HTTP API: "
                            "POST /model/parse)\n")

    async def version(self, request: BaseRequest) -> web.StreamResponse:
        return json_response({"version": __version__,
                              "minimum_compatible_version": RASA_MINIMUM_COMPATIBLE,
                              "server": "workbench"})

    async def status(self, request: BaseRequest) -> web.StreamResponse:
        return json_response(self.slot.current.status())

    async def parse(self, request: BaseRequest) -> web.StreamResponse:
        checked = parse_request(await self._body(request))
        served = self.slot.current  # this request finishes on this model
        prediction = await self.batcher.parse(served, checked.text)
        result = prediction.to_rasa()
        if prediction.truncated:
            result["truncated"] = True  # longer than the model reads: cut
        return json_response(result)

    async def put_model(self, request: BaseRequest) -> web.StreamResponse:
        source = model_request(await self._body(request))
        loop = asyncio.get_running_loop()
        try:
            served = await loop.run_in_executor(self._loader, self.slot.swap, source)
        except ArtefactError as error:
            raise ApiError(400, "BadRequest", f"model not loaded, still serving "
                           f"{self.slot.current.model_id}: {error}") from None
        log.info("now serving %s", served.path)
        return web.Response(status=204)


class JsonErrorHandler(RequestHandler):
    """aiohttp's connection handler, answering protocol errors in JSON, in one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_field = int(kwargs.get("max_field_size", 8190))

    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp: the answer has started
            raise ConnectionError("response already started; cannot send the error")
        reason = "BadRequest" if status < 500 else "ServerError"
        detail = message or (f"{type(exc).__name__}: {exc}" if exc else "")
        if len(detail) > 200:
            detail = detail[:200] + "..."
        text = (f"not a valid HTTP request ({detail}); request lines and header "
                f"fields are limited to {self._max_field} bytes" if status < 500
                else f"the server failed: {detail}")
        log.warning("refused a request from %s: %s %s", request.remote, status, text)
        response = json_response(error_body(status, reason, text), status)
        response.force_close()
        return response


class JsonErrorServer(web.Server):
    """``web.Server`` whose connections use :class:`JsonErrorHandler`."""

    def __call__(self) -> RequestHandler:
        return JsonErrorHandler(self, loop=self._loop, **self._kwargs)
