"""JobThread: the one background-thread helper of the Qt workers, on real threads."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, Signal

from workbench.qt.threads import live_threads
from workbench.qt.workers.job_thread import JobContext, JobThread

TIMEOUT_MS = 10_000


class Owner(QObject):
    result = Signal(object)
    note = Signal(object)
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.jobs = JobThread(self, "test-jobs")
        self.seen: list[tuple[str, object]] = []
        self.busy_when_result: list[bool] = []
        self.result.connect(self._on_result)
        self.note.connect(lambda value: self.seen.append(("note", value)))
        self.failed.connect(lambda text: self.seen.append(("failed", text)))

    def _on_result(self, value: object) -> None:
        self.seen.append(("result", value))
        self.busy_when_result.append(self.jobs.busy)


@pytest.fixture
def owner(qtbot):
    made = Owner()
    yield made
    made.jobs.close(TIMEOUT_MS)


def _blocker(release: threading.Event, started: threading.Event):
    def job(context: JobContext) -> tuple:
        started.set()
        release.wait(TIMEOUT_MS / 1000)
        return ("result", "blocker")
    return job


def test_the_latest_job_per_key_wins_and_first_jumps_the_queue(qtbot, owner) -> None:
    release, started = threading.Event(), threading.Event()
    owner.jobs.post("block", _blocker(release, started))
    assert started.wait(TIMEOUT_MS / 1000)
    owner.jobs.post("text", lambda _c: ("result", "old text"))  # replaced below
    owner.jobs.post("batch", lambda _c: ("result", "batch"))
    owner.jobs.post("text", lambda _c: ("result", "new text"))
    owner.jobs.post("model", lambda _c: ("result", "model"), first=True)
    assert owner.jobs.busy
    release.set()
    qtbot.waitUntil(lambda: not owner.jobs.busy, timeout=TIMEOUT_MS)
    assert owner.seen == [("result", v) for v in ("blocker", "model", "batch",
                                                   "new text")]
    assert owner.busy_when_result == [True, True, True, False]  # False in the last


def test_messages_arrive_in_the_gui_thread_and_errors_keep_it_serving(
        qtbot, owner) -> None:
    threads: list[threading.Thread] = []

    def noisy(context: JobContext) -> tuple:
        context.emit("note", threading.current_thread())
        raise RuntimeError("broken input: line 3")

    owner.note.connect(lambda _v: threads.append(threading.current_thread()))
    with qtbot.waitSignal(owner.failed, timeout=TIMEOUT_MS) as failed:
        owner.jobs.post("a", noisy)
    assert failed.args[0].startswith("broken input: line 3\nTraceback")
    assert threads == [threading.main_thread()]
    assert owner.seen[0][1] is not threading.main_thread()  # emitted in the worker
    with qtbot.waitSignal(owner.result, timeout=TIMEOUT_MS) as result:
        owner.jobs.post("a", lambda _c: ("result", 42))
    assert result.args == [42]


def test_interrupt_stops_the_running_job_and_cancel_drops_its_answer(
        qtbot, owner) -> None:
    started, seen_stop = threading.Event(), threading.Event()

    def stoppable(context: JobContext) -> tuple:
        started.set()
        while not context.stopped():
            threading.Event().wait(0.005)
        seen_stop.set()
        return ("result", "stopped early")

    owner.jobs.post("a", stoppable)
    assert started.wait(TIMEOUT_MS / 1000)
    owner.jobs.interrupt()
    assert seen_stop.wait(TIMEOUT_MS / 1000)
    qtbot.waitUntil(lambda: owner.seen == [("result", "stopped early")],
                    timeout=TIMEOUT_MS)
    # An interrupt reaches the running job only: the next one runs to its end.
    with qtbot.waitSignal(owner.result, timeout=TIMEOUT_MS):
        owner.jobs.post("a", lambda c: ("result", c.stopped()))
    assert owner.seen[-1] == ("result", False)

    started.clear()
    owner.jobs.post("a", stoppable)
    assert started.wait(TIMEOUT_MS / 1000)
    owner.jobs.cancel()
    assert not owner.jobs.busy
    assert owner.jobs.wait_idle(TIMEOUT_MS)
    qtbot.wait(50)  # the cancelled answer would be delivered by now
    assert owner.seen[-1] == ("result", False)


def test_stop_ends_the_thread_post_restarts_it_and_close_is_final(qtbot,
                                                                  owner) -> None:
    (loop,) = [t for t in live_threads() if t.objectName() == "test-jobs"
               and not t.isFinished()]
    assert not loop.isRunning()  # started by the first post
    with qtbot.waitSignal(owner.result, timeout=TIMEOUT_MS):
        owner.jobs.post("a", lambda _c: ("result", 1))
    assert loop.isRunning()
    assert owner.jobs.stop(TIMEOUT_MS)
    assert not loop.isRunning()
    with qtbot.waitSignal(owner.result, timeout=TIMEOUT_MS):
        owner.jobs.post("a", lambda _c: ("result", 2))
    assert loop.isRunning()
    assert owner.jobs.close(TIMEOUT_MS)
    assert owner.jobs.post("a", lambda _c: ("result", 3)) == 0
    qtbot.wait(50)
    assert [v for kind, v in owner.seen if kind == "result"] == [1, 2]
    assert not loop.isRunning()
