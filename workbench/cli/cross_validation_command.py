"""``workbench test PROJECT --cross-validation K``: train K fold models, report them.

Exit status: 0 done, 1 the data cannot be cross-validated or a fold failed, 2 bad
arguments, 130 stopped (Ctrl+C: the first stops after the current batch).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130


def _error(message: str, status: int = EXIT_USAGE) -> int:
    print(f"workbench: error: {message}", file=sys.stderr)
    return status


def run_cross_validation(args: Any) -> int:
    """Cross-validate the project ``args.model`` with ``args.folds`` folds."""
    from workbench.core.project import ProjectLoadError, load_project

    if args.epochs is not None and args.epochs < 1:
        return _error(f"--epochs must be at least 1, got {args.epochs}")
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        return _error(f"--out {args.out}: exists and is not a folder; name a folder "
                      "for the report files")
    path = Path(args.model)
    if not path.exists():
        return _error(f"{path}: no such project folder or NLU file")
    try:
        project = load_project(path)
    except ProjectLoadError as error:
        return _error(str(error))
    except OSError as error:
        return _error(f"{path}: cannot be read ({error})")
    errors = [issue for issue in project.load_issues if issue.severity == "error"]
    for issue in errors:
        print(f"workbench: error: {issue.format()}", file=sys.stderr)
    if errors:
        return _error(f"{len(errors)} problem(s) in the training data; fix them and "
                      "cross-validate again", EXIT_FAILED)

    from workbench.cli.train_commands import _first_interrupt_stops, project_dir
    from workbench.nlu.example_predictions import EvaluationStopped
    from workbench.training.cache import open_cache
    from workbench.training.control import StopToken
    from workbench.training.cross_validation import (
        CrossValidationError,
        CrossValidationProgress,
        cross_validate,
    )

    cache, note = open_cache(project_dir(path))
    if note:
        print(f"note: {note}", file=sys.stderr)
    last = [""]

    def on_progress(progress: CrossValidationProgress) -> None:
        # One line per stage change (epochs would flood a log).
        line = progress.message if progress.event is None else ""
        if line and line != last[0]:
            last[0] = line
            print(line, file=sys.stderr, flush=True)

    stop = StopToken()
    started = time.perf_counter()
    with _first_interrupt_stops(stop):
        try:
            evaluation = cross_validate(
                project.snapshot(), args.folds, args.seed, stop=stop,
                on_progress=on_progress, epochs=args.epochs, cache=cache,
                device=args.device)
        except CrossValidationError as error:
            return _error(str(error), EXIT_FAILED)
        except EvaluationStopped as stopped:
            print(f"workbench: {stopped}", file=sys.stderr)
            return EXIT_STOPPED
    for line in evaluation.notes:
        print(f"note: {line}", file=sys.stderr)
    print(f"cross-validation: {args.folds} folds in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    for number, report in enumerate(evaluation.fold_reports, start=1):
        print(
            f"fold {number}: {report.n_examples} examples, intent accuracy "
            f"{report.intent_accuracy:.3f}, weighted F1 "
            f"{report.intent_weighted_f1:.3f}, entity F1 {report.entity_token_f1:.3f}",
            file=sys.stderr,
        )

    from workbench.cli.model_commands import finish_report

    return finish_report(args, evaluation)
