"""A tiny Qt-free signal: ``connect`` / ``disconnect`` / ``emit``.

Core containers announce changes through these signals; the Qt layer adapts them to
item-model calls (``beginInsertRows`` ...). Callbacks are called synchronously, in the
order they were connected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Signal:
    """A list of callbacks that are called with the arguments given to :meth:`emit`.

    Args:
        name: Name used in ``repr`` and error messages.
    """

    __slots__ = ("_callbacks", "_blocked", "name")

    def __init__(self, name: str = "signal") -> None:
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []
        self._blocked = False

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Call ``callback`` on every emit; returns it (usable as a decorator)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any] | None = None) -> None:
        """Stop calling ``callback`` (or every callback when it is ``None``).

        Raises:
            ValueError: If ``callback`` was not connected.
        """
        if callback is None:
            self._callbacks.clear()
            return
        try:
            self._callbacks.remove(callback)
        except ValueError:
            raise ValueError(f"{callback!r} is not connected to {self.name}") from None

    def emit(self, *args: Any) -> None:
        """Call every connected callback with ``args`` (nothing while blocked)."""
        if self._blocked:
            return
        for callback in tuple(self._callbacks):
            callback(*args)

    def blocked(self) -> _Blocker:
        """Return a context manager during which :meth:`emit` does nothing."""
        return _Blocker(self)

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"<Signal {self.name} ({len(self._callbacks)} connected)>"


class _Blocker:
    __slots__ = ("_signal", "_was_blocked")

    def __init__(self, signal: Signal) -> None:
        self._signal = signal
        self._was_blocked = False

    def __enter__(self) -> Signal:
        self._was_blocked = self._signal._blocked
        self._signal._blocked = True
        return self._signal

    def __exit__(self, *exc: object) -> None:
        self._signal._blocked = self._was_blocked
