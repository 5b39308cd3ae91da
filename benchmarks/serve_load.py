"""A cheap keep-alive HTTP/1.1 load generator for ``bench_serve.py``.

The load runs on the same cores as the server it measures, so it must cost little:
no HTTP library, no coroutine switch per request. Each client is one
:class:`asyncio.Protocol` on its own connection that writes a prebuilt request,
reads the answer (status line, ``Content-Length``, body) in ``data_received`` and
writes the next one from there, until the time is up. A request counts as an error
when the answer is not 200, lacks ``"intent"``, has no ``Content-Length``, or the
connection drops or stays silent for ``timeout`` seconds; the client then reconnects.

``python benchmarks/serve_load.py URL --clients 8 --seconds 5`` runs it alone (e.g.
from another process) and prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def build_requests(url: str, texts: list[str], path: str = "/model/parse"
                   ) -> list[bytes]:
    """One complete ``POST path`` request (head and JSON body) per text."""
    host = urlsplit(url).netloc
    requests = []
    for n, text in enumerate(texts):
        body = json.dumps({"text": text, "message_id": str(n)}).encode("utf-8")
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "\r\n").encode("ascii")
        requests.append(head + body)
    return requests


@dataclass
class LoadResult:
    """What one load level measured (latencies in seconds, in completion order)."""

    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_seconds: float = 0.0  # this process's CPU time while the load ran

    def summary(self) -> dict[str, float]:
        ms = sorted(x * 1000 for x in self.latencies) or [0.0]
        n = len(self.latencies)
        return {"clients": self.clients, "requests": n, "errors": self.errors,
                "seconds": round(self.seconds, 2),
                "rps": round(n / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": round(statistics.median(ms), 2),
                "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
                "client_cpu_ms_per_request": round(
                    self.cpu_seconds * 1000 / max(1, n), 3)}


class _Connection(asyncio.Protocol):
    """One client: request, answer, next request, on one keep-alive connection."""

    def __init__(self, load: _Load, rng: random.Random) -> None:
        self.load = load
        self.rng = rng
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0  # 0: no request waiting for its answer
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        if time.perf_counter() >= self.load.deadline:
            self.sent_at = 0.0
            self.transport.close()  # type: ignore[union-attr]
            return
        request = self.rng.choice(self.load.requests)
        self.sent_at = time.perf_counter()
        self.transport.write(request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:  # chunked or unframed: not what these servers send
            self._fail()
            return
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17:stop if stop >= 0 else len(head)])
        if len(buffer) < end + 4 + length:
            return
        body = bytes(buffer[end + 4:end + 4 + length])
        del buffer[:end + 4 + length]
        load = self.load
        load.latencies.append(time.perf_counter() - self.sent_at)
        load.errors += not (head.startswith((b"http/1.1 200", b"http/1.0 200"))
                            and b'"intent"' in body)
        if b"\r\nconnection: close" in head:
            self.sent_at = 0.0
            self.transport.close()  # type: ignore[union-attr]
            return
        self._send()

    def _fail(self) -> None:
        if self.sent_at:
            self.load.errors += 1
            self.sent_at = 0.0
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.sent_at:  # dropped while a request waited for its answer
            self.load.errors += 1
            self.sent_at = 0.0
        if not self.closed.done():
            self.closed.set_result(None)


@dataclass
class _Load:
    requests: list[bytes]
    deadline: float
    latencies: list[float]
    errors: int = 0


async def run_load(url: str, requests: list[bytes], clients: int, seconds: float,
                   timeout: float = 30.0) -> LoadResult:
    """``clients`` connections posting ``requests`` (chosen at random) for ``seconds``.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    cpu, started = time.process_time(), time.perf_counter()
    load = _Load(requests, started + seconds, [])
    connections: list[_Connection] = []

    async def client(n: int) -> None:
        rng = random.Random(n)
        while time.perf_counter() < load.deadline:
            try:
                _, connection = await loop.create_connection(
                    lambda: _Connection(load, rng), host, port)
            except OSError:
                load.errors += 1
                await asyncio.sleep(0.05)
                continue
            connections.append(connection)
            await connection.closed
            connections.remove(connection)

    async def watchdog() -> None:
        while True:
            await asyncio.sleep(0.5)
            now = time.perf_counter()
            for connection in list(connections):
                if connection.sent_at and now - connection.sent_at > timeout:
                    connection._fail()

    guard = asyncio.create_task(watchdog())
    try:
        await asyncio.gather(*(client(n) for n in range(clients)))
    finally:
        guard.cancel()
    result = LoadResult(clients, time.perf_counter() - started, load.latencies,
                        load.errors, time.process_time() - cpu)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the server, e.g. http://127.0.0.1:5005")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--text", action="append", help="text to post (repeatable; "
                        "default: a few pizza orders)")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients and --seconds must be positive")
    texts = args.text or ["I want a large pizza", "two margheritas please",
                          "deliver to 5 Main Street", "hello", "cancel my order"]
    result = asyncio.run(run_load(args.url, build_requests(args.url, texts),
                                  args.clients, args.seconds))
    print(json.dumps(result.summary()))
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
