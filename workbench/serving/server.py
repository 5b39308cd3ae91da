"""Start and stop the HTTP server: in the foreground (SIGTERM/SIGINT stop it
gracefully) or in a background thread (the window's "Serve the active model").

Stopping is graceful: the listening socket closes first, requests in flight get up
to ``shutdown_timeout`` seconds to finish, idle keep-alive connections are closed,
then the parse threads end.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest

from workbench.serving.app import Api, ApiSettings, JsonErrorServer, RequestStats
from workbench.serving.batcher import GATHER_S, MAX_BATCH, ParseBatcher
from workbench.serving.model_slot import ModelSlot
from workbench.serving.protocol import MAX_BODY_BYTES

log = logging.getLogger("workbench.serve")
ACCESS_LOG = logging.getLogger("workbench.serve.access")
ACCESS_FORMAT = '%a "%r" %s %b %Dus'  # client, request line, status, bytes, time


@dataclass
class ServeConfig:
    """How the server listens and how long it waits for slow clients."""

    host: str = "127.0.0.1"
    port: int = 5005  # 0: any free port (see ModelServer.port)
    auth_token: str | None = None
    workers: int = 0  # parse threads; 0: the cores this process may use, less one
    max_batch: int = MAX_BATCH  # queued requests parsed in one forward pass; 1: off
    batch_wait: float = GATHER_S  # seconds a free parse thread may wait for more
    body_timeout: float = 10.0  # seconds to receive a body once headers arrived
    idle_timeout: float = 15.0  # a connection silent this long (no full request) closes
    shutdown_timeout: float = 10.0  # seconds requests in flight get when stopping
    max_body_bytes: int = MAX_BODY_BYTES
    max_header_bytes: int = 8190  # request line and each header field
    max_headers: int = 100

    def worker_count(self) -> int:
        """Parse threads: ``workers``, else the cores less one (at least one).

        The event loop (HTTP, JSON) needs a core too, and parse threads share the GIL
        for the Python part of a parse: on 2 cores with 8 clients one parse thread
        served more requests than two with 12-20% less CPU per request and a lower
        p99, since requests queue into larger batches (docs/benchmarks.md).
        """
        if self.workers > 0:
            return self.workers
        if hasattr(os, "sched_getaffinity"):
            cores = len(os.sched_getaffinity(0))
        else:
            cores = os.cpu_count() or 1
        return max(1, cores - 1)


class ModelServer:
    """The server on the running event loop: ``await start()``, ``await stop()``."""

    def __init__(self, slot: ModelSlot, config: ServeConfig,
                 stats: RequestStats | None = None) -> None:
        self.slot = slot
        self.config = config
        self.stats = stats or RequestStats()
        self.port = config.port
        self._batcher: ParseBatcher | None = None
        self._api: Api | None = None
        self._http: JsonErrorServer | None = None
        self._listener: asyncio.AbstractServer | None = None

    @property
    def batcher(self) -> ParseBatcher | None:
        """The parse queue (``batches``: forward passes run so far)."""
        return self._batcher

    @property
    def url(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and listen (raises OSError when the address cannot be used)."""
        config = self.config
        workers = config.worker_count()
        self._batcher = ParseBatcher(workers, config.max_batch, config.batch_wait)
        self._batcher.start()
        self._api = Api(self.slot, self._batcher, ApiSettings(
            auth_token=config.auth_token, body_timeout=config.body_timeout,
            max_body_bytes=config.max_body_bytes), self.stats)
        max_body = config.max_body_bytes

        def request_factory(message: Any, payload: Any, protocol: Any, writer: Any,
                            task: Any) -> BaseRequest:
            return BaseRequest(message, payload, protocol, writer, task,
                               asyncio.get_running_loop(), client_max_size=max_body)

        self._http = JsonErrorServer(
            self._api.handle, request_factory=request_factory,
            keepalive_timeout=config.idle_timeout, access_log_class=AccessLogger,
            access_log=ACCESS_LOG, access_log_format=ACCESS_FORMAT,
            max_line_size=config.max_header_bytes,
            max_field_size=config.max_header_bytes, max_headers=config.max_headers,
            lingering_time=1.0)
        try:
            self._listener = await asyncio.get_running_loop().create_server(
                self._http, config.host, config.port, reuse_address=True, backlog=512)
        except BaseException:
            await self._batcher.close()
            self._api.close()
            raise
        self.port = self._listener.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, let requests in flight finish, close the rest."""
        if self._listener is not None:
            self._listener.close()
        if self._http is not None:
            await self._http.shutdown(self.config.shutdown_timeout)
        if self._listener is not None:
            try:
                await asyncio.wait_for(self._listener.wait_closed(), 5)
            except asyncio.TimeoutError:
                pass
        if self._batcher is not None:
            await self._batcher.close()
        if self._api is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._api.close)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (not on Windows), else asyncio's.

    libuv's loop does the same work for less CPU: pizza at 8 clients, event-loop
    thread 0.18-0.20 -> 0.13-0.15 ms per request and 12-19 % more requests per
    second on 2 cores (benchmarks in docs/benchmarks.md, "Serving").
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve_forever(server: ModelServer, ready: Any = None) -> None:
    """Run ``server`` until SIGTERM or SIGINT, then stop it gracefully.

    Args:
        ready: called with the server once it listens (e.g. to print the URL).
    """

    async def main() -> None:
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if ready is not None:
            ready(server)
        await stop.wait()
        log.info("stopping: finishing requests in flight")
        await server.stop()

    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(main())
    else:  # no Runner: asyncio's own loop
        asyncio.run(main())


class BackgroundServer:
    """A :class:`ModelServer` on its own event-loop thread (for the window).

    ``start()`` returns once it listens (or raises the bind error); ``stop()`` is
    graceful and idempotent.
    """

    def __init__(self, slot: ModelSlot, config: ServeConfig) -> None:
        self.server = ModelServer(slot, config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def stats(self) -> RequestStats:
        return self.server.stats

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 30.0) -> None:
        started = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            self._stopped = asyncio.Event()
            try:
                await self.server.start()
            except BaseException as error:  # noqa: BLE001 - handed to start()'s caller
                failure.append(error)
                started.set()
                return
            started.set()
            await self._stopped.wait()
            await self.server.stop()

        def run() -> None:
            loop = new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(main())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="workbench-serve", daemon=True)
        self._thread.start()
        if not started.wait(timeout):
            raise TimeoutError("the server did not start")
        if failure:
            self._thread.join(5)
            raise failure[0]

    def stop(self, timeout: float = 30.0) -> None:
        loop, stopped, thread = self._loop, self._stopped, self._thread
        if thread is None or not thread.is_alive() or loop is None or stopped is None:
            return
        try:
            loop.call_soon_threadsafe(stopped.set)
        except RuntimeError:  # the loop already closed
            pass
        thread.join(timeout)
