"""Evaluation metrics on hand-made predictions (token-level and exact-span F1)."""

from __future__ import annotations

import pytest

from workbench.core.examples import EntitySpan, Example
from workbench.nlu.evaluation import evaluate_predictions
from workbench.nlu.predictor import EntityPrediction, IntentScore, Prediction


def pred(text: str, intent: str | None, *entities: tuple[int, int, str]) -> Prediction:
    top = IntentScore(intent, 0.9) if intent else None
    return Prediction(
        text, top, (top,) if top else (),
        tuple(EntityPrediction(e, s, t, text[s:t], 0.8) for s, t, e in entities),
    )


def ex(text: str, intent: str, *entities: tuple[int, int, str]) -> Example:
    return Example(text, intent, tuple(EntitySpan(s, t, e, text[s:t])
                                       for s, t, e in entities))


GOLD = [
    ex("fly to New York", "book", (7, 15, "city")),
    ex("fly to Berlin", "book", (7, 13, "city")),
    ex("hello", "greet"),
    ex("bye", "goodbye"),
    ex("what time is it", "faq/time"),
]
PREDICTED = [
    pred("fly to New York", "book", (7, 10, "city")),  # partial span: only "New"
    pred("fly to Berlin", "book", (7, 13, "city")),
    pred("hello", "greet", (0, 5, "city")),  # false positive entity
    pred("bye", "greet"),  # wrong intent
    pred("what time is it", "faq"),  # retrieval intent scored on its base intent
]


def test_intent_metrics_and_errors() -> None:
    result = evaluate_predictions(GOLD, PREDICTED)
    assert result.n_examples == 5
    assert result.intent_accuracy == pytest.approx(4 / 5)
    # per label F1: book 1, faq 1, greet 2/3 (P 1/2, R 1), goodbye 0
    assert result.intent_macro_f1 == pytest.approx((1 + 1 + 2 / 3 + 0) / 4)
    assert result.intent_weighted_f1 == pytest.approx((2 * 1 + 1 + 2 / 3 + 0) / 5)
    assert result.intent_report["goodbye"]["confused_with"] == {"greet": 1}
    assert result.intent_errors == [{"text": "bye", "intent": "goodbye",
                                     "intent_prediction": {"name": "greet",
                                                           "confidence": 0.9}}]
    labels = result.confusion_matrix["labels"]
    matrix = result.confusion_matrix["matrix"]
    assert labels == ["book", "faq", "goodbye", "greet"]
    assert matrix[labels.index("goodbye")][labels.index("greet")] == 1


def test_entity_token_level_and_exact_span() -> None:
    result = evaluate_predictions(GOLD, PREDICTED)
    # tokens: gold city on New, York, Berlin; predicted city on New, Berlin, hello.
    # city: tp 2, fp 1, fn 1 -> P 2/3, R 2/3, F1 2/3 (only label, weighted == it)
    assert result.entity_report["city"]["precision"] == pytest.approx(2 / 3)
    assert result.entity_token_f1 == pytest.approx(2 / 3)
    assert "no_entity" not in result.entity_report
    # spans: gold {NY, Berlin}, predicted {New, Berlin, hello}: tp 1
    assert result.entity_span["precision"] == pytest.approx(1 / 3)
    assert result.entity_span["recall"] == pytest.approx(1 / 2)
    assert result.entity_span_f1 == pytest.approx(0.4)
    assert result.entity_span["per_entity"]["city"]["support"] == 2
    assert len(result.entity_errors) == 2
    summary = result.summary()
    assert summary["entity_span_f1"] == pytest.approx(0.4)
    assert set(result.to_json()) >= {"intent_accuracy", "intent_macro_f1",
                                     "intent_weighted_f1", "entity_token_f1",
                                     "entity_span_f1", "n_examples", "intent_report"}


def test_roles_and_groups_in_token_labels() -> None:
    gold = [Example("from Berlin", "book",
                    (EntitySpan(5, 11, "city", "Berlin", role="origin", group="g1"),))]
    prediction = Prediction("from Berlin", IntentScore("book", 1.0), (), (
        EntityPrediction("city", 5, 11, "Berlin", 0.9, role="origin",
                         role_confidence=0.9, group="g1", group_confidence=0.9),))
    result = evaluate_predictions(gold, [prediction])
    assert "city.g1.origin" in result.entity_report
    assert result.entity_token_f1 == 1.0


def test_no_entities_and_empty_predictions() -> None:
    result = evaluate_predictions([ex("hi", "greet")], [Prediction("hi", None, (), ())])
    assert result.intent_accuracy == 0.0
    assert result.entity_token_f1 == 0.0 and result.entity_span_f1 == 0.0
    assert result.intent_errors[0]["intent_prediction"]["name"] is None
    with pytest.raises(ValueError, match="predictions"):
        evaluate_predictions(GOLD, PREDICTED[:2])
