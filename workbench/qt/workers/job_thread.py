"""JobThread: run a worker's jobs on one background thread; the latest per key wins.

The GUI thread posts jobs (plain callables) under a key; a newer job under the same key
replaces one still pending, so typing never queues up stale work. Jobs run one at a
time, in the order posted (``first=True`` puts one in front). A job reports through
its :class:`JobContext`: ``context.emit("progress", ...)`` becomes the owner's signal of
that name, emitted in the GUI thread; what the job returns, ``(name, *args)``, is its
last message. An exception becomes the owner's ``failed(str)`` signal and the thread
keeps serving.

``interrupt`` makes the running job's ``context.stopped()`` true; ``clear`` also drops
the pending jobs; ``cancel`` also drops the messages not delivered yet (a result that
nobody wants any more). ``busy`` is true from ``post`` until the job's last message is
delivered (or it is cancelled). ``stop`` ends the thread and waits; a later ``post``
starts it again, unless it was ``close`` (the window closes: later posts are ignored).
The QThread has no parent, is registered with ``register_thread`` and stays referenced
until the process exits: a QThread destroyed while it runs aborts the process.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from workbench.qt.threads import register_thread

Job = Callable[["JobContext"], "tuple[Any, ...] | None"]
_KEEP: list[QThread] = []  # every loop ever created (see the module docstring)


def describe_error(error: BaseException) -> str:
    """The ``failed`` message of a job that raised (call inside the ``except``)."""
    return f"{error}\n{traceback.format_exc(limit=3)}"


class JobContext:
    """What a running job may use: ``stopped()`` and ``emit(name, *args)``."""

    def __init__(self, loop: _Loop, token: int, generation: int) -> None:
        self._loop, self.token, self._generation = loop, token, generation

    def stopped(self) -> bool:
        """True once the job was interrupted or the thread is stopping."""
        return self._loop.quitting or self._loop.generation != self._generation

    def emit(self, name: str, *args: Any) -> None:
        """Emit the owner's signal ``name`` with ``args`` (delivered in the GUI)."""
        self._loop.message.emit(self.token, name, args, False)


class _Loop(QThread):
    message = Signal(int, str, object, bool)  # token, owner's signal, args, last

    def __init__(self, name: str, describe: Callable[[BaseException], str]) -> None:
        super().__init__()
        self.setObjectName(name)
        self.lock = threading.Condition()
        self.pending: dict[Hashable, tuple[int, Job]] = {}
        self.generation = 0  # bumped to interrupt the running job
        self.quitting = False
        self.working = False
        self._describe = describe

    def run(self) -> None:
        while True:
            with self.lock:
                self.working = False
                self.lock.notify_all()
                while not self.quitting and not self.pending:
                    self.lock.wait()
                if self.quitting:
                    return
                token, job = self.pending.pop(next(iter(self.pending)))
                context = JobContext(self, token, self.generation)
                self.working = True
            try:
                last = job(context) or ("",)
            except Exception as error:  # noqa: BLE001 - nothing dies silently in a thread
                last = ("failed", self._describe(error))
            self.message.emit(token, last[0], last[1:], True)


class JobThread(QObject):
    """One background thread serving the jobs of ``owner`` (a worker ``QObject``).

    Signals:
        ended(int): a job's last message was delivered (its token).
    """

    ended = Signal(int)

    def __init__(self, owner: QObject, name: str,
                 describe: Callable[[BaseException], str] = describe_error) -> None:
        super().__init__(owner)
        self._owner = owner
        self._loop = _Loop(name, describe)
        self._loop.message.connect(self._deliver)
        register_thread(self._loop)
        _KEEP.append(self._loop)
        self._tokens = 0
        self._cutoff = 1  # messages of jobs with a lower token are dropped
        self._open: set[int] = set()  # posted, last message not delivered yet
        self._closed = False

    @property
    def busy(self) -> bool:
        """Whether a posted job has not delivered its last message yet."""
        return bool(self._open)

    def post(self, key: Hashable, job: Job, *, first: bool = False) -> int:
        """Run ``job`` (replacing the pending job under ``key``); return its token.

        After ``close`` nothing runs (the token is 0).
        """
        if self._closed:
            return 0
        self._tokens += 1
        with self._loop.lock:
            pending = self._loop.pending
            replaced = pending.pop(key, None)
            if replaced is not None:
                self._open.discard(replaced[0])
            pending[key] = (self._tokens, job)
            if first:
                self._loop.pending = {key: pending.pop(key), **pending}
            self._loop.lock.notify_all()
        self._open.add(self._tokens)
        if self._loop.quitting or not self._loop.isRunning():
            self._loop.wait()  # a stop still ending: let it end first
            self._loop.quitting = False
            self._loop.start()
        return self._tokens

    def interrupt(self) -> None:
        """Make the running job's ``stopped()`` true (pending jobs still run)."""
        with self._loop.lock:
            self._loop.generation += 1

    def clear(self) -> None:
        """Drop the pending jobs and interrupt the running one."""
        with self._loop.lock:
            for token, _job in self._loop.pending.values():
                self._open.discard(token)
            self._loop.pending.clear()
            self._loop.generation += 1

    def cancel(self) -> None:
        """``clear``, and drop every message of the jobs posted so far."""
        self.clear()
        self._cutoff = self._tokens + 1
        self._open.clear()

    def wait_idle(self, msecs: int = -1) -> bool:
        """Wait until no job runs or is pending (their messages come as events)."""
        with self._loop.lock:
            return self._loop.lock.wait_for(
                lambda: self._loop.quitting or not (self._loop.pending
                                                    or self._loop.working),
                None if msecs < 0 else msecs / 1000)

    def stop(self, msecs: int = -1) -> bool:
        """Drop pending jobs, interrupt the running one, end the thread and wait."""
        self.clear()
        with self._loop.lock:
            self._loop.quitting = True
            self._loop.lock.notify_all()
        done = self._loop.wait() if msecs < 0 else self._loop.wait(msecs)
        if done:
            self._open.clear()  # nothing runs; queued messages still arrive
        return done

    def close(self, msecs: int = -1) -> bool:
        """``cancel`` and ``stop`` for good: later posts are ignored (window closed)."""
        self._closed = True
        self.cancel()
        return self.stop(msecs)

    def _deliver(self, token: int, name: str, args: tuple[Any, ...],
                 last: bool) -> None:
        if last:
            self._open.discard(token)
        if token < self._cutoff:
            return
        if name:
            getattr(self._owner, name).emit(*args)
        if last:
            self.ended.emit(token)
