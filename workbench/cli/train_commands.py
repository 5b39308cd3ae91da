"""``workbench train`` and ``workbench runs``: headless training and the run history.

Both consume the same event stream as the desktop app. Exit status: 0 success, 1 the
training failed (bad data, bad configuration value, error), 2 bad arguments (no such
project, unreadable config file), 130 stopped with Ctrl+C (the first Ctrl+C stops after
the current batch; the run is recorded as cancelled).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.training.events import (
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add the ``train`` and ``runs`` commands."""
    train = subparsers.add_parser(
        "train",
        help="train a DIET model on a project (cached: unchanged parts are reused)",
        description="Train the project's NLU pipeline. Nodes whose code, settings and "
        "inputs did not change are restored from PROJECT/.workbench/cache. The last "
        "line printed is the model directory.",
    )
    train.add_argument("project", help="project folder or a single NLU YAML file")
    train.add_argument("--config", metavar="FILE",
                       help="Rasa config.yml to use instead of the project's own")
    train.add_argument("--epochs", type=int, metavar="N", help="override DIET's epochs")
    train.add_argument("--seed", type=int, default=None, metavar="N",
                       help="random seed (default: the config's random_seed, else 42)")
    train.add_argument("--device", default=None, metavar="D",
                       help="cpu, cuda, cuda:1, mps or auto (default: the device "
                       "chosen in the app's Settings tab, kept in PROJECT/.workbench/"
                       "training.json, else auto)")
    train.add_argument("--out", metavar="DIR",
                       help="model directory (default: a new folder "
                       "PROJECT/models/<timestamp>-<run>/)")
    train.add_argument("--finetune", metavar="MODEL",
                       help="continue training an earlier model directory (default "
                       "epochs: a tenth of the config's, at least 10); new intents "
                       "and entity types are added")
    train.add_argument("--threads", type=int, metavar="N",
                       help="CPU threads for torch (default: the count chosen in the "
                       "app's Settings tab, else the cores the current load leaves "
                       "idle, at least 1)")
    train.add_argument("--force", action="store_true",
                       help="recompute every node, ignoring the cache")
    train.add_argument("--progress", action=argparse.BooleanOptionalAction,
                       default=None, help="show progress (default: only when stdout "
                       "is a terminal)")
    train.add_argument("--verbose", "-v", action="store_true",
                       help="print tracebacks of unexpected errors")
    train.set_defaults(func=run_train)

    runs = subparsers.add_parser("runs", help="list the training runs of a project",
                                 description="List the runs recorded in "
                                 "PROJECT/.workbench/runs.db, oldest first.")
    runs.add_argument("project", help="project folder or a single NLU YAML file")
    runs.add_argument("--json", action="store_true", help="print a JSON list")
    runs.set_defaults(func=run_runs)


def project_dir(path: Path) -> Path:
    """Return the folder holding a project's ``.workbench`` data."""
    return path if path.is_dir() else path.parent


def _error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def _read_config(path: str) -> dict[str, Any] | None:
    from ruamel.yaml import YAML, YAMLError

    config_path = Path(path)
    try:
        data = YAML(typ="safe").load(config_path.read_text(encoding="utf-8"))
    except OSError as error:
        _error(f"cannot read config file {config_path}: {error.strerror or error}")
        return None
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or error
        _error(f"{config_path}{where}: not valid YAML ({problem}); fix the file or "
               "pass another --config")
        return None
    if not isinstance(data, dict):
        _error(f"{config_path}: a Rasa config must be a mapping with a 'pipeline' key")
        return None
    return data


def run_train(args: argparse.Namespace) -> int:
    """Train and print progress; return the exit status."""
    from workbench.training.threads import sample_cpu

    started = sample_cpu()  # the thread choice measures other work from here on
    path = Path(args.project)
    if not path.exists():
        _error(f"no project at {path}: give a project folder or an NLU YAML file")
        return EXIT_USAGE
    if args.epochs is not None and args.epochs < 1:
        _error(f"--epochs must be at least 1, got {args.epochs}")
        return EXIT_USAGE
    if args.threads is not None and args.threads < 1:
        _error(f"--threads must be at least 1, got {args.threads}")
        return EXIT_USAGE
    config = None
    if args.config:
        config = _read_config(args.config)
        if config is None:
            return EXIT_USAGE
    if args.finetune and not Path(args.finetune).is_dir():
        _error(f"--finetune {args.finetune}: no such model directory")
        return EXIT_USAGE

    from workbench.core.project import load_project

    project = load_project(path)
    errors = [issue for issue in project.load_issues if issue.severity == "error"]
    for issue in errors:
        where = f"{issue.path}:{issue.line}: " if issue.path else ""
        hint = f" ({issue.hint})" if issue.hint else ""
        _error(f"{where}{issue.message}{hint}")
    if errors:
        _error(f"{len(errors)} problem(s) in the training data; fix them and train "
               "again")
        return EXIT_FAILED

    from workbench.cli.terminal_reporter import TerminalReporter
    from workbench.training.control import StopToken
    from workbench.training.runner import run_training
    from workbench.training.threads import apply_thread_count

    folder = project_dir(path)
    device, threads = _machine_choice(args, folder)
    # imports torch: the other commands stay torch-free
    apply_thread_count(threads, since=started)
    interactive = sys.stdout.isatty()
    progress = interactive if args.progress is None else args.progress
    reporter = TerminalReporter(sys.stdout, sys.stderr, progress=progress,
                                live=progress and interactive, verbose=args.verbose)
    if args.verbose:
        from workbench.training.allocator import active_library

        sys.stderr.write("note: memory allocator "
                         f"{active_library() or 'of the system (malloc)'}\n")
    stop = StopToken()
    status = EXIT_FAILED
    events = run_training(
        project.snapshot(), config=config, stop=stop, seed=args.seed,
        device=device, epochs=args.epochs, finetune_from=args.finetune,
        out_dir=Path(args.out) if args.out else None, project_dir=folder,
        force=args.force, live_projections=False,
    )
    with _first_interrupt_stops(stop):
        for event in events:
            reporter.handle(event)
            if isinstance(event, TrainingFinished):
                status = EXIT_OK
            elif isinstance(event, TrainingCancelled):
                status = 130
            elif isinstance(event, TrainingFailed):
                status = EXIT_FAILED
    return status


def _machine_choice(args: argparse.Namespace, folder: Path) -> tuple[str, int | None]:
    """Device and threads: the flag, else ``.workbench/training.json``, else automatic.

    The file holds what the app's Settings tab chose for this computer, so the CLI
    trains as the app does. A damaged file is reported and the defaults are used.
    """
    from workbench.core.machine_options import options_path, read_machine_options

    options, problem = read_machine_options(folder)
    if problem:
        sys.stderr.write(f"note: {problem}\n")
    device = args.device if args.device is not None else options.device
    threads = args.threads if args.threads is not None else options.threads
    taken = []
    if args.device is None and options.device != "auto":
        taken.append(f"device {options.device}")
    if args.threads is None and options.threads is not None:
        taken.append(f"{options.threads} CPU thread(s)")
    if taken:
        sys.stderr.write(f"note: {' and '.join(taken)} as set in "
                         f"{options_path(folder)} (the app's Settings tab); "
                         "--device and --threads override it\n")
    return device, threads


@contextlib.contextmanager
def _first_interrupt_stops(stop: Any) -> Iterator[None]:
    """Make the first Ctrl+C a cooperative stop (the run is recorded as cancelled)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        if stop.stop_requested:
            raise KeyboardInterrupt
        sys.stderr.write("\nstopping after the current batch (Ctrl+C again to abort)\n")
        stop.request_stop()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_runs(args: argparse.Namespace) -> int:
    """Print the run history of a project; return the exit status."""
    path = Path(args.project)
    if not path.exists():
        _error(f"no project at {path}: give a project folder or an NLU YAML file")
        return EXIT_USAGE
    from workbench.training.run_history import HistoryError, RunHistory

    db = project_dir(path) / ".workbench" / "runs.db"
    records = []
    if os.path.lexists(db):
        try:
            history = RunHistory(db)
            records = history.runs()
        except HistoryError as error:
            _error(str(error))
            return EXIT_FAILED
        except (OSError, sqlite3.Error) as error:  # e.g. locked by a writer for 30 s
            _error(f"cannot read the run history {db}: {error}")
            return EXIT_FAILED
        if history.notice:
            sys.stderr.write(f"note: {history.notice}\n")
    if args.json:
        print(json.dumps([record.to_json() for record in records], indent=2))
        return EXIT_OK
    if not records:
        print(f"No training runs recorded for {path} yet (train with: workbench train "
              f"{args.project}).")
        return EXIT_OK
    rows = [("run", "started (UTC)", "status", "epochs", "wall", "i_acc", "e_f1",
             "model")]
    for record in records:
        rows.append((
            record.id,
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(record.started)),
            record.status,
            _epochs_column(record),
            f"{record.wall_seconds:.1f}s" if record.wall_seconds is not None else "-",
            _metric(record.final_metrics, "i_acc"),
            _metric(record.final_metrics, "e_f1"),
            record.model_path or "-",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [
            cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)
        ]
        print("  ".join([*cells, row[-1]]))
    return EXIT_OK


def _metric(values: Any, name: str) -> str:
    value = values.get(name) if values else None
    return f"{value:.3f}" if isinstance(value, (int, float)) else "-"


def _epochs_column(record: Any) -> str:
    if record.epoch_metrics:
        return str(len(record.epoch_metrics))
    if record.status == "finished" and "diet" not in record.nodes_run:
        return "cached"  # the model came from the training cache
    return "-"
