"""The QThreads the app started (tests check that none is left running).

A leaf module: the workers import it, and it imports nothing of the app, so starting a
worker never pulls in the window or the command line.
"""

from __future__ import annotations

import weakref
from typing import Any

_THREADS: weakref.WeakSet[Any] = weakref.WeakSet()


def register_thread(thread: Any) -> None:
    """Remember a QThread we started."""
    _THREADS.add(thread)


def live_threads() -> list[Any]:
    """Return the QThreads started by the app that still exist."""
    return list(_THREADS)
