"""Insights: what an evaluation says about the data, as ``Issue`` rows with a fix.

Three kinds, each a warning with a suggested fix (``Issue.hint``):

* ``insight-confused-intents``: a pair of intents the model mixes up (counted both
  ways), with the examples behind it (``Fix("show_confusion", {...})``).
* ``insight-low-f1``: an intent with a low F1 and few training examples.
* ``insight-entity-recall``: an entity type the model often misses.

Examples are named by their index in the *current* project: ``index_of(example)``
maps an evaluated ``Example`` object to where it is now (by identity; ``None`` when
it was edited or removed since), so a link never points at another example.
Qt-free and torch-free.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.core.examples import Example
from workbench.core.issues import Fix, Issue

CONFUSED = "insight-confused-intents"
LOW_F1 = "insight-low-f1"
ENTITY_RECALL = "insight-entity-recall"
CODES = (CONFUSED, LOW_F1, ENTITY_RECALL)


@dataclass(frozen=True)
class InsightSettings:
    """Thresholds (defaults suit projects of tens to thousands of examples)."""

    min_confusions: int = 2  # a pair is listed from this many confusions (both ways)
    max_pairs: int = 10  # at most this many pairs, most confused first
    low_f1: float = 0.7  # an intent below this F1 ...
    few_examples: int = 10  # ... with fewer training examples than this
    low_recall: float = 0.6  # an entity type below this exact-span recall
    min_entity_support: int = 2  # ... annotated at least this often


def insights(
    evaluation: Any,
    *,
    index_of: Callable[[Example], int | None] | None = None,
    training_counts: Mapping[str, int] | None = None,
    settings: InsightSettings | None = None,
) -> list[Issue]:
    """Return the insights of ``evaluation`` (an ``ExampleEvaluation``).

    Args:
        index_of: current project index of an evaluated example (``None``: gone or
            edited); default: the prediction's own ``index``.
        training_counts: examples per intent in the training data (default: counted
            from the evaluated examples).
    """
    settings = settings or InsightSettings()
    predictions = tuple(evaluation.predictions)
    if index_of is None:
        where: dict[int, int] = {id(p.example): p.index for p in predictions}
        index_of = lambda example: where.get(id(example))  # noqa: E731
    if training_counts is None:
        training_counts = Counter(p.example.base_intent for p in predictions
                                  if p.example.intent)
    return [
        *_confused_pairs(predictions, evaluation.source, index_of, settings),
        *_low_f1(evaluation.report.intent_report, predictions, training_counts,
                 index_of, settings),
        *_low_recall(evaluation.report.entity_span, predictions, index_of, settings),
    ]


def _first_index(examples: Sequence[Example], index_of: Callable[[Example], int | None]
                 ) -> int | None:
    for example in examples:
        found = index_of(example)
        if found is not None:
            return found
    return None


def _confused_pairs(predictions: Sequence[Any], source: str,
                    index_of: Callable[[Example], int | None],
                    settings: InsightSettings) -> list[Issue]:
    by_pair: dict[tuple[str, str], list[Any]] = {}
    for p in predictions:
        gold = p.example.base_intent
        if not p.example.intent or p.correct:
            continue
        predicted = p.predicted_intent or "(none)"
        by_pair.setdefault(tuple(sorted((gold, predicted))), []).append(p)  # type: ignore[arg-type]
    ranked = sorted(by_pair.items(), key=lambda item: (-len(item[1]), item[0]))
    out = []
    for (a, b), wrong in ranked[: settings.max_pairs]:
        if len(wrong) < settings.min_confusions:
            break
        a_as_b = sum(1 for p in wrong if p.example.base_intent == a)
        b_as_a = len(wrong) - a_as_b
        indices = sorted(i for i in (index_of(p.example) for p in wrong)
                         if i is not None)
        out.append(Issue(
            "warning", CONFUSED,
            f"'{a}' and '{b}' are confused {len(wrong)} times ({a} as {b}: "
            f"{a_as_b}, {b} as {a}: {b_as_a}; {source})",
            example_index=indices[0] if indices else None,
            hint=("read the examples of both intents: merge them if they mean the "
                  "same, otherwise add examples that tell them apart and fix "
                  "mislabelled ones"),
            fix=Fix("show_confusion", {"intents": (a, b), "indices": tuple(indices)}),
        ))
    return out


def _low_f1(report: Mapping[str, Any], predictions: Sequence[Any],
            counts: Mapping[str, int], index_of: Callable[[Example], int | None],
            settings: InsightSettings) -> list[Issue]:
    out = []
    for intent, row in sorted(report.items()):
        if not isinstance(row, dict) or intent in ("macro avg", "weighted avg",
                                                   "micro avg"):
            continue
        f1 = float(row.get("f1-score", 1.0))
        n = int(counts.get(intent, 0))
        if f1 >= settings.low_f1 or n >= settings.few_examples:
            continue
        wrong = [p.example for p in predictions
                 if p.example.base_intent == intent and not p.correct]
        confused = ", ".join(row.get("confused_with", {}) or ()) or "other intents"
        out.append(Issue(
            "warning", LOW_F1,
            f"intent '{intent}' has F1 {f1:.2f} with only {n} training example(s)",
            example_index=_first_index(wrong, index_of),
            hint=(f"add varied examples of '{intent}' (at least "
                  f"{settings.few_examples}); it is confused with {confused}"),
        ))
    return out


def _low_recall(span_report: Mapping[str, Any], predictions: Sequence[Any],
                index_of: Callable[[Example], int | None],
                settings: InsightSettings) -> list[Issue]:
    out = []
    per_entity = span_report.get("per_entity", {}) if span_report else {}
    for entity, row in sorted(per_entity.items()):
        support = int(row.get("support", 0))
        recall = float(row.get("recall", 1.0))
        if support < settings.min_entity_support or recall >= settings.low_recall:
            continue
        missed = [p.example for p in predictions
                  if any(s.entity == entity for s in p.example.entities)
                  and any(m.startswith(("missed", "wrong")) and entity in m
                          for m in p.entity_mistakes)]
        out.append(Issue(
            "warning", ENTITY_RECALL,
            f"entity '{entity}' is found in only {recall:.0%} of its {support} "
            "annotations",
            example_index=_first_index(missed, index_of),
            hint=(f"annotate '{entity}' consistently in more examples (Annotate "
                  "everywhere, Ctrl+E), or add a lookup table or regex for it"),
        ))
    return out
