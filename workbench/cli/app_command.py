"""``workbench app [PROJECT]``: open the desktop window, or summarise when there is no display."""

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
        description="Open the NLU Workbench window on PROJECT (a Rasa project folder or an "
        "NLU .yml file; default: the bundled sample project). Without a display, validate "
        "and summarise the project instead (and train it headless with --train).",
    )
    _add_arguments(parser)
    parser.set_defaults(func=run)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", help="project folder or NLU YAML file")
    parser.add_argument("--settings", metavar="INI",
                        help="keep preferences in this INI file instead of the user's settings")
    parser.add_argument("--train", action="store_true",
                        help="without a display: also train the project headless, with progress")
    parser.add_argument("--epochs", type=int, metavar="N",
                        help="with --train: override the configured number of epochs")
    parser.add_argument("--summary", action="store_true",
                        help="print the summary even when a display is available")


def build_parser() -> argparse.ArgumentParser:
    """Parser for ``python -m workbench`` (same options as ``workbench app``)."""
    parser = argparse.ArgumentParser(prog="python -m workbench", description="Open the NLU Workbench window.")
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


def summarise(path: Path, *, train: bool = False, epochs: int | None = None, out: Any = None) -> int:
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
    entities = Counter(span.entity for example in project.examples for span in example.entities)
    print(f"Project {project.root}", file=out)
    print(f"  {len(project.examples)} examples, {len(project.intents)} intents, "
          f"{len(entities)} entity types, {len(project.synonyms)} synonyms, "
          f"{len(project.regexes)} regexes, {len(project.lookups)} lookup tables", file=out)  # fmt: skip
    print("  intents: " + ", ".join(f"{name} ({intents.get(name, 0)})" for name in project.intents), file=out)
    if entities:
        print("  entities: " + ", ".join(f"{name} ({n})" for name, n in entities.most_common()), file=out)
    errors = [i for i in issues if i.severity == "error"]
    print(f"  problems: {len(errors)} error(s), {len(issues) - len(errors)} warning(s)", file=out)
    for issue in issues[:20]:
        print(f"    {issue.format()}", file=out)
    if len(issues) > 20:
        print(f"    … and {len(issues) - 20} more (workbench data validate lists them all)", file=out)
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
    for event in run_training(project.snapshot(), project_dir=project.root, epochs=epochs):
        match event:
            case events.EpochCompleted():
                losses = " ".join(f"{k}={v:.3f}" for k, v in getattr(event, "losses", {}).items())
                print(f"  epoch {event.epoch}/{getattr(event, 'total_epochs', '?')} {losses}", file=out, flush=True)
            case events.TrainingFinished():
                print(f"Model saved to {getattr(event, 'model_path', '?')}", file=out)
            case events.TrainingFailed():
                print(f"Training failed: {event.message}", file=sys.stderr)
                return 1
            case events.TrainingCancelled():
                print("Training cancelled.", file=out)
                return 1
            case _:
                pass
    return 0
