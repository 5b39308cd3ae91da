"""Parse requests on ``workers`` threads, batching those that queue up meanwhile.

Each worker thread takes the oldest waiting request plus the ones queued behind it
for the same model (up to ``max_batch``; long texts run alone, since a batch pads
every text to the longest) and runs one ``predict_many`` forward pass for all of
them, then takes the next batch at once; the event loop only hands requests in and
answers out (one ``call_soon_threadsafe`` per batch).

**Gathering.** A forward pass costs much less per message in a batch (pizza model,
one thread: ~2 ms alone, ~0.8 ms each in 8), so under steady load it pays to wait a
moment for the clients whose answers just went out: when a worker frees up with fewer
requests waiting than the recent peak of requests in flight (the concurrency the
server has seen over the last second or so), it waits up to ``gather_s`` for more
before it starts. A lone client never waits (its peak is one), so a single client
gets exactly what ``workbench parse`` prints, as does ``max_batch=1`` (batching
off); with 8 closed-loop clients, batches grow from ~4 to ~8. Confidences of a
batched message can differ from a lone parse in the 7th significant digit (float32
rounding); intents, rankings and entities are the same.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

MAX_BATCH = 16
MAX_BATCH_CHARS = 300  # longer texts are parsed alone (no padding of the others)
GATHER_S = 0.002  # the longest a free worker waits for the batch to fill
PEAK_WINDOW_S = 0.5  # in-flight peaks are remembered for one to two windows


@dataclass
class _Job:
    served: Any  # ServedModel: the model this request started with
    text: str
    future: asyncio.Future


class ParseBatcher:
    """``await parse(served, text)`` -> Prediction, on ``workers`` parse threads."""

    def __init__(self, workers: int, max_batch: int = MAX_BATCH,
                 gather_s: float = GATHER_S) -> None:
        self.workers = max(1, workers)
        self.max_batch = max(1, max_batch)
        self.gather_s = max(0.0, gather_s)
        self._pending: deque[_Job] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads: list[threading.Thread] = []
        self._closing = False
        self._running = 0  # requests inside a forward pass now
        self._in_flight = 0  # requests waiting or running (event-loop thread only)
        self._peak = 0  # most requests in flight in this window ...
        self._peak_before = 0  # ... and in the previous one
        self._window_end = 0.0
        self.batches = 0  # forward passes run (for the benchmark)
        self.batched = 0  # requests those passes answered

    def start(self) -> None:
        """Start the parse threads; answers go to the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._threads = [threading.Thread(target=self._work, daemon=True,
                                          name=f"serve-parse-{n}")
                         for n in range(self.workers)]
        for thread in self._threads:
            thread.start()

    async def parse(self, served: Any, text: str) -> Any:
        loop = self._loop
        assert loop is not None, "start() first"
        future = loop.create_future()
        now = loop.time()
        if now >= self._window_end:
            self._peak_before, self._peak = self._peak, 0
            self._window_end = now + PEAK_WINDOW_S
        self._in_flight += 1
        if self._in_flight > self._peak:
            self._peak = self._in_flight
        try:
            with self._ready:
                if self._closing:
                    raise RuntimeError("the server is stopping")
                self._pending.append(_Job(served, text, future))
                self._ready.notify()
            return await future
        finally:
            self._in_flight -= 1

    async def close(self) -> None:
        """Stop the threads (call after the requests in flight were answered)."""
        with self._ready:
            self._closing = True
            self._ready.notify_all()
        threads, self._threads = self._threads, []
        loop = asyncio.get_running_loop()
        for thread in threads:
            await loop.run_in_executor(None, thread.join)
        with self._ready:
            left = list(self._pending)
            self._pending.clear()
        for job in left:
            if not job.future.done():
                job.future.set_exception(RuntimeError("the server is stopping"))

    # -- the parse threads ------------------------------------------------------------
    def _work(self) -> None:
        loop = self._loop
        assert loop is not None
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            if not batch:
                continue
            predictions: list[Any] = []
            error: BaseException | None = None
            try:
                predictions = batch[0].served.model.predict_many(
                    [job.text for job in batch])
            except Exception as failure:  # noqa: BLE001 - handed to each request
                error = failure
            with self._ready:
                self._running -= len(batch)
                if error is None:
                    self.batches += 1
                    self.batched += len(batch)
            try:
                loop.call_soon_threadsafe(self._answer, batch, predictions, error)
            except RuntimeError:  # the loop closed: nobody waits for these answers
                return

    def _next_batch(self) -> list[_Job] | None:
        """Wait for requests (and, under load, a moment for more); None: stop."""
        ready, pending = self._ready, self._pending
        with ready:
            while not pending:
                if self._closing:
                    return None
                ready.wait()
            target = min(self.max_batch, max(self._peak, self._peak_before)
                         - self._running)
            if len(pending) < target and self.gather_s > 0:
                deadline = time.monotonic() + self.gather_s
                while len(pending) < target and not self._closing:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    ready.wait(remaining)
            batch = self._take()
            self._running += len(batch)
            return batch

    def _take(self) -> list[_Job]:
        """The oldest live job and those behind it that can share its forward pass."""
        pending = self._pending
        while pending and pending[0].future.done():  # its client went away
            pending.popleft()
        if not pending:
            return []
        first = pending.popleft()
        batch = [first]
        if len(first.text) > MAX_BATCH_CHARS:
            return batch
        while pending and len(batch) < self.max_batch:
            job = pending[0]
            if job.future.done():
                pending.popleft()
                continue
            if job.served is not first.served or len(job.text) > MAX_BATCH_CHARS:
                break
            batch.append(pending.popleft())
        return batch

    @staticmethod
    def _answer(batch: list[_Job], predictions: list[Any],
                error: BaseException | None) -> None:
        """On the event loop: hand each request its prediction (or the error)."""
        for n, job in enumerate(batch):
            if job.future.done():  # cancelled: the client went away
                continue
            if error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(predictions[n])
