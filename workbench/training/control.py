"""Cooperative control of a running training: stop and pause requests.

The GUI (or a signal handler) calls :meth:`StopToken.request_stop` from any thread; the
runner checks the token between batches and between graph nodes, so a stop is honoured
within a batch (well under a second for the default batch sizes).
"""

from __future__ import annotations

import threading


class StopToken:
    """A thread-safe stop (and pause) request for one training run.

    ``StopToken`` is callable: ``token()`` is true once a stop was requested, so it can
    be passed wherever a ``should_stop`` callable is expected. While paused, calling it
    blocks until :meth:`resume` or :meth:`request_stop` is called.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def request_stop(self) -> None:
        """Ask the run to stop at the next check (also ends a pause)."""
        self._stop.set()
        self._running.set()

    # ``set`` mirrors threading.Event for callers that treat the token as one.
    set = request_stop

    @property
    def stop_requested(self) -> bool:
        """True once a stop was requested."""
        return self._stop.is_set()

    def is_set(self) -> bool:
        """Return True once a stop was requested (threading.Event spelling)."""
        return self._stop.is_set()

    def pause(self) -> None:
        """Hold the run at its next check until :meth:`resume` or a stop request."""
        self._running.clear()

    def resume(self) -> None:
        """Let a paused run continue."""
        self._running.set()

    @property
    def paused(self) -> bool:
        """True while a pause is in effect."""
        return not self._running.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop is requested or ``timeout`` passes; return the state."""
        return self._stop.wait(timeout)

    def __call__(self) -> bool:
        """Return True if the run should stop, blocking first while paused."""
        while not self._running.wait(0.1):
            pass
        return self._stop.is_set()

    def __repr__(self) -> str:
        state = "stop requested" if self.stop_requested else "running"
        if self.paused:
            state += ", paused"
        return f"StopToken({state})"
