"""``workbench test`` and ``workbench parse``: evaluate a trained model, parse messages.

Exit status: 0 success, 2 bad arguments (no such model, tampered model, bad data).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def register(subparsers: Any) -> None:
    """Add the ``test`` and ``parse`` commands."""
    test = subparsers.add_parser(
        "test", help="evaluate a model on labelled data, or cross-validate a project "
        "(like `rasa test nlu`)",
        description="Parse every example of DATA with MODEL and report intent "
        "accuracy/F1 and entity F1 (Rasa's token-level metric and exact-span F1). "
        "With --cross-validation K: `workbench test PROJECT --cross-validation K` "
        "trains K models, each on all but one stratified fold, and reports the "
        "out-of-fold predictions of every example.",
    )
    test.add_argument("model", metavar="MODEL|PROJECT",
                      help="model directory written by `workbench train` (or, with "
                      "--cross-validation, the project folder / NLU file)")
    test.add_argument("data", nargs="?",
                      help="project folder or NLU YAML file with test examples "
                      "(not with --cross-validation)")
    test.add_argument("--cross-validation", type=int, metavar="K", dest="folds",
                      help="cross-validate PROJECT with K stratified folds (2-50)")
    test.add_argument("--seed", type=int, default=42,
                      help="fold split and training seed (default 42)")
    test.add_argument("--epochs", type=int, metavar="N",
                      help="train each fold N epochs (default: config.yml's)")
    test.add_argument("--device", default="auto", metavar="D",
                      help="auto, cpu, cuda[:n] or mps (default auto)")
    test.add_argument("--json", action="store_true",
                      help="print one JSON object (summary and reports)")
    test.add_argument("--out", metavar="DIR", help="write Rasa's report files "
                      "(intent_report.json, intent_errors.json, "
                      "DIETClassifier_report.json, DIETClassifier_errors.json, "
                      "intent/DIETClassifier confusion-matrix and histogram PNGs) and "
                      "entity_report.json, confusion_matrix.json, summary.json, "
                      "example_predictions.json into DIR")
    test.set_defaults(func=run_test)

    parse = subparsers.add_parser(
        "parse", help="parse a message with a model (Rasa's parse JSON)",
        description="Print the parse result of TEXT as JSON; without TEXT, parse each "
        "line of standard input and print one JSON object per line.",
    )
    parse.add_argument("model", help="model directory written by `workbench train`")
    parse.add_argument("text", nargs="?",
                       help="the message (default: read lines from stdin)")
    parse.set_defaults(func=run_parse)


def _error(message: str) -> int:
    print(f"workbench: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _load(path: str) -> Any:
    """Load a model; returns the model or an error string."""
    from workbench.nlu.artefacts import ArtefactError
    from workbench.nlu.predictor_loader import load_model

    try:
        return load_model(path)
    except ArtefactError as error:
        return str(error)


def _load_examples(path: str) -> tuple[list[Any], list[str]] | str:
    """Examples of a project folder / NLU file plus load warnings, or an error."""
    from workbench.core.project import ProjectLoadError, load_project

    try:
        project = load_project(path)
    except ProjectLoadError as error:
        return str(error)
    except OSError as error:
        return f"{path}: cannot be read ({error})"
    issues = [i.format() for i in project.load_issues]
    errors = [i for i in project.load_issues if i.severity == "error"]
    examples = [e for e in project.examples if e.intent]
    if not examples:
        detail = ("; ".join(i.format() for i in errors[:5])) if errors else ""
        return (f"{path}: no labelled examples found (expected Rasa NLU YAML with "
                f"'nlu:' intent blocks){'; ' + detail if detail else ''}")
    return examples, issues


def run_test(args: Any) -> int:
    """Evaluate MODEL on DATA, or cross-validate PROJECT."""
    if args.folds is not None:
        if args.data is not None:
            return _error(
                "--cross-validation takes one PROJECT, not MODEL DATA: "
                f"workbench test {args.model} --cross-validation {args.folds}"
            )
        from workbench.cli.cross_validation_command import run_cross_validation

        return run_cross_validation(args)
    if args.data is None:
        return _error("give MODEL and DATA (workbench test models/x data/test.yml), "
                      "or PROJECT --cross-validation K")
    from workbench.nlu.example_predictions import evaluate_examples

    model = _load(args.model)
    if isinstance(model, str):
        return _error(model)
    loaded = _load_examples(args.data)
    if isinstance(loaded, str):
        return _error(loaded)
    examples, issues = loaded
    for issue in issues:
        print(f"warning: {issue}", file=sys.stderr)
    unknown = sorted({e.base_intent for e in examples} - set(model.intent_names))
    if unknown:
        print(f"warning: the model was not trained on these intents of the test data: "
              f"{', '.join(unknown)} (they always count as errors)", file=sys.stderr)
    evaluation = evaluate_examples(model, examples, f"test file {args.data}",
                                   model_path=str(args.model))
    return finish_report(args, evaluation)


def finish_report(args: Any, evaluation: Any) -> int:
    """Write ``--out`` reports and print the summary (text or ``--json``)."""
    if args.out:
        from workbench.nlu.report_files import write_reports

        try:
            write_reports(Path(args.out), evaluation)
        except OSError as error:
            return _error(f"{args.out}: cannot write reports ({error})")
    result = evaluation.report
    if args.json:
        data = result.to_json()
        data["source"] = evaluation.source
        if evaluation.fold_reports:
            data["folds"] = [r.summary() for r in evaluation.fold_reports]
        if evaluation.notes:
            data["notes"] = list(evaluation.notes)
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(format_report(result))
    return EXIT_OK


def format_report(result: Any) -> str:
    """The human-readable report."""
    s = result.summary()
    lines = [
        f"examples: {s['n_examples']}",
        f"intent accuracy {s['intent_accuracy']:.3f}  "
        f"macro F1 {s['intent_macro_f1']:.3f}  "
        f"weighted F1 {s['intent_weighted_f1']:.3f}",
        f"entity F1: token-level (Rasa) {s['entity_token_f1']:.3f}  exact-span "
        f"{s['entity_span_f1']:.3f} (P {s['entity_span_precision']:.3f}, "
        f"R {s['entity_span_recall']:.3f})",
        "",
        f"{'intent':30s} {'prec':>6s} {'rec':>6s} {'f1':>6s} {'n':>5s}  confused with",
    ]
    for name, row in sorted(result.intent_report.items()):
        if not isinstance(row, dict) or "support" not in row or name.endswith(" avg"):
            continue
        confused_with = row.get("confused_with", {})
        confused = ", ".join(f"{k} ({v})" for k, v in confused_with.items())
        lines.append(f"{name[:30]:30s} {row['precision']:6.3f} {row['recall']:6.3f} "
                     f"{row['f1-score']:6.3f} {int(row['support']):5d}  {confused}")
    per_entity = result.entity_span.get("per_entity", {})
    if per_entity:
        header = "entity (exact span)"
        lines += ["", f"{header:30s} {'prec':>6s} {'rec':>6s} {'f1':>6s} {'n':>5s}"]
        for name, row in per_entity.items():
            lines.append(f"{name[:30]:30s} {row['precision']:6.3f} "
                         f"{row['recall']:6.3f} {row['f1']:6.3f} {row['support']:5d}")
    if result.intent_errors:
        lines += ["", f"intent errors ({len(result.intent_errors)}, first 10):"]
        for err in result.intent_errors[:10]:
            pred = err["intent_prediction"]
            lines.append(f"  {err['text']!r}: {err['intent']} -> {pred['name']} "
                         f"({pred['confidence']:.2f})")
    return "\n".join(lines)


def run_parse(args: Any) -> int:
    """Parse TEXT (or every stdin line) with MODEL."""
    model = _load(args.model)
    if isinstance(model, str):
        return _error(model)
    if args.text is not None:
        print(json.dumps(model.parse(args.text), ensure_ascii=False))
        return EXIT_OK
    for line in sys.stdin:
        result = model.parse(line.rstrip("\r\n"))
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return EXIT_OK
