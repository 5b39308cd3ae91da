"""Insights from an evaluation: confused pairs, weak intents, missed entity types."""

from __future__ import annotations

from workbench.core.examples import EntitySpan, Example
from workbench.nlu.evaluation import evaluate_predictions
from workbench.nlu.example_predictions import ExampleEvaluation, to_example_predictions
from workbench.nlu.insights import (
    CONFUSED,
    ENTITY_RECALL,
    LOW_F1,
    InsightSettings,
    insights,
)
from workbench.nlu.predictor import EntityPrediction, IntentScore, Prediction


def _prediction(example: Example, intent: str, confidence: float = 0.9,
                entities: tuple[EntityPrediction, ...] = ()) -> Prediction:
    other = "other" if intent != "other" else "x"
    ranking = (IntentScore(intent, confidence), IntentScore(other, 1 - confidence))
    return Prediction(example.text, IntentScore(intent, confidence), ranking, entities)


def _evaluation(pairs: list[tuple[Example, Prediction]]) -> ExampleEvaluation:
    examples = [e for e, _ in pairs]
    raw = [p for _, p in pairs]
    return ExampleEvaluation("cross-validation, 2 folds",
                             to_example_predictions(examples, raw),
                             evaluate_predictions(examples, raw))


def _city(text: str, word: str) -> Example:
    start = text.index(word)
    return Example(
        text, "travel", (EntitySpan(start, start + len(word), "city", word),)
    )


def test_confused_pair_counts_both_ways_and_links_its_examples() -> None:
    a = [Example(f"book it {i}", "book") for i in range(4)]
    b = [Example(f"cancel it {i}", "cancel") for i in range(4)]
    pairs = [(a[0], _prediction(a[0], "cancel")), (a[1], _prediction(a[1], "cancel")),
             (a[2], _prediction(a[2], "book")), (a[3], _prediction(a[3], "book")),
             (b[0], _prediction(b[0], "book")), (b[1], _prediction(b[1], "cancel")),
             (b[2], _prediction(b[2], "cancel")), (b[3], _prediction(b[3], "cancel"))]
    found = insights(_evaluation(pairs), training_counts={"book": 40, "cancel": 40})
    confused = [i for i in found if i.code == CONFUSED]
    assert len(confused) == 1
    issue = confused[0]
    assert "confused 3 times" in issue.message
    assert "book as cancel: 2" in issue.message and "cancel as book: 1" in issue.message
    assert issue.fix.kind == "show_confusion"
    assert issue.fix.payload["intents"] == ("book", "cancel")
    assert issue.fix.payload["indices"] == (0, 1, 4)
    assert issue.example_index == 0 and issue.hint


def test_index_of_maps_to_current_positions_and_skips_edited_examples() -> None:
    a = [Example(f"book it {i}", "book") for i in range(2)]
    pairs = [(a[0], _prediction(a[0], "cancel")), (a[1], _prediction(a[1], "cancel"))]
    # the project now has a[1] at 7 and a[0] was edited (gone)
    found = insights(_evaluation(pairs), index_of=lambda e: 7 if e is a[1] else None,
                     training_counts={"book": 40})
    issue = next(i for i in found if i.code == CONFUSED)
    assert issue.fix.payload["indices"] == (7,) and issue.example_index == 7


def test_single_confusion_is_not_an_insight() -> None:
    a = Example("book it", "book")
    b = Example("cancel it", "cancel")
    found = insights(_evaluation([(a, _prediction(a, "cancel")),
                                  (b, _prediction(b, "cancel"))]),
                     training_counts={"book": 40, "cancel": 40})
    assert not [i for i in found if i.code == CONFUSED]


def test_low_f1_only_with_few_examples() -> None:
    weak = [Example(f"weak {i}", "weak") for i in range(3)]
    strong = [Example(f"strong {i}", "strong") for i in range(3)]
    pairs = [(e, _prediction(e, "strong")) for e in weak[:2]] + \
        [(weak[2], _prediction(weak[2], "weak"))] + \
        [(e, _prediction(e, "strong")) for e in strong]
    found = insights(_evaluation(pairs), training_counts={"weak": 3, "strong": 3})
    low = [i for i in found if i.code == LOW_F1]
    assert [i.message.split("'")[1] for i in low] == ["weak"]
    assert "only 3 training example(s)" in low[0].message
    assert "add varied examples of 'weak'" in low[0].hint
    assert low[0].example_index == 0  # the first wrongly predicted one
    many = insights(_evaluation(pairs), training_counts={"weak": 300, "strong": 3})
    assert not [i for i in many if i.code == LOW_F1]


def test_entity_type_with_low_recall() -> None:
    examples = [_city(f"fly to {c}", c) for c in ("Berlin", "Paris", "Rome", "Oslo")]
    pairs = []
    for i, example in enumerate(examples):
        span = example.entities[0]
        found = (EntityPrediction("city", span.start, span.end, span.value, 0.9),) \
            if i == 0 else ()
        pairs.append((example, _prediction(example, "travel", entities=found)))
    result = insights(_evaluation(pairs), training_counts={"travel": 40})
    low = [i for i in result if i.code == ENTITY_RECALL]
    assert len(low) == 1 and "'city'" in low[0].message and "25%" in low[0].message
    assert low[0].example_index == 1  # the first example where it was missed
    strict = insights(_evaluation(pairs), training_counts={"travel": 40},
                      settings=InsightSettings(low_recall=0.2))
    assert not [i for i in strict if i.code == ENTITY_RECALL]


def test_perfect_evaluation_has_no_insights() -> None:
    examples = [Example(f"hi {i}", "greet") for i in range(3)]
    evaluation = _evaluation([(e, _prediction(e, "greet")) for e in examples])
    assert insights(evaluation, training_counts={"greet": 3}) == []
