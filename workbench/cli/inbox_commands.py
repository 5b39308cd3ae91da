"""``workbench inbox import|stats|export``: the review inbox from the command line.

Exit status: 0 success, 2 bad arguments or a file that cannot be imported.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def register(subparsers: Any) -> None:
    """Add the ``inbox`` command group."""
    inbox = subparsers.add_parser(
        "inbox", help="review inbox: import unlabelled messages, counts, export",
        description="Unlabelled messages, pre-labelled by the project's active model, "
        "are reviewed in the window's Inbox tab; here they are imported, counted and "
        "exported.")
    commands = inbox.add_subparsers(dest="inbox_command", metavar="COMMAND")
    imp = commands.add_parser(
        "import", help="add messages from a file (text lines, CSV, TSV, JSONL)",
        description="Add the messages of FILE to the project's inbox. Duplicates and "
        "messages already in the training data (ignoring case and spacing) are "
        "skipped and counted. Then pre-label them with the active model, if any.")
    imp.add_argument("project", help="project folder")
    imp.add_argument(
        "file",
        help="messages: .txt (one per line), .csv/.tsv (with a "
        "header row), .jsonl (a \"text\" field); '-' reads lines from stdin",
    )
    imp.add_argument("--format", choices=("text", "csv", "tsv", "jsonl"),
                     help="file format (default: from the file name)")
    imp.add_argument("--column", help="CSV/TSV column with the messages (name or "
                     "1-based number; default: 'text' or the only column)")
    imp.add_argument("--no-prelabel", action="store_true",
                     help="only import; the window pre-labels when the inbox opens")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=run_import)

    stats = commands.add_parser("stats", help="messages per status")
    stats.add_argument("project", help="project folder")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(func=run_stats)

    export = commands.add_parser(
        "export", help="write messages of one status (with predictions and labels)")
    export.add_argument("project", help="project folder")
    export.add_argument("--status", required=True,
                        choices=("accepted", "rejected", "pending", "skipped"))
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    export.set_defaults(func=run_export)
    inbox.set_defaults(func=lambda args: _help(inbox))


def _help(parser: Any) -> int:
    parser.print_help()
    return EXIT_USAGE


def _error(message: str) -> int:
    print(f"workbench: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _store(project: str) -> Any:
    """The project's inbox, or an error message."""
    from workbench.training.inbox_store import InboxError, InboxStore

    root = Path(project)
    if not root.is_dir():
        return f"{project}: not a project folder"
    try:
        store = InboxStore.for_project(root)
    except InboxError as error:
        return str(error)
    if store.notice:
        print(f"workbench: {store.notice}", file=sys.stderr)
    return store


def run_import(args: Any) -> int:
    """Import FILE into PROJECT's inbox, then pre-label."""
    from workbench.core.inbox_import import (
        InboxImportError,
        messages_from_paste,
        read_messages,
    )
    from workbench.core.project import ProjectLoadError, load_project
    from workbench.training.inbox_store import normalise

    store = _store(args.project)
    if isinstance(store, str):
        return _error(store)
    try:
        project = load_project(args.project)
    except (ProjectLoadError, OSError) as error:
        return _error(str(error))
    known = {normalise(e.text) for e in project.examples}
    try:
        if args.file == "-":
            items = messages_from_paste(sys.stdin.read())
            source = "stdin"
        else:
            items = read_messages(Path(args.file), args.format, args.column)
            source = Path(args.file).name
        report = store.import_messages(items, source, known)
    except InboxImportError as error:
        return _error(str(error))
    except OSError as error:
        return _error(f"{args.file}: cannot be read ({error})")
    scored = 0
    note = ""
    if not args.no_prelabel and report.added:
        scored, note = _prelabel(store, Path(args.project))
    if args.json:
        print(json.dumps({**report.to_dict(), "prelabelled": scored, "note": note}))
    else:
        print(report.summary())
        for problem in report.problems:
            print(f"  {problem}")
        if report.refused > len(report.problems):
            print(f"  … and {report.refused - len(report.problems):,} more bad line(s)")
        print(note or f"Pre-labelled {scored:,} message(s).")
    return EXIT_OK


def _prelabel(store: Any, project_dir: Path) -> tuple[int, str]:
    """Score pending messages with the active model; ``(count, note)``."""
    from workbench.nlu.artefacts import ArtefactError
    from workbench.nlu.predictor_loader import load_model
    from workbench.training.active_model import active_model
    from workbench.training.prelabel import prelabel_inbox

    path = active_model(project_dir)
    if path is None:
        return 0, ("No trained model yet: messages are not pre-labelled (train one, "
                   "then open the Inbox tab).")
    try:
        model = load_model(path)
    except ArtefactError as error:
        return 0, f"Not pre-labelled: {error}"

    def progress(p: Any) -> None:
        print(f"\rpre-labelling {p.done:,}/{p.total:,}", end="", file=sys.stderr)

    count = prelabel_inbox(store, model, str(path), on_progress=progress)
    print(file=sys.stderr)
    return count, ""


def run_stats(args: Any) -> int:
    """Print messages per status."""
    store = _store(args.project)
    if isinstance(store, str):
        return _error(store)
    counts = store.counts()
    if args.json:
        print(json.dumps({**counts, "imports": store.batches()}))
    else:
        for key in ("pending", "skipped", "accepted", "rejected", "total"):
            print(f"{key:>9}: {counts[key]:,}")
        print(f"{'scored':>9}: {counts['scored']:,} of the pending/skipped")
    return EXIT_OK


def run_export(args: Any) -> int:
    """Write every message of one status as JSONL or CSV."""
    store = _store(args.project)
    if isinstance(store, str):
        return _error(store)
    try:
        handle = (open(args.out, "w", encoding="utf-8", newline="")  # noqa: SIM115
                  if args.out else sys.stdout)
    except OSError as error:
        return _error(f"{args.out}: cannot be written ({error})")
    try:
        _write(store.messages(args.status), args.format, handle)
    finally:
        if args.out:
            handle.close()
    return EXIT_OK


def _write(messages: Any, fmt: str, handle: Any) -> None:
    if fmt == "jsonl":
        for message in messages:
            handle.write(json.dumps(message.to_dict(), ensure_ascii=False) + "\n")
        return
    writer = csv.writer(handle)
    writer.writerow(["id", "text", "status", "predicted_intent", "confidence",
                     "margin", "final_intent", "final_entities", "decided_at", "who"])
    for m in messages:
        final = m.final or {}
        writer.writerow([m.id, m.text, m.status, m.predicted_intent or "",
                         "" if m.confidence is None else f"{m.confidence:.4f}",
                         "" if m.margin is None else f"{m.margin:.4f}",
                         final.get("intent", ""),
                         json.dumps(final.get("entities", []), ensure_ascii=False),
                         m.decided_at or "", m.who or ""])
