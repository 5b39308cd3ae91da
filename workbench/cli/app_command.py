"""``workbench app [PROJECT]``: open the window, or summarise without a display."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

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
            "NLU .yml file; default: the bundled sample project). Without a "
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


def run(args: argparse.Namespace) -> int:
    """Open the window, or summarise (and optionally train) without a display."""
    from workbench.qt.app import display_available, run_app
    from workbench.qt.main_window import SAMPLE_PROJECT

    project = Path(args.project) if args.project else SAMPLE_PROJECT
    if display_available() and not args.summary:
        return run_app(project, args.settings)
    if not args.summary:
        print(NO_DISPLAY, file=sys.stderr)
    return summarise(project, train=args.train, epochs=args.epochs)


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
        return _train(project, out, epochs) or (1 if errors else 0)
    return 1 if errors else 0


def _train(project: Any, out: Any, epochs: int | None) -> int:
    try:
        from workbench.training.runner import run_training
    except ImportError as error:
        print(f"Training is not available in this build ({error}).", file=sys.stderr)
        return 1
    from workbench.training import events

    print("Training (Ctrl+C stops)…", file=out)
    for event in run_training(
        project.snapshot(), project_dir=project.root, epochs=epochs
    ):
        match event:
            case events.EpochCompleted():
                losses = " ".join(f"{k}={v:.3f}" for k, v in event.losses.items())
                epoch = f"{event.epoch}/{event.total_epochs}"
                print(f"  epoch {epoch} {losses}", file=out, flush=True)
            case events.TrainingFinished():
                print(f"Model saved to {event.model_path}", file=out)
            case events.TrainingFailed():
                print(f"Training failed: {event.message}", file=sys.stderr)
                return 1
            case events.TrainingCancelled():
                print("Training cancelled.", file=out)
                return 1
            case _:
                pass
    return 0
