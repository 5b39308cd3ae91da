"""Metric history of a training run, kept outside any widget.

:class:`MetricsHistory` collects :class:`~workbench.training.events.EpochCompleted` and
:class:`~workbench.training.events.EvaluationCompleted` events into per-metric
series that charts read with ``series(name)``; it is plain Python and numpy, so the
GUI, the CLI and the run history share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from workbench.training.events import EpochCompleted, EvaluationCompleted


class MetricsHistory:
    """Per-epoch series of losses and metrics (training and ``val_`` ones)."""

    def __init__(self) -> None:
        self._series: dict[str, tuple[list[int], list[float]]] = {}
        self.epoch_seconds: list[float] = []

    @classmethod
    def from_epoch_rows(cls, rows: Iterable[Mapping[str, object]]) -> MetricsHistory:
        """Rebuild a history from run-history rows (``RunRecord.epoch_metrics``).

        Lets charts overlay earlier runs of the project on the current one.
        """
        history = cls()
        for row in rows:
            epoch = int(row["epoch"])  # type: ignore[call-overload]
            values = {k: v for k, v in row.items() if k not in ("epoch", "seconds")}
            history.add_values(epoch, values)  # type: ignore[arg-type]
            seconds = row.get("seconds")
            history.epoch_seconds.append(float(seconds) if seconds else 0.0)
        return history

    def add(self, event: object) -> None:
        """Record an epoch or evaluation event; other events are ignored."""
        if isinstance(event, EpochCompleted):
            self.add_values(event.epoch, event.losses)
            self.add_values(event.epoch, event.metrics)
            self.epoch_seconds.append(event.seconds)
        elif isinstance(event, EvaluationCompleted):
            values = {
                key if key.startswith("val_") else f"val_{key}": value
                for key, value in event.metrics.items()
            }
            self.add_values(event.epoch, values)

    def add_values(self, epoch: int, values: Mapping[str, float]) -> None:
        """Record ``values`` (name -> number) for ``epoch``; non-numbers are skipped."""
        for name, value in values.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            epochs, numbers = self._series.setdefault(name, ([], []))
            epochs.append(int(epoch))
            numbers.append(float(value))

    def extend(self, events: Iterable[object]) -> None:
        """Record every event of ``events``."""
        for event in events:
            self.add(event)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the recorded series, in first-seen order."""
        return tuple(self._series)

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(epochs int64 (n,), values float64 (n,))`` (empty if unknown)."""
        epochs, values = self._series.get(name, ([], []))
        return np.asarray(epochs, dtype=np.int64), np.asarray(values, dtype=np.float64)

    def last(self, name: str, default: float | None = None) -> float | None:
        """Return the latest value of ``name`` or ``default``."""
        values = self._series.get(name)
        return values[1][-1] if values and values[1] else default

    def latest(self) -> dict[str, float]:
        """Return the latest value of every series."""
        series = self._series.items()
        return {name: values[-1] for name, (_, values) in series if values}

    def __len__(self) -> int:
        return len(self.epoch_seconds)


def eta_seconds(epoch_seconds: list[float], epochs_left: int) -> float:
    """Estimate the time left from recent epoch durations.

    Uses the median of the last five epochs: the first epoch is often slower (warm-up,
    allocations) and the batch size grows linearly, so a plain mean lags.
    """
    if not epoch_seconds or epochs_left <= 0:
        return 0.0
    recent = sorted(epoch_seconds[-5:])
    return float(recent[len(recent) // 2] * epochs_left)
