"""Run ``run_training`` in a child process and read its events in this one.

The desktop app trains this way so that training never shares the GIL (or the
interpreter) with the GUI thread: in a thread of the app, every Qt call of a chart
redraw had to win the GIL back from training, and one redraw took hundreds of
milliseconds (docs/benchmarks.md). The child runs exactly what ``workbench train``
runs, on the snapshot it is sent (unsaved edits included), and sends the plain
events back over a pipe, in order::

    process = TrainingProcess(TrainingRequest(snapshot, project_dir=root))
    process.start()
    for event in process.events():  # blocks; ends after the terminal event
        ...
    process.close()

* Stop: :meth:`TrainingProcess.request_stop` sends "stop" over a control pipe; a
  thread in the child sets the run's :class:`StopToken`, which is checked where an
  in-process stop is (between batches), so the run ends as a stop does in-process:
  ``TrainingCancelled`` with the best model so far. If the parent goes away, the
  control pipe closes and the child stops the same way.
* Errors: bad input and exceptions arrive as ``TrainingFailed`` (as in-process); a
  child that dies (killed, out of memory, a crash in native code) is reported as
  ``TrainingFailed("training process ended unexpectedly (exit code -9 ...)")`` and its
  run is marked failed in the run history.
* Processes are started with the ``spawn`` method (never ``fork``: the app has Qt
  threads) and are daemonic. Importing torch takes seconds, so after a run a spare
  child is started that imports it and waits for the next request
  (:func:`warm_up`); it exits when its pipe closes (this process ended).

Events are pickled with read-only mappings kept read-only; numpy arrays are marked
read-only again on arrival. This module imports neither Qt nor torch.
"""

from __future__ import annotations

import copyreg
import dataclasses
import io
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

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

MAX_RATE = 10.0  # progress events (batches, featurization) per second at most
STOP = "stop"
JOIN_SECONDS = 5.0  # wait this long for a child to exit before terminating it
_CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class TrainingRequest:
    """What the child trains (everything picklable).

    Attributes:
        snapshot: The ``ProjectSnapshot`` to train (edits not yet saved included).
        project_dir: The project folder (cache, run history, ``models/``, and
            ``.workbench/training.json``).
        epochs: Override DIET's epochs.
        finetune_from: A model folder to continue training.
        device: "auto", "cpu", "cuda[:n]", "mps"; None: the project's
            ``.workbench/training.json``, else "auto".
        threads: torch CPU threads; None: ``training.json``, else the automatic choice.
        live_projections: Send embedding projections during training.
        max_rate: Progress events per second at most (epoch and final events always).
    """

    snapshot: Any
    project_dir: str | None = None
    epochs: int | None = None
    finetune_from: str | None = None
    device: str | None = None
    threads: int | None = None
    live_projections: bool = True
    max_rate: float = MAX_RATE


# -- encoding events ------------------------------------------------------------------
def _mapping_proxy(values: dict) -> Mapping[str, Any]:
    return MappingProxyType(values)


def _reduce_mapping_proxy(proxy: MappingProxyType) -> tuple:
    return _mapping_proxy, (dict(proxy),)


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[MappingProxyType] = _reduce_mapping_proxy


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
    """A started child and the parent's ends of its three pipes."""

    process: Any  # multiprocessing.Process
    requests: Any  # Connection: parent -> child, the one TrainingRequest
    control: Any  # Connection: parent -> child, "stop"
    events: Any  # Connection: child -> parent, encoded events

    def close_pipes(self) -> None:
        for end in (self.requests, self.control, self.events):
            try:
                end.close()
            except OSError:
                pass


def _spawn() -> _Child:
    request_read, request_write = _CONTEXT.Pipe(duplex=False)
    control_read, control_write = _CONTEXT.Pipe(duplex=False)
    events_read, events_write = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(
        target=child_main, args=(request_read, control_read, events_write),
        name="workbench-training", daemon=True)
    process.start()
    # The child has its own copies now; closing ours makes its death an EOF here.
    for end in (request_read, control_read, events_write):
        end.close()
    return _Child(process, request_write, control_write, events_read)


_spare_lock = threading.Lock()
_spare: _Child | None = None


def warm_up() -> None:
    """Start a spare child (it imports torch) unless one is ready; returns at once."""
    global _spare
    with _spare_lock:
        if _spare is not None and _spare.process.is_alive():
            return
        if _spare is not None:
            _discard(_spare)
        _spare = _spawn()


def discard_spare() -> None:
    """End the spare child, if any (e.g. before the app exits)."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None:
        _discard(spare)


def _take_spare() -> _Child | None:
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None and not spare.process.is_alive():
        _discard(spare)
        return None
    return spare


def _discard(child: _Child) -> None:
    child.close_pipes()  # a waiting spare exits on the closed request pipe
    child.process.join(JOIN_SECONDS)
    if child.process.is_alive():
        child.process.terminate()
        child.process.join(JOIN_SECONDS)


class TrainingProcess:
    """One training run in a child process (see the module docstring).

    :meth:`start`, :meth:`events` and :meth:`close` are meant for one thread (a
    relay thread); :meth:`request_stop` and :meth:`terminate` may be called from any.
    """

    def __init__(self, request: TrainingRequest) -> None:
        self.request = request
        self._child: _Child | None = None
        self._lock = threading.Lock()
        self._stop_requested = False
        self._closed = False
        self.exitcode: int | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None before :meth:`start`)."""
        child = self._child
        return child.process.pid if child is not None else None

    def start(self) -> None:
        """Take the spare child (or spawn one) and send it the request.

        Raises:
            Exception: The request cannot be pickled or no process can be started.
        """
        child = _take_spare() or _spawn()
        with self._lock:
            self._child = child
            stop = self._stop_requested
        try:
            child.requests.send(self.request)
        except (OSError, EOFError):
            pass  # the child died meanwhile: events() reports it
        if stop:
            self._send_stop(child)

    def request_stop(self) -> None:
        """Ask the run to stop between batches (returns at once)."""
        with self._lock:
            self._stop_requested = True
            child = self._child
        if child is not None:
            self._send_stop(child)

    @staticmethod
    def _send_stop(child: _Child) -> None:
        try:
            child.control.send(STOP)
        except (OSError, EOFError, ValueError):
            pass  # already gone (or closed): nothing left to stop

    def terminate(self) -> None:
        """Kill the child now (last resort: its run is marked failed)."""
        child = self._child
        if child is not None and child.process.is_alive():
            child.process.terminate()

    def events(self) -> Iterator[TrainingEvent]:
        """Yield the child's events in order; the last one is always terminal."""
        child = self._child
        if child is None:
            raise RuntimeError("TrainingProcess.events() before start()")
        run_id = ""
        while True:
            try:
                data = child.events.recv_bytes()
            except (EOFError, OSError):
                yield self._ended_unexpectedly(run_id)
                return
            try:
                event = decode_event(data)
            except Exception as error:  # noqa: BLE001 - report, never hang
                self.terminate()
                yield TrainingFailed(
                    f"cannot read an event of the training process: {error}",
                    traceback.format_exc(), run_id)
                return
            if isinstance(event, TrainingStarted):
                run_id = event.run_id
            yield event
            if isinstance(event, TERMINAL_EVENTS):
                return

    def close(self, timeout: float = JOIN_SECONDS) -> int | None:
        """Stop the child if it runs, wait for it, terminate it as a last resort.

        Returns the child's exit code (None if it never started). Never leaves a
        zombie: the process is always joined.
        """
        child = self._child
        if child is None or self._closed:
            return self.exitcode
        self._closed = True
        self._send_stop(child)
        process = child.process
        process.join(timeout)
        if process.is_alive():
            process.terminate()
            process.join(JOIN_SECONDS)
        if process.is_alive():  # ignored SIGTERM
            process.kill()
            process.join()
        child.close_pipes()
        self.exitcode = process.exitcode
        return self.exitcode

    def _ended_unexpectedly(self, run_id: str) -> TrainingFailed:
        child = self._child
        assert child is not None
        child.process.join(JOIN_SECONDS)
        if child.process.is_alive():  # closed its pipe but hangs: end it
            child.process.terminate()
            child.process.join(JOIN_SECONDS)
        self.exitcode = code = child.process.exitcode
        message = (f"training process ended unexpectedly, exit code {code}"
                   f"{_describe_exit(code)}; the project and your edits are unchanged")
        _record_failure(self.request.project_dir, run_id, message)
        return TrainingFailed(message, "", run_id)


def _describe_exit(code: int | None) -> str:
    if code is None or code >= 0:
        return ""
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return f" (signal {-code})"
    if name == "SIGKILL":
        return " (SIGKILL: killed, e.g. by the system when memory ran out)"
    if name == "SIGSEGV":
        return " (SIGSEGV: a crash in native code, e.g. torch or a GPU driver)"
    return f" ({name})"


def _record_failure(project_dir: str | None, run_id: str, message: str) -> None:
    """Mark the dead child's run as failed in the run history (it could not)."""
    if not project_dir or not run_id:
        return
    try:
        from workbench.training.run_history import FAILED, RunHistory

        history = RunHistory.for_project(Path(project_dir))
        record = history.get(run_id)
        if record is not None and record.status == "running":
            history.finish(run_id, FAILED, wall_seconds=time.time() - record.started,
                           message=message)
    except Exception:  # noqa: BLE001 - the history is a convenience
        pass


# -- the child's side -----------------------------------------------------------------
def child_main(requests: Any, control: Any, events: Any) -> None:
    """Entry point of the child: import, wait for the request, train, send events."""
    import workbench.training.runner  # noqa: F401 - the slow imports, before the request
    from workbench.training import threads as _threads  # noqa: F401

    _import_torch()
    try:
        request = requests.recv()
    except (EOFError, OSError):
        os._exit(0)  # a spare that is no longer needed
    requests.close()
    token = StopToken()
    threading.Thread(target=_watch_control, args=(control, token), daemon=True,
                     name="training-control").start()
    sender = _Sender(events, token)
    for event in child_events(request, token):
        sender.send(event)
    sender.close()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    # Everything is written (model, cache, run history); skip torch's slow teardown.
    os._exit(0)


def _import_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        pass  # run_training says what is missing


def _watch_control(control: Any, token: StopToken) -> None:
    """Set ``token`` on "stop", or when the parent's end closes (it went away)."""
    while True:
        try:
            message = control.recv()
        except (EOFError, OSError):
            token.request_stop()
            return
        if message == STOP:
            token.request_stop()


class _Sender:
    def __init__(self, connection: Any, token: StopToken) -> None:
        self._connection, self._token = connection, token
        self._broken = False

    def send(self, event: Any) -> None:
        if self._broken:
            return
        try:
            self._connection.send_bytes(encode_event(event))
        except (OSError, EOFError, ValueError):
            self._broken = True  # the parent is gone: stop, let the run record it
            self._token.request_stop()

    def close(self) -> None:
        try:
            self._connection.close()
        except OSError:
            pass


def child_events(request: TrainingRequest, token: StopToken) -> Iterator[Any]:
    """The run's events as ``workbench train`` makes them, progress throttled.

    Device and threads: the request's, else the project's ``training.json``, else
    automatic. Any exception becomes a final ``TrainingFailed``.
    """
    try:
        from workbench.core.machine_options import read_machine_options
        from workbench.training.runner import run_training
        from workbench.training.threads import apply_thread_count

        folder = Path(request.project_dir) if request.project_dir else None
        options, problem = read_machine_options(folder)
        device = request.device or options.device
        threads = request.threads if request.threads is not None else options.threads
        used = apply_thread_count(threads)
        if problem:
            yield TrainingNote(problem)
        how = ("as set in the Settings tab" if threads is not None
               else "chosen from the idle cores")
        yield TrainingNote(f"training in a separate process (pid {os.getpid()}) on "
                           f"{used} CPU thread(s), {how}")
        last = 0.0
        interval = 1.0 / request.max_rate if request.max_rate > 0 else 0.0
        for event in run_training(
                request.snapshot, project_dir=folder, epochs=request.epochs,
                stop=token, device=device,
                finetune_from=request.finetune_from,
                live_projections=request.live_projections):
            if isinstance(event, (BatchProgress, FeaturizationProgress)):
                now = time.monotonic()
                if now - last < interval:
                    continue
                last = now
            yield event
    except Exception as error:  # noqa: BLE001 - nothing dies silently in the child
        yield TrainingFailed(f"training crashed: {error}", traceback.format_exc())
