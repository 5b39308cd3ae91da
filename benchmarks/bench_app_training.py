"""In-app training against ``workbench train``: speed and event-loop responsiveness.

Trains the sample project (a fresh copy each time, so nothing comes from the training
cache) alternately in the desktop app (offscreen: a real ``MainWindow``, its real
``TrainingWorker`` thread, live charts and scatter) and with ``workbench train`` in a
subprocess, with the same epochs, device and thread setting. Each run is its own
process (torch and Qt start fresh). Reported, median of ``--runs``:

* training time: the run's ``wall_seconds`` in the run history (``runs.db``), i.e.
  ``run_training`` from start to end: featurization + DIET + saving; the same clock
  for both;
* end to end: app: click Train → finished signal (torch import included); CLI: the
  process from start to exit (interpreter, imports, project load included);
* app only: the largest delay of a 10 ms ``QTimer`` during the run (how long the
  GUI thread could not react), and its 99th percentile.

``--busy`` also clicks around during the in-app run (switches tabs, scrolls the
examples, types into the filter every 500 ms) like the user in issue 11.

Run: ``.venv/bin/python benchmarks/bench_app_training.py [--epochs 100] [--runs 3]``
(``--epochs 10 --runs 1`` for a quick check). Report ``/proc/loadavg`` with the
numbers: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_projects" / "pizza"
TIMER_MS = 10
BUSY_INTERVAL_MS = 500  # --busy: one action every half second (a fast user)


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "n/a"


def run_wall_seconds(project: Path) -> float | None:
    """wall_seconds of the project's (only) run in its run history."""
    db = project / ".workbench" / "runs.db"
    if not db.exists():
        return None
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT wall_seconds, status FROM runs ORDER BY started DESC").fetchone()
    return float(row[0]) if row and row[0] is not None and row[1] == "finished" \
        else None  # fmt: skip


def child_env(threads: int | None) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if threads is not None:  # same torch threads in both: the run's own choice else
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def cli_run(project: Path, epochs: int | None, threads: int | None) -> dict:
    command = [sys.executable, "-m", "workbench.cli.main", "train", str(project),
               "--device", "cpu", "--no-progress"]
    if epochs is not None:
        command += ["--epochs", str(epochs)]
    started = time.perf_counter()
    done = subprocess.run(command, env=child_env(threads), capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"workbench train failed:\n{done.stdout}\n{done.stderr}")
    return {"end_to_end": wall, "training": run_wall_seconds(project)}


def app_run(project: Path, epochs: int | None, threads: int | None,
            busy: bool) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child-app",
               str(project)]
    if epochs is not None:
        command += ["--epochs", str(epochs)]
    if busy:
        command.append("--busy")
    done = subprocess.run(command, env=child_env(threads), capture_output=True,
                          text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"in-app run failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(lines[-1])
    result["training"] = run_wall_seconds(project)
    return result


def child_app(project: Path, epochs: int | None, busy: bool) -> int:
    """In this process: open the window, train, measure the timer; print JSON."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.qt.dialogs.prompter import ScriptedPrompter
    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import SettingsStore
    from workbench.training.events import TrainingFailed, TrainingFinished

    app = QApplication.instance() or QApplication([])
    settings = SettingsStore.at_path(project.parent / "settings.ini")
    window = MainWindow(settings_store=settings, prompter=ScriptedPrompter())
    window.resize(1280, 820)
    window.show()
    if not window.open_project(project):
        print("cannot open the project", file=sys.stderr)
        return 1
    app.processEvents()
    view = window.train_view
    view.epochs_box.setValue(epochs or 0)
    window.tabs.setCurrentWidget(view)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0] - TIMER_MS / 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(TIMER_MS)
    timer.timeout.connect(tick)
    outcome: dict = {}

    def on_event(event: object) -> None:
        if isinstance(event, (TrainingFinished, TrainingFailed)):
            outcome["event"] = type(event).__name__
            outcome["message"] = getattr(event, "message", "")

    view.worker.event.connect(on_event)
    clicker = QTimer()
    clicker.setInterval(BUSY_INTERVAL_MS)
    steps = [0]

    def click_around() -> None:  # what a user does while waiting
        steps[0] += 1
        window.tabs.setCurrentIndex(steps[0] % window.tabs.count())
        table = window.examples_view.table
        table.verticalScrollBar().setValue((steps[0] * 7) % max(1, table.model()
                                                                .rowCount()))
        filter_box = getattr(window.examples_view, "filter_edit", None)
        if filter_box is not None:
            filter_box.setText("pizza"[: steps[0] % 6])

    clicker.timeout.connect(click_around)
    loop = QEventLoop()
    view.worker.finished.connect(loop.quit)
    started = time.perf_counter()
    if not view.start_training():
        print("training did not start", file=sys.stderr)
        return 1
    last[0] = time.perf_counter()
    timer.start()
    if busy:
        clicker.start()
    loop.exec()
    wall = time.perf_counter() - started
    timer.stop()
    clicker.stop()
    gaps.sort()
    result = {
        "end_to_end": wall,
        "max_timer_delay_ms": 1000 * (gaps[-1] if gaps else 0.0),
        "p99_timer_delay_ms": 1000 * (gaps[int(0.99 * (len(gaps) - 1))] if gaps
                                      else 0.0),
        "ticks": len(gaps), **outcome,
    }
    window.discard_and_close()
    print(json.dumps(result))
    return 0 if outcome.get("event") == "TrainingFinished" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=SAMPLE)
    parser.add_argument("--epochs", type=int, default=None,
                        help="override DIET's epochs (default: as configured)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median)")
    parser.add_argument("--threads", type=int, default=None,
                        help="OMP_NUM_THREADS for both (default: each run's choice)")
    parser.add_argument("--busy", action="store_true",
                        help="click around in the window during the in-app runs")
    parser.add_argument("--child-app", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_app is not None:
        return child_app(args.child_app, args.epochs, args.busy)

    print(f"project {args.project}, epochs {args.epochs or 'as configured'}, "
          f"runs {args.runs}, threads {args.threads or 'auto'}, busy {args.busy}")
    print(f"loadavg before: {loadavg()}")
    results: dict[str, list[dict]] = {"app": [], "cli": []}
    with tempfile.TemporaryDirectory(prefix="bench-app-training-") as tmp:
        for number in range(args.runs):
            for kind in ("app", "cli") if number % 2 == 0 else ("cli", "app"):
                project = Path(tmp) / f"{kind}-{number}" / "project"
                shutil.copytree(args.project, project,
                                ignore=shutil.ignore_patterns(".workbench", "models"))
                if kind == "app":
                    result = app_run(project, args.epochs, args.threads, args.busy)
                else:
                    result = cli_run(project, args.epochs, args.threads)
                result["loadavg"] = loadavg()
                results[kind].append(result)
                print(f"{kind} run {number + 1}: " + json.dumps(
                    {k: round(v, 3) if isinstance(v, float) else v
                     for k, v in result.items()}), flush=True)

    def median(kind: str, key: str) -> float:
        values = [r[key] for r in results[kind] if r.get(key) is not None]
        return statistics.median(values) if values else float("nan")

    app_t, cli_t = median("app", "training"), median("cli", "training")
    app_e, cli_e = median("app", "end_to_end"), median("cli", "end_to_end")
    print(f"training (run history): app {app_t:.1f} s, cli {cli_t:.1f} s, "
          f"app/cli {app_t / cli_t:.3f}")
    print(f"end to end: app {app_e:.1f} s, cli {cli_e:.1f} s, "
          f"app/cli {app_e / cli_e:.3f}")
    print(f"largest 10 ms timer delay in the app: "
          f"{max(r['max_timer_delay_ms'] for r in results['app']):.1f} ms "
          f"(median of runs {median('app', 'max_timer_delay_ms'):.1f} ms, p99 "
          f"{median('app', 'p99_timer_delay_ms'):.1f} ms)")
    print(f"loadavg after: {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
