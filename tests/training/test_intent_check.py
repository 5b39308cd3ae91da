"""The one two-intent check, as ``run_training`` applies it (before any work starts)."""

from __future__ import annotations

from tests.training.conftest import tiny_config
from workbench.core.project import load_project
from workbench.nlu.diet.progress import BatchProgress as DietBatchProgress
from workbench.training.events import (
    BatchProgress,
    NodeStarted,
    TrainingFailed,
    TrainingFinished,
)
from workbench.training.runner import run_training

ONE_INTENT = """\
version: "3.1"
nlu:
- intent: order
  examples: |
    - a [large](size) pizza
    - one [small](size) pizza please
    - [medium](size) pizza with cheese
    - can I get a [large](size) one
"""


def _train(root, **diet):
    events = list(run_training(load_project(root).snapshot(), project_dir=root,
                               config=tiny_config(**diet), device="cpu"))
    return events, events[-1]


def test_intent_check_refuses_one_intent_before_any_work(make_project) -> None:
    events, final = _train(make_project({"data/nlu.yml": ONE_INTENT}))
    assert isinstance(final, TrainingFailed) and final.traceback_text == ""
    assert "only one intent ('order') has examples" in final.message
    assert "intent_classification: false" in final.message
    assert not any(isinstance(event, NodeStarted) for event in events)


def test_intent_check_skipped_when_only_entities_are_trained(make_project) -> None:
    events, final = _train(make_project({"data/nlu.yml": ONE_INTENT}),
                           intent_classification=False)
    assert isinstance(final, TrainingFinished), final
    assert "e_f1" in final.metrics


def test_batch_progress_is_one_class_from_trainer_to_window() -> None:
    assert BatchProgress is DietBatchProgress
