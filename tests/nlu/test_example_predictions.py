"""Per-example predictions keep the identity of the example they came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.core.examples import EntitySpan, Example
from workbench.nlu.example_predictions import (
    EvaluationStopped,
    entity_mistakes,
    evaluate_examples,
    predict_examples,
)


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path):
    from workbench.nlu.predictor_loader import load_model

    return load_model(tiny_model_dir)


def _city(text: str, city: str) -> Example:
    start = text.index(city)
    return Example(text, "book_flight",
                   (EntitySpan(start, start + len(city), "city", city),))


def test_same_text_examples_get_their_own_predictions(model) -> None:
    first = Example("hello", "greet")
    twin = Example("hello", "goodbye")  # same text, other label: a real conflict
    same = Example("hello", "greet")  # equal (==) to first, but another object
    examples = [first, Example("bye", "goodbye"), twin, same]
    predictions = predict_examples(model, examples)
    assert [p.index for p in predictions] == [0, 1, 2, 3]
    for example, prediction in zip(examples, predictions, strict=True):
        assert prediction.example is example
    assert predictions[0].predicted_intent == predictions[2].predicted_intent
    assert predictions[0].correct != predictions[2].correct


def test_evaluation_maps_by_identity_and_marks_edits_stale(model) -> None:
    first, same = Example("hello", "greet"), Example("hello", "greet")
    evaluation = evaluate_examples(model, [first, same], "training data")
    assert evaluation.prediction_for(first).index == 0
    assert evaluation.prediction_for(same).index == 1
    assert not evaluation.is_stale(1, same)
    assert evaluation.is_stale(0, same)  # moved: another object now at index 0
    edited = Example("hello", "greet")  # an edit makes a new (equal) object
    assert evaluation.prediction_for(edited) is None
    assert evaluation.is_stale(0, edited)
    assert evaluation.report.n_examples == 2
    assert evaluation.source == "training data"


def test_ranking_margin_and_json(model) -> None:
    examples = [_city("fly to Berlin", "Berlin"), Example("hello", "greet")]
    evaluation = evaluate_examples(model, examples, "test file t.yml",
                                   model_path="m")
    for p in evaluation.predictions:
        assert 1 <= len(p.ranking) <= 10
        assert p.ranking[0][0] == p.predicted_intent
        expected = p.ranking[0][1] - (p.ranking[1][1] if len(p.ranking) > 1 else 0.0)
        assert p.margin == pytest.approx(expected)
        assert 0.0 <= p.margin <= p.confidence <= 1.0
    data = json.loads(json.dumps(evaluation.to_json()))
    assert data["predictions"][0]["text"] == "fly to Berlin"
    assert data["predictions"][0]["entities"][0]["entity"] == "city"
    assert data["predictions"][1]["index"] == 1
    assert data["report"]["n_examples"] == 2


def test_stop_and_progress(model) -> None:
    seen: list[tuple[int, int]] = []
    examples = [Example(f"hello {i}", "greet") for i in range(5)]
    predict_examples(model, examples, batch_size=2,
                     on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    with pytest.raises(EvaluationStopped):
        predict_examples(model, examples, should_stop=lambda: True)


def test_entity_mistakes_are_readable() -> None:
    text = "fly from New York to Berlin large"
    example = Example(text, "book_flight", (
        EntitySpan(9, 17, "city", "New York"), EntitySpan(21, 27, "city", "Berlin"),
    ))

    def ent(start: int, end: int, name: str) -> dict:
        return {"entity": name, "start": start, "end": end, "value": text[start:end]}

    assert entity_mistakes(example, [ent(9, 17, "city"), ent(21, 27, "city")]) == ()
    mistakes = entity_mistakes(example, [ent(13, 17, "city"), ent(21, 27, "town"),
                                         ent(28, 33, "size")])
    assert mistakes == ("wrong span: city 'New York' vs 'York'",
                        "wrong type: 'Berlin' city vs town",
                        "predicted size 'large' (not annotated)")
    assert entity_mistakes(example, []) == ("missed city 'New York'",
                                            "missed city 'Berlin'")


def test_cli_test_out_writes_rasa_files_and_pngs(tiny_model_dir: Path, tmp_path: Path,
                                                  capsys) -> None:
    from matplotlib import image

    from workbench.cli.main import main

    data = tmp_path / "test.yml"
    data.write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hello\n'
        "    - hello\n- intent: book_flight\n  examples: |\n"
        "    - fly to [Berlin](city)\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    assert main(["test", str(tiny_model_dir), str(data), "--json", "--out",
                 str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["source"] == f"test file {data}"
    assert "city" in json.loads((out / "DIETClassifier_report.json").read_text())
    predictions = json.loads((out / "example_predictions.json").read_text())
    assert [(p["index"], p["text"]) for p in predictions] == [
        (0, "hello"), (1, "hello"), (2, "fly to Berlin")]
    for name in ("intent_confusion_matrix.png", "intent_histogram.png",
                 "DIETClassifier_confusion_matrix.png", "DIETClassifier_histogram.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert image.imread(out / name).ndim == 3
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files
