"""``workbench app [PROJECT]``: open the window, or summarise without a display."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from workbench.cli.window_setup import display_available, prepare_window

NO_DISPLAY = (
    "No display found: the window cannot be shown here (no DISPLAY or WAYLAND_DISPLAY, "
    "QT_QPA_PLATFORM not set), showing a summary instead; to see the window run on a "
    "desktop or under xvfb-run (xvfb-run -a workbench app PROJECT)."
)


def register(subparsers: Any) -> None:
    """Add the ``app`` command."""
    parser = subparsers.add_parser(
        "app",
        help="open the desktop window (annotate, fix and browse NLU data)",
        description=(
            "Open the NLU Workbench window on PROJECT (a Rasa project folder or an "
            "NLU .yml file; default: your copy of the bundled sample project, made "
            "on first use). Without a "
            "display, validate and summarise the project instead (and train it "
            "headless with --train)."
        ),
    )
    _add_arguments(parser)
    parser.set_defaults(func=run)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", help="project folder or NLU YAML file")
    parser.add_argument("--settings", metavar="INI",
                        help="keep preferences in this INI file, not the user's")
    parser.add_argument("--train", action="store_true",
                        help="without a display: also train the project, with progress")
    parser.add_argument("--epochs", type=int, metavar="N",
                        help="with --train: override the configured number of epochs")
    parser.add_argument("--summary", action="store_true",
                        help="print the summary even when a display is available")


def build_parser() -> argparse.ArgumentParser:
    """Parser for ``python -m workbench`` (same options as ``workbench app``)."""
    parser = argparse.ArgumentParser(
        prog="python -m workbench", description="Open the NLU Workbench window."
    )
    _add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m workbench``: same options as ``workbench app``."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if argv is None and args.train:  # trains in this process: with tcmalloc if there
        from workbench.training.allocator import reexec_with_allocator

        reexec_with_allocator(["app", *sys.argv[1:]])
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    """Open the window, or summarise (and optionally train) without one.

    Without PROJECT the user's copy of the bundled sample is used (copied on first
    use; where it is goes to stdout and the status bar). PySide6 is imported only when
    the window will really be shown.
    """
    notice = None
    if args.project:
        project = Path(args.project)
    else:
        from workbench.core.sample_project import SampleCopyError, user_sample_copy

        try:
            copy = user_sample_copy()
        except SampleCopyError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        project, notice = copy.path, copy.describe()
        print(notice, flush=True)
    if not args.summary:
        if not display_available():
            print(NO_DISPLAY, file=sys.stderr)
        elif prepare_window():
            status = _run_window(project, args.settings, notice)
            if status is not None:
                return status
    return summarise(project, train=args.train, epochs=args.epochs)


def _run_window(project: Path, settings: str | None, notice: str | None) -> int | None:
    """Run the window; None when Qt cannot be imported (the caller summarises)."""
    try:
        # PySide6 first (pyqtgraph picks the binding already imported).
        import PySide6.QtWidgets  # noqa: F401, I001  (loads Qt's libraries: fails cleanly)
        import pyqtgraph  # noqa: F401

        from workbench.qt.app import run_window
    except ImportError as error:
        if not (error.name or "").startswith(("PySide6", "shiboken6", "pyqtgraph")):
            raise  # our own code is broken: show it
        print(f"The window cannot start: PySide6 does not load ({error}); reinstall "
              "the package (bash scripts/setup-env.sh). Showing a summary of the "
              "project instead.", file=sys.stderr)
        return None
    return run_window(project, settings, notice=notice)


def summarise(
    path: Path, *, train: bool = False, epochs: int | None = None, out: Any = None
) -> int:
    """Validate ``path`` and print what it holds; train it when ``train`` is set.

    Returns:
        0 when the project loaded without errors, 1 when it has errors, 2 if unreadable.
    """
    from workbench.core.project import ProjectLoadError, load_project

    out = out or sys.stdout
    try:
        project = load_project(path)
    except ProjectLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        from workbench.core.validation import validate
    except ImportError:
        issues = list(project.load_issues)
    else:
        issues = list(validate(project))
    intents = Counter(example.intent for example in project.examples)
    entities = Counter(
        span.entity for example in project.examples for span in example.entities
    )
    counts = (
        f"{len(project.examples)} examples, {len(project.intents)} intents, "
        f"{len(entities)} entity types, {len(project.synonyms)} synonyms, "
        f"{len(project.regexes)} regexes, {len(project.lookups)} lookup tables"
    )
    per_intent = ", ".join(f"{n} ({intents.get(n, 0)})" for n in project.intents)
    errors = [i for i in issues if i.severity == "error"]
    lines = [f"Project {project.root}", f"  {counts}", f"  intents: {per_intent}"]
    if entities:
        per_entity = ", ".join(f"{n} ({c})" for n, c in entities.most_common())
        lines.append(f"  entities: {per_entity}")
    warnings = len(issues) - len(errors)
    lines.append(f"  problems: {len(errors)} error(s), {warnings} warning(s)")
    lines += [f"    {issue.format()}" for issue in issues[:20]]
    if len(issues) > 20:
        more = len(issues) - 20
        lines.append(f"    … and {more} more (workbench data validate lists all)")
    print("\n".join(lines), file=out)
    if train:
        status = train_headless(path, epochs)
        return status or (1 if errors else 0)
    return 1 if errors else 0


def train_headless(path: Path, epochs: int | None) -> int:
    """Train ``path`` exactly as ``workbench train PATH --progress`` does.

    Same loop, same progress lines, same stop on the first Ctrl+C (the run is recorded
    as cancelled), same exit statuses.
    """
    try:
        from workbench.cli import train_commands
    except ImportError as error:
        print(f"Training is not available in this build ({error}).", file=sys.stderr)
        return 1
    parser = argparse.ArgumentParser(prog="workbench")
    train_commands.register(parser.add_subparsers(dest="command"))
    argv = ["train", "--progress"]
    if epochs is not None:
        argv += ["--epochs", str(epochs)]
    print("Training (Ctrl+C stops after the current batch)…", flush=True)
    return int(train_commands.run_train(parser.parse_args([*argv, "--", str(path)])))
