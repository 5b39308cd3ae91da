"""Run ``run_training`` in a child process and read its events in this one.

The desktop app trains this way so that training never shares the GIL with the GUI
thread: in a thread of the app, every Qt call of a chart redraw had to win the GIL
back from training, and the event loop stalled for hundreds of milliseconds
(docs/benchmarks.md). The child runs what ``workbench train`` runs, on the snapshot it
is sent (unsaved edits included), and sends the events back over a pipe, in order::

    process = TrainingProcess(TrainingRequest(snapshot, project_dir=root))
    process.start()  # blocks until the child has the request
    for event in process.events():  # blocks; ends after the terminal event
        ...
    process.close()

* Device and threads: the project's ``.workbench/training.json`` (the Settings tab),
  else automatic, as for ``workbench train`` without flags.
* Stop: :meth:`TrainingProcess.request_stop` sends "stop"; a thread in the child sets
  the run's :class:`StopToken`, checked between batches as in-process, so the run ends
  with ``TrainingCancelled`` and the best model so far. If this process goes away, the
  pipe closes and the child stops the same way.
* Errors: bad input and exceptions arrive as ``TrainingFailed`` (as in-process). A
  child that dies (killed, out of memory, a crash in native code) is reported as a
  ``TrainingFailed`` naming its exit code, and its run is marked failed in the run
  history.
* Processes are started with ``spawn`` (never ``fork``: the app has threads) and are
  daemonic. Starting one and importing torch takes seconds, so :func:`warm_up` starts
  a spare child that imports it and waits; the next :meth:`TrainingProcess.start`
  takes it and sends this process's environment variables and working folder of the
  moment with the request (what torch read at its import stays as it was then). A
  spare exits when its pipe closes (this process ended).

Events are pickled with their read-only mappings kept read-only, and their numpy
arrays are made read-only again on arrival. This module imports neither Qt nor torch.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import io
import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from workbench.training.allocator import allocator_environment
from workbench.training.control import StopToken
from workbench.training.events import (
    TERMINAL_EVENTS,
    BatchProgress,
    FeaturizationProgress,
    TrainingEvent,
    TrainingFailed,
    TrainingNote,
    TrainingStarted,
)

MAX_RATE = 10.0  # progress events (batches, featurization) per second; GUI updates cost
STOP = "stop"
JOIN_SECONDS = 5.0  # wait this long for a child to exit before terminating it
# The child runs at a lower CPU priority (POSIX nice), so the window's thread gets a
# core back at once when it has work (a redraw) while training keeps every core busy;
# an idle window costs training nothing. Windows: not lowered.
CHILD_NICENESS = 5
_CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class TrainingRequest:
    """What the child trains (picklable).

    Attributes:
        snapshot: The ``ProjectSnapshot`` to train (edits not yet saved included).
        project_dir: The project folder (cache, run history, ``models/`` and
            ``.workbench/training.json``).
        epochs: Override DIET's epochs.
        finetune_from: A model folder to continue training.
    """

    snapshot: Any
    project_dir: str | None = None
    epochs: int | None = None
    finetune_from: str | None = None


# -- encoding events ------------------------------------------------------------------
def _mapping_proxy(values: dict[str, Any]) -> MappingProxyType:
    return MappingProxyType(values)


def _reduce_mapping_proxy(proxy: MappingProxyType) -> tuple:
    return _mapping_proxy, (dict(proxy),)  # the type itself is not importable by name


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[MappingProxyType] = _reduce_mapping_proxy  # plain pickle refuses them


def encode_event(event: Any) -> bytes:
    """Pickle a training event (its read-only mappings included)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(event)
    return buffer.getvalue()


def decode_event(data: bytes) -> Any:
    """Unpickle an event from :func:`encode_event`; its arrays are read-only again."""
    event = pickle.loads(data)  # noqa: S301 - our own child, over our own pipe
    if dataclasses.is_dataclass(event):
        for item in dataclasses.fields(event):
            value = getattr(event, item.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
    return event


# -- the parent's side ----------------------------------------------------------------
@dataclass
class _Child:
    """A started child, the parent's ends of its two pipes, where it was started."""

    process: Any  # multiprocessing.Process
    inbox: Any  # Connection parent -> child: the request, then "stop"
    events: Any  # Connection child -> parent: encoded events

    def close_pipes(self) -> None:
        for end in (self.inbox, self.events):
            try:
                end.close()
            except OSError:
                pass


def _spawn() -> _Child:
    inbox_read, inbox_write = _CONTEXT.Pipe(duplex=False)
    events_read, events_write = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=child_main, args=(inbox_read, events_write),
                               name="workbench-training", daemon=True)
    with allocator_environment():  # tcmalloc where installed (training/allocator.py)
        process.start()
    # The child has its own copies now; closing ours makes its death an EOF here.
    inbox_read.close()
    events_write.close()
    return _Child(process, inbox_write, events_read)


_spare_lock = threading.Lock()
_spare: _Child | None = None


def warm_up() -> None:
    """Start a spare child (it imports torch) unless one is ready; returns at once."""
    global _spare
    with _spare_lock:
        if _spare is not None and _spare.process.is_alive():
            return
        old, _spare = _spare, _spawn()
    if old is not None:
        _discard(old)


def _take_spare() -> _Child | None:
    """The spare, if it is still alive."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is None or spare.process.is_alive():
        return spare
    _discard(spare)
    return None


def _discard(spare: _Child) -> None:
    """End a spare child (it holds no work: no need to wait for it to notice)."""
    spare.close_pipes()
    spare.process.terminate()
    spare.process.join(JOIN_SECONDS)


class TrainingProcess:
    """One training run in a child process (see the module docstring).

    :meth:`start`, :meth:`events` and :meth:`close` are meant for one thread (a relay
    thread); :meth:`request_stop` and :meth:`terminate` may be called from any.
    """

    def __init__(self, request: TrainingRequest) -> None:
        self.request = request
        self.exitcode: int | None = None
        self._child: _Child | None = None
        self._lock = threading.Lock()
        self._sent = False  # the request went out: "stop" may follow it
        self._stop_requested = False

    @property
    def pid(self) -> int | None:
        """The child's process id (None before :meth:`start`)."""
        return self._child.process.pid if self._child is not None else None

    def start(self) -> None:
        """Take the spare child (or start one) and send it the request.

        Blocks until the child has read the request (a big snapshot fills the pipe).

        Raises:
            OSError: No process can be started.
            pickle.PicklingError: The request cannot be pickled.
        """
        child = _take_spare() or _spawn()
        self._child = child
        try:  # a spare started earlier: it trains in this moment's environment
            child.inbox.send((self.request, dict(os.environ), os.getcwd()))
        except (OSError, EOFError):
            pass  # the child died meanwhile: events() reports it
        with self._lock:
            self._sent = True
            stop = self._stop_requested
        if stop:
            self._send_stop()

    def request_stop(self) -> None:
        """Ask the run to stop between batches (returns at once)."""
        with self._lock:
            self._stop_requested = True
            sent = self._sent
        if sent:  # else start() sends it right after the request
            self._send_stop()

    def _send_stop(self) -> None:
        try:
            self._child.inbox.send(STOP)  # type: ignore[union-attr]
        except (OSError, EOFError, ValueError):
            pass  # already gone or closed: nothing left to stop

    def terminate(self) -> None:
        """Kill the child now (a last resort: its run is marked failed)."""
        child = self._child
        if child is not None and child.process.is_alive():
            child.process.kill()

    def events(self) -> Iterator[TrainingEvent]:
        """Yield the child's events in order; the last one is always terminal."""
        child = self._child
        if child is None:
            raise RuntimeError("TrainingProcess.events() before start()")
        run_id = ""
        while True:
            try:
                event = decode_event(child.events.recv_bytes())
            except (EOFError, OSError):
                yield self._ended_unexpectedly(run_id)
                return
            if isinstance(event, TrainingStarted):
                run_id = event.run_id
            yield event
            if isinstance(event, TERMINAL_EVENTS):
                return

    def close(self, timeout: float = JOIN_SECONDS) -> int | None:
        """Close the pipes (a running child stops), wait, kill as a last resort.

        Returns:
            The child's exit code (None if it never started).
        """
        child = self._child
        if child is None:
            return None
        child.close_pipes()
        process = child.process
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join(JOIN_SECONDS)
        self.exitcode = process.exitcode
        return self.exitcode

    def _ended_unexpectedly(self, run_id: str) -> TrainingFailed:
        process = self._child.process  # type: ignore[union-attr]
        process.join(JOIN_SECONDS)
        if process.is_alive():  # closed its pipe but hangs: end it
            process.kill()
            process.join(JOIN_SECONDS)
        self.exitcode = process.exitcode
        message = ("the training process ended unexpectedly "
                   f"(exit code {process.exitcode}{_describe_exit(process.exitcode)})")
        _record_failure(self.request.project_dir, run_id, message)
        return TrainingFailed(message, "", run_id)


def _describe_exit(code: int | None) -> str:
    if code is None or code >= 0:
        return ""
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return f", signal {-code}"
    if name == "SIGKILL":
        return ", SIGKILL: killed, e.g. by the system when memory ran out"
    if name == "SIGSEGV":
        return ", SIGSEGV: a crash in native code, e.g. torch or a GPU driver"
    return f", {name}"


def _record_failure(project_dir: str | None, run_id: str, message: str) -> None:
    """Mark the dead child's run as failed in the run history (it could not)."""
    if not project_dir or not run_id:
        return
    try:
        from workbench.training.run_history import FAILED, RUNNING, RunHistory

        history = RunHistory.for_project(Path(project_dir))
        record = history.get(run_id)
        if record is not None and record.status == RUNNING:
            history.finish(run_id, FAILED, wall_seconds=time.time() - record.started,
                           message=message)
    except Exception:  # noqa: BLE001 - the history is a convenience
        pass


# -- the child's side -----------------------------------------------------------------
def child_main(inbox: Any, events: Any) -> None:
    """Entry point of the child: import, wait for the request, train, send events."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(CHILD_NICENESS)
    with contextlib.suppress(ImportError):  # child_events reports what is missing
        import workbench.training.runner  # noqa: F401 - the slow imports (torch), first

    try:
        request, environ, folder = inbox.recv()
    except (EOFError, OSError):
        os._exit(0)  # a spare that is no longer needed
    os.environ.clear()
    os.environ.update(environ)
    with contextlib.suppress(OSError):
        os.chdir(folder)
    token = StopToken()
    threading.Thread(target=_watch_inbox, args=(inbox, token), daemon=True,
                     name="training-stop").start()
    for event in child_events(request, token):
        try:
            data = encode_event(event)
        except Exception as error:  # noqa: BLE001 - a bug, but never a silent hang
            event = TrainingFailed(f"cannot send a {type(event).__name__} event: "
                                   f"{error}", traceback.format_exc())
            data = encode_event(event)
        try:
            events.send_bytes(data)
        except (OSError, ValueError):  # the parent is gone: stop; the run records it
            token.request_stop()
        if isinstance(event, TERMINAL_EVENTS):  # the parent reads no further
            break
    events.close()
    # Everything is written (model, cache, run history): skip torch's slow teardown.
    os._exit(0)


def _watch_inbox(inbox: Any, token: StopToken) -> None:
    """Set ``token`` on "stop", or when the parent's end closes (it went away)."""
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            token.request_stop()
            return
        if message == STOP:
            token.request_stop()


def child_events(request: TrainingRequest, token: StopToken) -> Iterator[Any]:
    """The run's events as ``workbench train`` makes them, progress throttled.

    Any exception becomes a final ``TrainingFailed``.
    """
    try:
        from workbench.core.machine_options import read_machine_options
        from workbench.training.runner import run_training
        from workbench.training.threads import apply_thread_count

        folder = Path(request.project_dir) if request.project_dir else None
        options, problem = read_machine_options(folder)
        threads = apply_thread_count(options.threads)
        how = ("as set in the Settings tab" if options.threads is not None
               else "chosen from the idle cores")
        notes = [problem] if problem else []
        notes.append(f"training in a separate process on {threads} CPU thread(s), "
                     f"{how}")
        last = 0.0
        for event in run_training(request.snapshot, project_dir=folder,
                                  epochs=request.epochs, stop=token,
                                  device=options.device,
                                  finetune_from=request.finetune_from):
            if isinstance(event, (BatchProgress, FeaturizationProgress)):
                now = time.monotonic()
                if now - last < 1.0 / MAX_RATE:
                    continue
                last = now
            if notes and isinstance(event, TERMINAL_EVENTS):  # failed before starting
                yield from (TrainingNote(note) for note in notes)
            yield event
            if isinstance(event, TrainingStarted):  # notes follow it, as in-process
                yield from (TrainingNote(note) for note in notes)
                notes = []
    except Exception as error:  # noqa: BLE001 - nothing dies silently in the child
        yield TrainingFailed(f"training crashed: {error}", traceback.format_exc())
