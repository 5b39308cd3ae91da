"""``workbench data validate`` and ``workbench data stats``.

Exit status: 0 fine, 1 ``validate`` found error-severity issues, 2 bad arguments
(no such project, not a YAML file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add the ``data`` command group with ``validate`` and ``stats``."""
    data = subparsers.add_parser("data", help="check and describe NLU training data",
                                 description="Check and describe a project's NLU data.")
    commands = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    data.set_defaults(func=lambda args: _missing_subcommand(data))

    validate = commands.add_parser(
        "validate", help="report problems in the training data",
        description="Print every problem as 'path:line: severity: message (hint)'. "
        "Exit status 1 when there is at least one error.")
    validate.add_argument("project", help="project folder or a single NLU YAML file")
    validate.add_argument("--json", action="store_true",
                          help="print a JSON list of issues")
    validate.add_argument("--few-examples", type=int, default=5, metavar="N",
                          help="warn about intents with fewer than N examples "
                          "(default 5)")
    validate.set_defaults(func=run_validate)

    stats = commands.add_parser("stats", help="count examples, intents and entities",
                                description="Print counts per intent and per entity.")
    stats.add_argument("project", help="project folder or a single NLU YAML file")
    stats.add_argument("--json", action="store_true", help="print the counts as JSON")
    stats.set_defaults(func=run_stats)


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _load(path_text: str) -> Any:
    from workbench.core.project import ProjectLoadError, load_project

    try:
        return load_project(Path(path_text))
    except ProjectLoadError as error:
        sys.stderr.write(f"error: {error}\n")
        return None


def _quiet_broken_pipe(run: Any) -> Any:
    """Stop quietly when the reader of stdout goes away (``... | head``)."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(run(args))
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # Python docs' recipe: no 2nd error
            return EXIT_OK

    wrapped.__doc__ = run.__doc__
    return wrapped


@_quiet_broken_pipe
def run_validate(args: argparse.Namespace) -> int:
    """Validate the project and print the findings."""
    from workbench.core.validation import validate

    project = _load(args.project)
    if project is None:
        return EXIT_USAGE
    issues = validate(project, few_examples=args.few_examples)
    errors = sum(issue.severity == "error" for issue in issues)
    if args.json:
        data = [issue.to_dict() for issue in issues]
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for issue in issues:
            print(issue.format())
        warnings = len(issues) - errors
        print(f"{len(project.examples)} examples checked: {errors} error"
              f"{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
              file=sys.stderr)
    return EXIT_ERRORS if errors else EXIT_OK


@_quiet_broken_pipe
def run_stats(args: argparse.Namespace) -> int:
    """Print counts of examples, intents, entities and resources."""
    from workbench.core.stats import project_stats

    project = _load(args.project)
    if project is None:
        return EXIT_USAGE
    stats = project_stats(project)
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return EXIT_OK
    for key in ("examples", "intents", "entity_types", "entity_spans", "synonyms",
                "regexes", "lookups", "lookup_elements", "retrieval_intents"):
        print(f"{key.replace('_', ' '):<20} {stats[key]}")
    width = max((len(name) for name in stats["per_intent"]), default=0)
    print("\nexamples per intent")
    for name, count in stats["per_intent"].items():
        print(f"  {name:<{width}} {count}")
    if stats["per_entity"]:
        width = max(len(name) for name in stats["per_entity"])
        print("\nspans per entity")
        for name, count in stats["per_entity"].items():
            print(f"  {name:<{width}} {count}")
    for issue in project.load_issues:
        print(issue.format(), file=sys.stderr)
    return EXIT_OK
