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
        "test", help="evaluate a model on labelled data (like `rasa test nlu`)",
        description="Parse every example of DATA with MODEL and report intent "
        "accuracy/F1 and entity F1 (Rasa's token-level metric and exact-span F1).",
    )
    test.add_argument("model", help="model directory written by `workbench train`")
    test.add_argument("data", help="project folder or NLU YAML file with test examples")
    test.add_argument("--json", action="store_true",
                      help="print one JSON object (summary and reports)")
    test.add_argument("--out", metavar="DIR", help="write intent_report.json, "
                      "intent_errors.json, entity_report.json, entity_errors.json, "
                      "confusion_matrix.json into DIR")
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
    """Evaluate MODEL on DATA."""
    from workbench.nlu.evaluation import evaluate

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
    result = evaluate(model, examples)
    if args.out:
        try:
            _write_reports(Path(args.out), result)
        except OSError as error:
            return _error(f"{args.out}: cannot write reports ({error})")
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(format_report(result))
    return EXIT_OK


def _write_reports(out: Path, result: Any) -> None:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "intent_report.json": result.intent_report,
        "intent_errors.json": result.intent_errors,
        "entity_report.json": {"token_level": result.entity_report,
                               "exact_span": result.entity_span},
        "entity_errors.json": result.entity_errors,
        "confusion_matrix.json": result.confusion_matrix,
        "summary.json": result.summary(),
    }
    for name, data in files.items():
        (out / name).write_text(json.dumps(data, indent=2, ensure_ascii=False),
                                encoding="utf-8")


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
