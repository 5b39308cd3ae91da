"""Per-example predictions that keep the identity of the example they came from.

Every :class:`ExamplePrediction` holds the very
:class:`~workbench.core.examples.Example` object that was evaluated
(``prediction.example is example``) and its position (``index``) in the evaluated
sequence: the project/snapshot order at evaluation time, or the snapshot index for a
cross-validation. Two examples with the same text therefore get their own predictions,
and an example edited since the evaluation is *stale*
(:meth:`ExampleEvaluation.is_stale` / :meth:`ExampleEvaluation.prediction_for` compare
by identity, never by text).

Torch-free at import (the model is passed in); never imports Qt.

Additions to the agreed API (no renames): ``predict_examples``/``evaluate_examples``
take optional ``indices`` and ``fold``; :func:`to_example_predictions` builds the
predictions from ``Prediction`` objects already made (cross-validation uses it);
``should_stop`` raises :class:`EvaluationStopped`; ``on_progress(done, total)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.core.examples import Example
from workbench.nlu.evaluation import EvaluationResult, evaluate_predictions
from workbench.nlu.predictor import Prediction

__all__ = [
    "EvaluationStopped",
    "ExampleEvaluation",
    "ExamplePrediction",
    "entity_mistakes",
    "evaluate_examples",
    "predict_examples",
    "to_example_predictions",
]

RANKING_LENGTH = 10

ShouldStop = Callable[[], bool]
OnProgress = Callable[[int, int], None]


class EvaluationStopped(Exception):
    """Raised when ``should_stop()`` turned true during an evaluation."""


def _entity_label(entity: dict[str, Any]) -> str:
    parts = [str(entity.get("entity", "")), entity.get("group"), entity.get("role")]
    return ".".join(str(p) for p in parts if p)


def entity_mistakes(example: Example, entities: Sequence[dict[str, Any]]
                    ) -> tuple[str, ...]:
    """Readable differences between ``example``'s spans and predicted ``entities``.

    Spans match exactly on (start, end, entity, group, role). Otherwise, in order:
    the same characters with another label -> ``wrong type: 'x' city vs town`` (gold
    first); overlapping spans with the same label but other boundaries ->
    ``wrong span: city 'New York' vs 'York'``; a gold span nothing overlaps ->
    ``missed city 'Berlin'``; a predicted span nothing overlaps ->
    ``predicted size 'large' (not annotated)``.
    """
    text = example.text
    gold = [{"entity": s.entity, "start": s.start, "end": s.end, "role": s.role,
             "group": s.group} for s in example.entities]
    pred = [dict(e) for e in entities]

    def key(e: dict[str, Any]) -> tuple[int, int, str]:
        return int(e["start"]), int(e["end"]), _entity_label(e)

    pred_keys = {key(e) for e in pred}
    gold_keys = {key(e) for e in gold}
    gold_left = [g for g in gold if key(g) not in pred_keys]
    pred_left = [p for p in pred if key(p) not in gold_keys]
    out: list[str] = []
    for g in gold_left:
        g_start, g_end = int(g["start"]), int(g["end"])
        surface = text[g_start:g_end]
        same = next((p for p in pred_left
                     if int(p["start"]) == g_start and int(p["end"]) == g_end), None)
        if same is not None:
            pred_left.remove(same)
            out.append(f"wrong type: {surface!r} {_entity_label(g)} vs "
                       f"{_entity_label(same)}")
            continue
        overlap = next((p for p in pred_left
                        if min(int(p["end"]), g_end) > max(int(p["start"]), g_start)),
                       None)
        if overlap is not None:
            pred_left.remove(overlap)
            p_surface = text[int(overlap["start"]):int(overlap["end"])]
            if _entity_label(overlap) == _entity_label(g):
                out.append(f"wrong span: {_entity_label(g)} {surface!r} vs "
                           f"{p_surface!r}")
            else:
                out.append(f"wrong type: {surface!r} {_entity_label(g)} vs "
                           f"{p_surface!r} {_entity_label(overlap)}")
            continue
        out.append(f"missed {_entity_label(g)} {surface!r}")
    for p in pred_left:
        surface = text[int(p["start"]):int(p["end"])]
        out.append(f"predicted {_entity_label(p)} {surface!r} (not annotated)")
    return tuple(out)


@dataclass(frozen=True)
class ExamplePrediction:
    """The model's prediction for one evaluated example."""

    index: int  # position in the evaluated sequence (snapshot index for CV)
    example: Example  # the very Example object evaluated (identity: ``is``)
    predicted_intent: str | None
    confidence: float
    margin: float  # top-1 minus top-2 confidence (top-1 when only one intent)
    ranking: tuple[tuple[str, float], ...]  # up to 10 (intent, confidence)
    entities: tuple[dict, ...]  # predicted entities in parse() shape
    fold: int | None = None  # cross-validation fold, else None

    @property
    def correct(self) -> bool:
        """True if the predicted intent is the example's intent.

        Compared on the base intent (``faq`` for ``faq/ask_hours``): that is what
        DIET predicts and what the report scores.
        """
        return self.predicted_intent == self.example.base_intent

    @property
    def entity_mistakes(self) -> tuple[str, ...]:
        """Readable entity disagreements (empty when the entities are right)."""
        return entity_mistakes(self.example, self.entities)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form: the example as text/intent/entities plus the prediction."""
        ex = self.example
        gold = []
        for s in ex.entities:
            span: dict[str, Any] = {"entity": s.entity, "start": s.start, "end": s.end,
                                    "value": s.value}
            if s.role:
                span["role"] = s.role
            if s.group:
                span["group"] = s.group
            gold.append(span)
        out: dict[str, Any] = {
            "index": self.index,
            "text": ex.text,
            "intent": ex.intent,
            "entities": gold,
            "predicted_intent": self.predicted_intent,
            "confidence": self.confidence,
            "margin": self.margin,
            "correct": self.correct,
            "ranking": [{"name": n, "confidence": c} for n, c in self.ranking],
            "predicted_entities": [dict(e) for e in self.entities],
            "entity_mistakes": list(self.entity_mistakes),
        }
        if ex.source is not None:
            out["source"] = {"path": str(ex.source.path), "line": ex.source.line}
        if self.fold is not None:
            out["fold"] = self.fold
        return out


@dataclass(frozen=True)
class ExampleEvaluation:
    """Per-example predictions plus the Rasa-style report over them."""

    # "training data" | "test file data/test.yml" | "cross-validation, 5 folds"
    source: str
    predictions: tuple[ExamplePrediction, ...]
    report: EvaluationResult  # over the same predictions
    fold_reports: tuple[EvaluationResult, ...] = ()
    model_path: str | None = None
    created: float = 0.0
    notes: tuple[str, ...] = ()  # e.g. examples left out of a cross-validation, why
    _by_id: dict[int, ExamplePrediction] = field(
        default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

    def _index(self) -> dict[int, ExamplePrediction]:
        if self._by_id is None:
            object.__setattr__(self, "_by_id",
                               {id(p.example): p for p in self.predictions})
        return self._by_id

    def prediction_for(self, example: Example) -> ExamplePrediction | None:
        """The prediction made for this very object (``None``: not evaluated/stale)."""
        found = self._index().get(id(example))
        return found if found is not None and found.example is example else None

    def is_stale(self, index: int, example: Example) -> bool:
        """True if the example now at ``index`` is not the object that was evaluated."""
        hit = self.prediction_for(example)
        return hit is None or hit.index != index

    def errors(self) -> tuple[ExamplePrediction, ...]:
        """Wrong intent or any entity mistake, in evaluation order."""
        return tuple(p for p in self.predictions
                     if not p.correct or p.entity_mistakes)

    def to_json(self) -> dict[str, Any]:
        """JSON-able: source, model, time, report, fold reports, every prediction."""
        return {
            "source": self.source,
            "model_path": self.model_path,
            "created": self.created,
            "report": self.report.to_json(),
            "fold_reports": [r.summary() for r in self.fold_reports],
            "notes": list(self.notes),
            "predictions": [p.to_json() for p in self.predictions],
        }


def _margin(prediction: Prediction) -> tuple[float, tuple[tuple[str, float], ...]]:
    ranking = tuple((s.name, float(s.confidence))
                    for s in prediction.ranking[:RANKING_LENGTH])
    if not ranking and prediction.intent is not None:
        ranking = ((prediction.intent.name, float(prediction.intent.confidence)),)
    top = float(prediction.intent.confidence) if prediction.intent else 0.0
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    return top - second, ranking


def to_example_predictions(
    examples: Sequence[Example],
    predictions: Sequence[Prediction],
    *,
    indices: Sequence[int] | None = None,
    fold: int | None = None,
) -> tuple[ExamplePrediction, ...]:
    """Pair ``examples[i]`` with ``predictions[i]`` (index ``indices[i]`` or ``i``)."""
    if len(examples) != len(predictions):
        raise ValueError(f"{len(examples)} examples but {len(predictions)} predictions")
    if indices is not None and len(indices) != len(examples):
        raise ValueError(f"{len(examples)} examples but {len(indices)} indices")
    out = []
    for i, (example, prediction) in enumerate(zip(examples, predictions, strict=True)):
        margin, ranking = _margin(prediction)
        out.append(ExamplePrediction(
            index=int(indices[i]) if indices is not None else i,
            example=example,
            predicted_intent=prediction.intent.name if prediction.intent else None,
            confidence=float(prediction.intent.confidence) if prediction.intent
            else 0.0,
            margin=margin,
            ranking=ranking,
            entities=tuple(e.to_rasa() for e in prediction.entities),
            fold=fold,
        ))
    return tuple(out)


def predict_raw(
    model: Any,
    examples: Sequence[Example],
    *,
    batch_size: int = 64,
    should_stop: ShouldStop | None = None,
    on_progress: OnProgress | None = None,
) -> list[Prediction]:
    """``model.predict_many`` in batches, checking ``should_stop`` between them.

    Raises:
        EvaluationStopped: ``should_stop()`` turned true.
    """
    texts = [e.text for e in examples]
    out: list[Prediction] = []
    total = len(texts)
    for start in range(0, total, batch_size):
        if should_stop is not None and should_stop():
            raise EvaluationStopped("evaluation stopped")
        out.extend(model.predict_many(texts[start:start + batch_size],
                                      batch_size=batch_size))
        if on_progress is not None:
            on_progress(len(out), total)
    if on_progress is not None and total == 0:
        on_progress(0, 0)
    return out


def predict_examples(
    model: Any,
    examples: Sequence[Example],
    *,
    batch_size: int = 64,
    should_stop: ShouldStop | None = None,
    on_progress: OnProgress | None = None,
    indices: Sequence[int] | None = None,
    fold: int | None = None,
) -> tuple[ExamplePrediction, ...]:
    """Predict every example with ``model`` (a loaded ``NluModel``).

    Raises:
        EvaluationStopped: ``should_stop()`` turned true.
    """
    examples = list(examples)
    raw = predict_raw(model, examples, batch_size=batch_size, should_stop=should_stop,
                      on_progress=on_progress)
    return to_example_predictions(examples, raw, indices=indices, fold=fold)


def evaluate_examples(
    model: Any,
    examples: Sequence[Example],
    source: str,
    *,
    model_path: str | None = None,
    should_stop: ShouldStop | None = None,
    on_progress: OnProgress | None = None,
    indices: Sequence[int] | None = None,
) -> ExampleEvaluation:
    """Predict and score ``examples``; the report covers exactly these predictions.

    Raises:
        EvaluationStopped: ``should_stop()`` turned true.
    """
    examples = list(examples)
    raw = predict_raw(model, examples, should_stop=should_stop,
                      on_progress=on_progress)
    tokenizer = getattr(getattr(model, "pipeline", None), "tokenizer", None)
    report = evaluate_predictions(examples, raw, tokenizer)
    return ExampleEvaluation(
        source=source,
        predictions=to_example_predictions(examples, raw, indices=indices),
        report=report,
        model_path=model_path,
        created=time.time(),
    )
