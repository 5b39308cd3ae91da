"""Cross-validation: one out-of-fold prediction per example, Rasa's report files."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.training.conftest import TINY, tiny_config
from workbench.cli.main import main
from workbench.core.examples import Example
from workbench.core.project import load_project
from workbench.core.snapshot import ProjectSnapshot
from workbench.nlu.example_predictions import EvaluationStopped
from workbench.training.cross_validation import (
    CrossValidationError,
    cross_validate,
    split_folds,
)

FOLDS = 3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _snapshot(extra: tuple[Example, ...] = ()) -> ProjectSnapshot:
    snapshot = ProjectSnapshot.from_project(load_project(TINY))
    return dataclasses.replace(snapshot, examples=snapshot.examples + extra,
                               config=tiny_config(epochs=2))


# Same text twice with the same label (identical: one unit, one fold) and the same
# text once more with another intent (a conflict: its own unit).
TWIN = Example("hello", "greet")
OTHER = Example("hello", "goodbye")


@pytest.fixture(scope="module")
def evaluation_and_snapshot():
    snapshot = _snapshot((TWIN, OTHER))
    seen = []
    evaluation = cross_validate(snapshot, FOLDS, seed=3, device="cpu",
                                on_progress=seen.append)
    return evaluation, snapshot, seen


def test_one_out_of_fold_prediction_per_example(evaluation_and_snapshot) -> None:
    evaluation, snapshot, seen = evaluation_and_snapshot
    examples = snapshot.examples
    assert [p.index for p in evaluation.predictions] == list(range(len(examples)))
    for p in evaluation.predictions:
        assert p.example is examples[p.index]
        assert p.fold in range(1, FOLDS + 1)
    assert evaluation.source == f"cross-validation, {FOLDS} folds"
    assert len(evaluation.fold_reports) == FOLDS
    per_fold = Counter(p.fold for p in evaluation.predictions)
    assert [per_fold[f] for f in range(1, FOLDS + 1)] == [
        r.n_examples for r in evaluation.fold_reports]
    assert evaluation.report.n_examples == len(examples)
    # stratified: every intent is tested in every fold
    for fold in range(1, FOLDS + 1):
        tested = {p.example.intent for p in evaluation.predictions if p.fold == fold}
        assert tested == {e.intent for e in examples}
    assert [s.fold for s in seen if s.stage == "fold done"] == [1, 2, 3]
    assert all(0.0 <= s.fraction <= 1.0 for s in seen)


def test_same_text_examples_keep_their_own_predictions(evaluation_and_snapshot) -> None:
    evaluation, snapshot, _ = evaluation_and_snapshot
    hello = [i for i, e in enumerate(snapshot.examples) if e.text == "hello"]
    assert len(hello) == 3  # the sample's own "hello", TWIN and OTHER
    first, twin, other = (evaluation.predictions[i] for i in hello)
    assert twin.example is TWIN and other.example is OTHER
    assert evaluation.prediction_for(TWIN) is twin
    assert evaluation.prediction_for(OTHER) is other
    assert first.example is not TWIN and first.example.text == TWIN.text
    assert first.fold == twin.fold  # identical copies are tested together
    assert twin.correct != other.correct or twin.predicted_intent is None
    edited = Example("hello", "greet")  # an edit makes a new object: stale
    assert evaluation.prediction_for(edited) is None


def test_split_is_seeded_and_stratified() -> None:
    intents = ["a"] * 6 + ["b"] * 9
    assert split_folds(intents, 3, 7) == split_folds(intents, 3, 7)
    assert split_folds(intents, 3, 7) != split_folds(intents, 3, 8)
    for test in split_folds(intents, 3, 7):
        assert Counter(intents[i] for i in test) == {"a": 2, "b": 3}


def test_rare_intents_left_out_with_a_note() -> None:
    rare = (Example("what time is it", "ask_time"), Example("time please", "ask_time"))
    snapshot = _snapshot(rare)
    evaluation = cross_validate(snapshot, FOLDS, device="cpu")
    assert {p.example.intent for p in evaluation.predictions} == {
        "greet", "goodbye", "order_pizza", "ask_price"}
    assert len(evaluation.predictions) == len(snapshot.examples) - 2
    assert any("ask_time (2)" in note for note in evaluation.notes)


def test_unusable_options_and_data_are_explained() -> None:
    with pytest.raises(CrossValidationError, match="folds must be"):
        cross_validate(_snapshot(), 1)
    with pytest.raises(CrossValidationError, match="at least 2 intents"):
        cross_validate(_snapshot(), 11)  # greet has 10 examples: only one intent left


def test_stop_is_honoured_inside_a_fold() -> None:
    requested = threading.Event()

    def on_progress(progress) -> None:
        if progress.event is not None:  # first training event of fold 1
            requested.set()

    with pytest.raises(EvaluationStopped):
        cross_validate(_snapshot(), FOLDS, device="cpu", stop=requested.is_set,
                       on_progress=on_progress)


def _check_report_files(out: Path) -> None:
    intent_report = json.loads((out / "intent_report.json").read_text())
    assert {"accuracy", "macro avg", "weighted avg"} <= intent_report.keys()
    for name in ("greet", "goodbye", "order_pizza", "ask_price"):
        assert {"precision", "recall", "f1-score", "support",
                "confused_with"} <= intent_report[name].keys()
    for error in json.loads((out / "intent_errors.json").read_text()):
        assert {"text", "intent", "intent_prediction"} <= error.keys()
        assert {"name", "confidence"} <= error["intent_prediction"].keys()
    entity_report = json.loads((out / "DIETClassifier_report.json").read_text())
    assert {"product", "size"} <= entity_report.keys()
    assert "no_entity" not in entity_report
    for error in json.loads((out / "DIETClassifier_errors.json").read_text()):
        assert {"text", "entities", "predicted_entities"} <= error.keys()
    for name in ("intent_confusion_matrix.png", "intent_histogram.png",
                 "DIETClassifier_confusion_matrix.png", "DIETClassifier_histogram.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        from matplotlib import image

        pixels = image.imread(out / name)  # decodes: a real, complete PNG
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100


def test_cli_cross_validation_writes_rasa_reports(tiny_project: Path, tmp_path: Path,
                                                  capsys) -> None:
    out = tmp_path / "reports"
    assert main(["test", str(tiny_project), "--cross-validation", "2", "--epochs", "1",
                 "--seed", "5", "--json", "--out", str(out), "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["source"] == "cross-validation, 2 folds"
    assert result["n_examples"] == 40 and len(result["folds"]) == 2
    assert "fold 2/2" in captured.err
    _check_report_files(out)
    predictions = json.loads((out / "example_predictions.json").read_text())
    assert sorted(p["index"] for p in predictions) == list(range(40))
    assert {p["fold"] for p in predictions} == {1, 2}


def test_cli_refuses_bad_combinations(tiny_project: Path, capsys) -> None:
    assert main(["test", str(tiny_project), "x.yml", "--cross-validation", "3"]) == 2
    assert "one PROJECT" in capsys.readouterr().err
    assert main(["test", str(tiny_project)]) == 2
    assert "--cross-validation K" in capsys.readouterr().err
    assert main(["test", str(tiny_project / "nope"), "--cross-validation", "3"]) == 2
    assert main(["test", str(tiny_project), "--cross-validation", "60"]) == 1
    assert "folds must be" in capsys.readouterr().err
    (tiny_project / "file.txt").write_text("x")
    assert main(["test", str(tiny_project), "--cross-validation", "2",
                 "--out", str(tiny_project / "file.txt")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_second_run_restores_each_folds_featurization(tiny_project: Path) -> None:
    from workbench.training.cache import open_cache
    from workbench.training.events import NodeCompleted

    cache, _ = open_cache(tiny_project)
    assert cache is not None

    def run(epochs: int) -> list[NodeCompleted]:
        seen = []
        cross_validate(_snapshot(), 2, seed=1, device="cpu", cache=cache, epochs=epochs,
                       on_progress=seen.append)
        return [s.event for s in seen if isinstance(s.event, NodeCompleted)]

    first = run(1)
    assert first and not any(e.from_cache for e in first)
    second = run(2)  # other DIET epochs: the folds' features are reused
    restored = {e.name for e in second if e.from_cache}
    assert {"tokenizer", "features"} <= restored
    assert "diet" not in restored
