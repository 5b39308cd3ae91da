"""The ``workbench`` command line: one entry point, one module per group of commands.

Each command module exposes ``register(subparsers)`` which adds its sub-commands and
sets ``func`` on their parsers; ``func(args) -> int`` is the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that add sub-commands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "workbench.cli.app_command",  # app (the desktop window)
    "workbench.cli.data_commands",  # data validate / data stats
    "workbench.cli.train_commands",  # train / runs
    "workbench.cli.model_commands",  # test / parse
    "workbench.cli.serve_command",  # serve (Rasa's HTTP API)
    "workbench.cli.inbox_commands",  # inbox import / stats / export
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available command group."""
    from workbench import __version__

    parser = argparse.ArgumentParser(
        prog="workbench",
        description="NLU Workbench: annotate Rasa NLU data, train DIET, test models.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if argv is None and _trains(args):  # a real process, not a call from Python
        from workbench.training.allocator import reexec_with_allocator

        reexec_with_allocator(sys.argv[1:])  # returns only without tcmalloc
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _trains(args: argparse.Namespace) -> bool:
    """Whether the command trains DIET (then it runs with tcmalloc where installed)."""
    return (args.command == "train"
            or (args.command == "test" and getattr(args, "folds", None) is not None)
            or (args.command == "app" and getattr(args, "train", False)))


if __name__ == "__main__":
    sys.exit(main())
