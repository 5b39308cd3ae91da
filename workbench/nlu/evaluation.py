"""Evaluate a model on labelled examples, the way ``rasa test nlu`` does (§5).

Intents: sklearn classification report over the gold labels, accuracy, macro and
weighted F1, ``confused_with``, confusion matrix and the list of errors. Entities:
Rasa's token-level report (labels ``entity[.group][.role]``, ``no_entity`` excluded from
the averages but counted as an error), plus exact-span micro precision/recall/F1, which
is what most other tools report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.nlu.predictor import Prediction
from workbench.nlu.tokenizers import Token, WhitespaceTokenizer

NO_ENTITY = "no_entity"


@dataclass(frozen=True)
class EvaluationResult:
    """Everything ``workbench test`` reports (plain JSON-able data)."""

    n_examples: int
    intent_accuracy: float
    intent_macro_f1: float
    intent_weighted_f1: float
    intent_report: dict[str, Any]
    confusion_matrix: dict[str, Any]  # {"labels": [...], "matrix": [[...]]}
    intent_errors: list[dict[str, Any]]
    entity_token_f1: float
    entity_report: dict[str, Any]
    entity_span: dict[str, Any]  # micro precision/recall/f1 + per entity type
    entity_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def entity_span_f1(self) -> float:
        """Exact-span micro F1."""
        return float(self.entity_span["f1"])

    def summary(self) -> dict[str, Any]:
        """The headline numbers."""
        return {
            "n_examples": self.n_examples,
            "intent_accuracy": self.intent_accuracy,
            "intent_macro_f1": self.intent_macro_f1,
            "intent_weighted_f1": self.intent_weighted_f1,
            "entity_token_f1": self.entity_token_f1,
            "entity_span_f1": self.entity_span_f1,
            "entity_span_precision": float(self.entity_span["precision"]),
            "entity_span_recall": float(self.entity_span["recall"]),
        }

    def to_json(self) -> dict[str, Any]:
        """Summary plus every report."""
        return {
            **self.summary(),
            "intent_report": self.intent_report,
            "confusion_matrix": self.confusion_matrix,
            "intent_errors": self.intent_errors,
            "entity_report": self.entity_report,
            "entity_span": self.entity_span,
            "entity_errors": self.entity_errors,
        }


def _metrics(targets: list[str], predictions: list[str], exclude: str | None
             ) -> tuple[dict[str, Any], float, float, float]:
    """Rasa's ``get_evaluation_metrics``: report, weighted F1, accuracy, macro F1."""
    import warnings

    from sklearn import metrics

    labels = sorted(set(targets) - {exclude})
    if not targets or not labels:
        return {}, 0.0, 0.0, 0.0
    with warnings.catch_warnings():  # sklearn warns about single-label inputs
        warnings.simplefilter("ignore", UserWarning)
        report = metrics.classification_report(targets, predictions, labels=labels,
                                               output_dict=True, zero_division=0)
        weighted = float(metrics.f1_score(targets, predictions, labels=labels,
                                          average="weighted", zero_division=0))
    accuracy = float(metrics.accuracy_score(targets, predictions))
    report["accuracy"] = accuracy
    return report, weighted, accuracy, float(report["macro avg"]["f1-score"])


def _confusion(
    targets: list[str], predictions: list[str]
) -> tuple[list[str], np.ndarray]:
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(targets) | set(predictions))
    if len(labels) == 1:  # sklearn warns for a single label; the matrix is trivial
        return labels, np.array([[len(targets)]], dtype=np.int64)
    return labels, confusion_matrix(targets, predictions, labels=labels)


def _add_confused_with(
    report: dict[str, Any], labels: list[str], matrix: np.ndarray
) -> None:
    for i, label in enumerate(labels):
        if not isinstance(report.get(label), dict):
            continue
        row = [(int(matrix[i, j]), labels[j]) for j in range(len(labels))
               if j != i and matrix[i, j] > 0]
        row.sort(key=lambda item: (-item[0], item[1]))
        report[label]["confused_with"] = {name: count for count, name in row[:2]}


# -- entities --------------------------------------------------------------------------
def _overlap(token: Token, start: int, end: int) -> int:
    return max(0, min(token.end, end) - max(token.start, start))


def _token_entity(token: Token, entities: Sequence[dict[str, Any]]
                  ) -> dict[str, Any] | None:
    """The entity overlapping ``token`` most (None: no entity covers it)."""
    best, best_overlap = None, 0
    for entity in entities:
        overlap = _overlap(token, entity["start"], entity["end"])
        if overlap > best_overlap:
            best, best_overlap = entity, overlap
    return best


def _label_of(entity: dict[str, Any] | None) -> str:
    if entity is None:
        return NO_ENTITY
    parts = [entity["entity"], entity.get("group"), entity.get("role")]
    return ".".join(p for p in parts if p)


def _token_label(token: Token, entities: Sequence[dict[str, Any]]) -> str:
    """Label ``entity[.group][.role]`` of the entity overlapping ``token`` most."""
    return _label_of(_token_entity(token, entities))


def token_entity_labels(
    example: Any, predicted: Sequence[dict[str, Any]], tokens: Sequence[Token]
) -> list[tuple[str, str, float]]:
    """Per token: (gold label, predicted label, predicted confidence), Rasa's rule.

    The confidence is the lowest of the covering predicted entity's
    ``confidence_entity``/``_role``/``_group`` (0.0 for ``no_entity``), as Rasa's
    entity histogram uses it.
    """
    gold = _gold_entities(example)
    rows = []
    for token in tokens:
        entity = _token_entity(token, predicted)
        confidence = 0.0
        if entity is not None:
            values = [entity.get(k) for k in ("confidence_entity", "confidence_role",
                                              "confidence_group")]
            confidence = float(min((v for v in values if v is not None), default=0.0))
        rows.append((_token_label(token, gold), _label_of(entity), confidence))
    return rows


def _gold_entities(example: Any) -> list[dict[str, Any]]:
    out = []
    for span in example.entities:
        entity = {"entity": span.entity, "start": span.start, "end": span.end,
                  "value": span.value}
        if span.role:
            entity["role"] = span.role
        if span.group:
            entity["group"] = span.group
        out.append(entity)
    return out


def _span_key(entity: dict[str, Any]) -> tuple[int, int, str]:
    return (int(entity["start"]), int(entity["end"]), str(entity["entity"]))


def _span_scores(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def evaluate_predictions(
    examples: Sequence[Any],
    predictions: Sequence[Prediction],
    tokenizer: WhitespaceTokenizer | None = None,
) -> EvaluationResult:
    """Score predictions against gold examples (same order, same length).

    Examples without an intent are not used for the intent metrics. Retrieval intents
    are scored on their base intent (what DIET predicts).
    """
    if len(examples) != len(predictions):
        raise ValueError(f"{len(examples)} examples but {len(predictions)} predictions")
    tokenizer = tokenizer or WhitespaceTokenizer()
    gold_intents: list[str] = []
    pred_intents: list[str] = []
    intent_errors: list[dict[str, Any]] = []
    token_gold: list[str] = []
    token_pred: list[str] = []
    span_tp = span_pred = span_gold = 0
    per_type: dict[str, Counter[str]] = {}
    entity_errors: list[dict[str, Any]] = []
    for example, prediction in zip(examples, predictions, strict=True):
        predicted_name = prediction.intent.name if prediction.intent else ""
        confidence = prediction.intent.confidence if prediction.intent else 0.0
        if example.intent:
            gold = example.intent.split("/", 1)[0]
            gold_intents.append(gold)
            pred_intents.append(predicted_name or "")
            if gold != predicted_name:
                intent_errors.append({
                    "text": example.text, "intent": gold,
                    "intent_prediction": {"name": predicted_name or None,
                                          "confidence": confidence},
                })
        gold_entities = _gold_entities(example)
        pred_entities = [e.to_rasa() for e in prediction.entities]
        tokens = ([Token(t.text, t.start, t.end) for t in prediction.tokens]
                  or tokenizer.tokenize(example.text))
        for token in tokens:
            token_gold.append(_token_label(token, gold_entities))
            token_pred.append(_token_label(token, pred_entities))
        gold_keys = {_span_key(e) for e in gold_entities}
        pred_keys = {_span_key(e) for e in pred_entities}
        span_tp += len(gold_keys & pred_keys)
        span_gold += len(gold_keys)
        span_pred += len(pred_keys)
        for key in gold_keys | pred_keys:
            counts = per_type.setdefault(key[2], Counter())
            counts["tp"] += key in gold_keys and key in pred_keys
            counts["gold"] += key in gold_keys
            counts["pred"] += key in pred_keys
        if gold_keys != pred_keys:
            entity_errors.append({"text": example.text, "entities": gold_entities,
                                  "predicted_entities": pred_entities})
    intent_report, weighted, accuracy, macro = _metrics(gold_intents, pred_intents,
                                                        None)
    labels: list[str] = []
    matrix = np.zeros((0, 0), dtype=np.int64)
    if gold_intents:
        labels, matrix = _confusion(gold_intents, pred_intents)
    _add_confused_with(intent_report, labels, matrix)
    entity_report, entity_f1, _, _ = _metrics(token_gold, token_pred, NO_ENTITY)
    span = _span_scores(span_tp, span_pred, span_gold)
    span["support"] = span_gold
    span["per_entity"] = {
        name: {**_span_scores(c["tp"], c["pred"], c["gold"]), "support": c["gold"]}
        for name, c in sorted(per_type.items())
    }
    return EvaluationResult(
        n_examples=len(examples),
        intent_accuracy=accuracy,
        intent_macro_f1=macro,
        intent_weighted_f1=weighted,
        intent_report=intent_report,
        confusion_matrix={"labels": labels, "matrix": matrix.astype(int).tolist()},
        intent_errors=intent_errors,
        entity_token_f1=entity_f1,
        entity_report=entity_report,
        entity_span=span,
        entity_errors=entity_errors,
    )


def evaluate(model: Any, examples: Iterable[Any]) -> EvaluationResult:
    """Predict every example's text with ``model`` (an ``NluModel``) and score it."""
    examples = list(examples)
    predictions = model.predict_many([e.text for e in examples])
    return evaluate_predictions(examples, predictions, model.pipeline.tokenizer)
