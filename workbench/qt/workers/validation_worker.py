"""Validate the project in a worker thread so that big projects stay responsive.

The GUI thread hands over an immutable copy of what ``validate`` reads
(:class:`workbench.core.validation_input.ValidationInput`); the worker runs the core
validation and sends the issues back. Only the answer to the latest request is shown:
an edit made meanwhile replaces a pending request and drops a running one's answer.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.core.issues import Issue
from workbench.core.validation import validate
from workbench.core.validation_input import ValidationInput
from workbench.qt.workers.job_thread import JobThread


def _validate(data: ValidationInput) -> tuple[Any, ...]:
    try:
        issues = validate(data)  # type: ignore[arg-type]  # reads what a Project has
    except Exception as error:  # noqa: BLE001 - never let a thread die silently
        message = f"validation failed: {error}"
        issues = [Issue("error", "validation-crashed", message, hint="report it")]
    return ("validated", list(issues))


class ValidationWorker(QObject):
    """Validate on a background thread: ``request(project)``, then ``validated``.

    Signals:
        validated(list): issues of the latest request.
    """

    validated = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = JobThread(self, "validation")

    @property
    def busy(self) -> bool:
        """Whether the latest request has not answered yet."""
        return self._jobs.busy

    def request(self, project: Any) -> int:
        """Validate a copy of ``project`` in the background; return the request id."""
        data = ValidationInput.from_project(project)
        self._jobs.cancel()
        return self._jobs.post("validate", lambda _context: _validate(data))

    def wait(self, msecs: int = -1) -> bool:
        """Wait until the requested validation ran (its result comes as an event)."""
        return self._jobs.wait_idle(msecs)

    def stop(self) -> None:
        """Drop the pending validation, wait for the running one, end the thread."""
        self._jobs.close()

