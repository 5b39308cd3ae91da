"""Validate the project in a worker thread so that big projects stay responsive.

The GUI thread hands over an immutable copy of what ``validate`` reads (examples are
immutable and shared, so the copy is cheap); the worker runs the core validation and
sends the issues back tagged with the request number. Only the answer to the latest
request is shown: an edit made meanwhile triggers a new request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from workbench.core.issues import Issue


@dataclass(frozen=True)
class ValidationInput:
    """The parts of a ``Project`` that ``workbench.core.validation.validate`` reads."""

    examples: tuple[Any, ...]
    intents: tuple[str, ...]
    domain_entities: frozenset[str] | None
    regexes: tuple[Any, ...]
    synonyms: tuple[Any, ...]
    lookups: tuple[Any, ...]
    load_issues: tuple[Issue, ...] = field(default=())

    @classmethod
    def from_project(cls, project: Any) -> ValidationInput:
        """Copy what validation needs from ``project``."""
        domain = project.domain_entities
        return cls(
            examples=project.examples.to_tuple(),
            intents=tuple(project.intents),
            domain_entities=frozenset(domain) if domain is not None else None,
            regexes=tuple(project.regexes),
            synonyms=tuple(project.synonyms),
            lookups=tuple(project.lookups),
            load_issues=tuple(project.load_issues),
        )


def run_validation(data: Any) -> list[Issue]:
    """Run the core validation (only the load issues if it is not available)."""
    try:
        from workbench.core.validation import validate
    except ImportError:
        return list(data.load_issues)
    return list(validate(data))


class _Messenger(QObject):
    """Carries a result from a pool thread to the GUI thread (queued signal)."""

    finished = Signal(int, list)


class _ValidationTask(QRunnable):
    def __init__(
        self, request: int, data: ValidationInput, messenger: _Messenger
    ) -> None:
        super().__init__()
        self._request, self._data, self._messenger = request, data, messenger

    def run(self) -> None:
        try:
            issues = run_validation(self._data)
        except Exception as error:  # noqa: BLE001 - never let a thread die silently
            message = f"validation failed: {error}"
            issues = [Issue("error", "validation-crashed", message, hint="report it")]
        self._messenger.finished.emit(self._request, issues)


class ValidationWorker(QObject):
    """Validate on a private thread pool: ``request(project)``, then ``validated``.

    The pool (one thread) is not a child of the window, so closing or deleting the
    window while a validation runs cannot destroy a running thread; ``stop`` waits.

    Signals:
        validated(list): issues of the latest request.
    """

    validated = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(1)
        _POOLS.append(self._pool)  # outlive the window until the process exits
        self._messenger = _Messenger()  # no parent: lives as long as a task needs it
        self._messenger.finished.connect(self._on_messenger_finished)
        self._latest = 0
        self.busy = False

    def request(self, project: Any) -> int:
        """Validate a copy of ``project`` in the background; return the request id."""
        self._latest += 1
        self.busy = True
        data = ValidationInput.from_project(project)
        self._pool.start(_ValidationTask(self._latest, data, self._messenger))
        return self._latest

    def _on_messenger_finished(self, request: int, issues: list) -> None:
        if request == self._latest:
            self.busy = False
            self.validated.emit(issues)

    def wait(self, msecs: int = -1) -> bool:
        """Wait until queued validations ran (results arrive with the next events)."""
        return self._pool.waitForDone(msecs)

    def stop(self) -> None:
        """Drop queued validations and wait for the running one."""
        self._latest += 1  # late answers are ignored
        self._pool.clear()
        self._pool.waitForDone()


_POOLS: list[QThreadPool] = []
