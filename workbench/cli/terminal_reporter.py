"""Terminal reporting of a training run: node lines, a live progress bar, a summary.

:class:`TerminalReporter` consumes the same events as the GUI. On a terminal the bar is
redrawn in place with ``\\r`` at most ten times a second; elsewhere (a pipe, a log file)
it prints one plain line per epoch, and only when asked to. The model path is always the
last line written to ``out``: ``workbench train PROJECT | tail -n 1`` finds the model.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from typing import TextIO

from workbench.training.events import (
    BatchProgress,
    EpochCompleted,
    EvaluationCompleted,
    FeaturizationProgress,
    NodeCompleted,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingNote,
    TrainingStarted,
)

REDRAW_SECONDS = 0.1  # at most ten redraws per second
PLAIN_LINE_SECONDS = 2.0  # without a terminal: at most one epoch line every two seconds
BAR_WIDTH = 24
SHOWN_METRICS = ("t_loss", "i_acc", "e_f1")


def format_duration(seconds: float) -> str:
    """Format seconds as ``m:ss`` (or ``h:mm:ss``)."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_metrics(values: Mapping[str, float],
                   names: tuple[str, ...] = SHOWN_METRICS) -> str:
    """Format the named values that exist, e.g. ``t_loss 1.234  i_acc 0.950``."""
    parts = [f"{name} {values[name]:.3f}" for name in names if name in values]
    return "  ".join(parts)


class TerminalReporter:
    """Print training events for people.

    Args:
        out: Where to print (usually ``sys.stdout``).
        err: Where to print problems (usually ``sys.stderr``).
        progress: Show progress (bar or per-epoch lines).
        live: Redraw the bar in place (``out`` is a terminal).
        verbose: Print tracebacks of failures.
    """

    def __init__(self, out: TextIO, err: TextIO, *, progress: bool, live: bool,
                 verbose: bool = False) -> None:
        self.out, self.err = out, err
        self.progress, self.live, self.verbose = progress, live, verbose
        self._bar_shown = False
        self._last_draw = 0.0
        self._epochs = 0
        self._epoch_event: EpochCompleted | None = None

    def handle(self, event: object) -> None:
        """Print what ``event`` means for the user."""
        if isinstance(event, TrainingStarted):
            self._started(event)
        elif isinstance(event, TrainingNote):
            self._clear()
            self.err.write(f"note: {event.message}\n")
            self.err.flush()
        elif isinstance(event, NodeCompleted):
            how = "cached" if event.from_cache else f"ran {event.seconds:.1f}s"
            self._line(f"{event.name:<28} ... {how}")
        elif isinstance(event, FeaturizationProgress):
            self._draw(f"{event.name}: {event.done}/{event.total} messages",
                       event.done / max(event.total, 1))
        elif isinstance(event, BatchProgress):
            self._batch(event)
        elif isinstance(event, EpochCompleted):
            self._epoch(event)
        elif isinstance(event, EvaluationCompleted):
            if self.progress:
                self._line(f"validation after epoch {event.epoch}: "
                           f"{format_metrics(event.metrics, tuple(event.metrics))}")
        elif isinstance(event, TrainingFinished):
            self._finished(event)
        elif isinstance(event, TrainingCancelled):
            self._clear()
            kept = (f"the model so far was saved to {event.model_path}"
                    if event.model_path else "no model was saved")
            self.err.write(
                f"Training cancelled after {event.epochs_completed} epoch(s) "
                f"({format_duration(event.wall_seconds)}); {kept}.\n")
        elif isinstance(event, TrainingFailed):
            self._clear()
            if self.verbose and event.traceback_text:
                self.err.write(event.traceback_text.rstrip() + "\n")
            self.err.write(f"error: {event.message}\n")

    def _started(self, event: TrainingStarted) -> None:
        self._epochs = event.epochs
        held_out = (f" ({event.n_validation_examples} held out)"
                    if event.n_validation_examples else "")
        finetune = (f", continuing from {event.finetune_from}"
                    if event.finetune_from else "")
        self._line(
            f"Training on {event.n_examples} examples{held_out}: {len(event.intents)} "
            f"intents, {len(event.entity_types)} entity types, device {event.device}"
            f"{finetune} (run {event.run_id})"
        )

    def _batch(self, event: BatchProgress) -> None:
        within = event.batch / max(event.n_batches, 1)
        done = (event.epoch - 1 + within) / max(self._epochs, 1)
        detail = f"batch {event.batch}/{event.n_batches}"
        self._draw(self._epoch_text(event.epoch, detail), done)

    def _epoch(self, event: EpochCompleted) -> None:
        self._epoch_event = event
        self._epochs = event.total_epochs
        values = {**event.losses, **event.metrics}
        text = (f"epoch {event.epoch}/{event.total_epochs}  "
                f"ETA {format_duration(event.eta_seconds)}  {format_metrics(values)}")
        final = event.epoch == event.total_epochs
        if self.live:
            self._draw(text, event.epoch / max(event.total_epochs, 1), force=final)
        elif self.progress:
            now = time.monotonic()
            if final or event.epoch == 1 or now - self._last_draw >= PLAIN_LINE_SECONDS:
                self._last_draw = now
                self.out.write(text + "\n")
                self.out.flush()

    def _epoch_text(self, epoch: int, detail: str) -> str:
        text = f"epoch {epoch}/{self._epochs}  {detail}"
        if self._epoch_event is not None:
            values = {**self._epoch_event.losses, **self._epoch_event.metrics}
            text += (f"  ETA {format_duration(self._epoch_event.eta_seconds)}  "
                     f"{format_metrics(values)}")
        return text

    def _finished(self, event: TrainingFinished) -> None:
        self._clear()
        ran = ", ".join(event.nodes_run) or "nothing"
        cached = ", ".join(event.nodes_cached) or "nothing"
        self.out.write(f"Done in {format_duration(event.wall_seconds)} "
                       f"({event.wall_seconds:.2f}s). Ran: {ran}. "
                       f"From cache: {cached}.\n")
        if event.metrics:
            shown = tuple(name for name in ("i_acc", "e_f1", "val_i_acc", "val_e_f1")
                          if name in event.metrics)
            if shown:
                shown_text = format_metrics(event.metrics, shown)
                self.out.write(f"Final metrics: {shown_text}\n")
        self.out.write(f"{event.model_path}\n")
        self.out.flush()

    def _draw(self, text: str, fraction: float, *, force: bool = False) -> None:
        if not (self.progress and self.live):
            return
        now = time.monotonic()
        if not force and now - self._last_draw < REDRAW_SECONDS:
            return
        self._last_draw = now
        filled = int(BAR_WIDTH * min(max(fraction, 0.0), 1.0))
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {text}"
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self.out.write("\r" + line[:width].ljust(width))
        self.out.flush()
        self._bar_shown = True

    def _clear(self) -> None:
        if self._bar_shown:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.out.write("\r" + " " * width + "\r")
            self.out.flush()
            self._bar_shown = False

    def _line(self, text: str) -> None:
        self._clear()
        self.out.write(text + "\n")
        self.out.flush()
