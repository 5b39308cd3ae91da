"""Write an evaluation as the report files ``rasa test nlu`` writes (Rasa §5).

Rasa's names and shapes, so tools reading Rasa's results keep working:

* ``intent_report.json`` -- sklearn classification report per intent
  (+ ``confused_with``), ``accuracy``, ``macro avg``, ``weighted avg``;
* ``intent_errors.json`` -- ``[{text, intent, intent_prediction: {name, confidence}}]``;
* ``intent_confusion_matrix.png``, ``intent_histogram.png``;
* ``DIETClassifier_report.json`` -- token-level entity report (``no_entity`` excluded);
* ``DIETClassifier_errors.json`` -- ``[{text, entities, predicted_entities}]``;
* ``DIETClassifier_confusion_matrix.png``, ``DIETClassifier_histogram.png``.

Plus workbench's own: ``entity_report.json`` (token level and exact span),
``entity_errors.json``, ``confusion_matrix.json``, ``summary.json`` (headline numbers,
and per-fold ones for a cross-validation) and ``example_predictions.json`` (every
example with its prediction, index and fold). Each file is written atomically
(temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from workbench.core.yaml_io.atomic import new_file_mode
from workbench.nlu.evaluation import NO_ENTITY, token_entity_labels
from workbench.nlu.example_predictions import ExampleEvaluation
from workbench.nlu.tokenizers import WhitespaceTokenizer

ENTITY_EXTRACTOR = "DIETClassifier"


def _write_atomic(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                    suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp, new_file_mode())  # mkstemp makes 0600; honour the umask
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def _intent_confidences(
    evaluation: ExampleEvaluation,
) -> tuple[list[float], list[float]]:
    hits, misses = [], []
    for p in evaluation.predictions:
        if p.example.intent:
            (hits if p.correct else misses).append(p.confidence)
    return hits, misses


def _entity_tokens(evaluation: ExampleEvaluation) -> list[tuple[str, str, float]]:
    tokenizer = WhitespaceTokenizer()
    rows: list[tuple[str, str, float]] = []
    for p in evaluation.predictions:
        rows += token_entity_labels(p.example, p.entities,
                                    tokenizer.tokenize(p.example.text))
    return rows


def _entity_matrix(
    rows: list[tuple[str, str, float]],
) -> tuple[list[str], list[list[int]]]:
    labels = sorted({g for g, _, _ in rows} | {q for _, q, _ in rows})
    position = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for gold, pred, _ in rows:
        matrix[position[gold]][position[pred]] += 1
    return labels, matrix


def report_files(evaluation: ExampleEvaluation, *, plots: bool = True
                 ) -> dict[str, bytes]:
    """Every report file's name and content (PNGs only with ``plots``)."""
    result = evaluation.report
    summary: dict[str, Any] = {"source": evaluation.source, **result.summary()}
    if evaluation.fold_reports:
        summary["folds"] = [r.summary() for r in evaluation.fold_reports]
    if evaluation.notes:
        summary["notes"] = list(evaluation.notes)
    files = {
        "intent_report.json": _json(result.intent_report),
        "intent_errors.json": _json(result.intent_errors),
        f"{ENTITY_EXTRACTOR}_report.json": _json(result.entity_report),
        f"{ENTITY_EXTRACTOR}_errors.json": _json(result.entity_errors),
        "entity_report.json": _json(
            {"token_level": result.entity_report, "exact_span": result.entity_span}
        ),
        "entity_errors.json": _json(result.entity_errors),
        "confusion_matrix.json": _json(result.confusion_matrix),
        "summary.json": _json(summary),
        "example_predictions.json": _json(
            [p.to_json() for p in evaluation.predictions]
        ),
    }
    if plots:
        from workbench.nlu.report_plots import (
            confidence_histogram_png,
            confusion_matrix_png,
        )

        matrix = result.confusion_matrix
        files["intent_confusion_matrix.png"] = confusion_matrix_png(
            matrix["labels"], matrix["matrix"], "Intent Confusion matrix")
        hits, misses = _intent_confidences(evaluation)
        files["intent_histogram.png"] = confidence_histogram_png(
            hits, misses, "Intent Prediction Confidence Distribution")
        rows = _entity_tokens(evaluation)
        labels, entity_matrix = _entity_matrix(rows)
        files[f"{ENTITY_EXTRACTOR}_confusion_matrix.png"] = confusion_matrix_png(
            labels, entity_matrix, "Entity Confusion matrix")
        entity_hits = [c for g, q, c in rows if g != NO_ENTITY and q == g]
        entity_misses = [c for g, q, c in rows if q not in (NO_ENTITY, g)]
        files[f"{ENTITY_EXTRACTOR}_histogram.png"] = confidence_histogram_png(
            entity_hits, entity_misses, "Entity Prediction Confidence Distribution")
    return files


def write_reports(out: Path, evaluation: ExampleEvaluation, *, plots: bool = True
                  ) -> list[Path]:
    """Write the report files into ``out`` (created if missing); return their paths.

    Raises:
        OSError: ``out`` cannot be created or written (files already written stay).
    """
    files = report_files(evaluation, plots=plots)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = out / name
        _write_atomic(path, data)
        written.append(path)
    return written
