"""K-fold cross-validation: out-of-fold predictions for every example (Rasa §5).

Like ``rasa test nlu --cross-validation``: folds are stratified by the full intent name
(``StratifiedKFold(shuffle=True)``, here seeded), intents with fewer examples than
folds are left out (named in ``ExampleEvaluation.notes``), each fold trains the
project's pipeline on its train split and predicts its test split, and the pooled
test-fold predictions go through the normal evaluation.

Identity: identical examples (same text, intent and annotations) are one unit: they
land in the same fold (no copy in train while another is tested) and each gets its own
:class:`ExamplePrediction` (own ``index`` into ``snapshot.examples``, own object).

Each fold trains through the same :class:`~workbench.training.session.TrainingSession`
and graph as ``workbench train``. Featurizers are fitted on the fold's train split, so
the full data's cached featurization cannot be reused; with a ``cache``, each fold's
tokenizer/featurizer/features nodes (keyed by the fold's data) are restored on a later
cross-validation with the same folds and seed, e.g. after changing only DIET settings
or epochs. No run history is recorded and no model is kept.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.nlu.example_predictions import (
    EvaluationStopped,
    ExampleEvaluation,
    ExamplePrediction,
    predict_raw,
    to_example_predictions,
)
from workbench.training.cache import TrainingCache
from workbench.training.events import TrainingEvent
from workbench.training.graph import TrainingStopped
from workbench.training.session import TrainingInputError, TrainingSession

if TYPE_CHECKING:
    from workbench.core.examples import Example
    from workbench.core.snapshot import ProjectSnapshot
    from workbench.nlu.predictor import Prediction
    from workbench.nlu.predictor_loader import NluModel

MIN_FOLDS, MAX_FOLDS = 2, 50


class CrossValidationError(ValueError):
    """The data or options cannot be cross-validated (the message says why)."""


@dataclass(frozen=True)
class CrossValidationProgress:
    """Where a cross-validation is: forwarded to ``on_progress``.

    ``stage`` is "training", "predicting" or "fold done"; ``event`` is the training
    event that caused it (EpochCompleted, FeaturizationProgress, ...) or None.
    """

    fold: int  # 1-based
    folds: int
    stage: str
    message: str
    fraction: float  # of the whole cross-validation, 0..1
    event: TrainingEvent | None = None


@dataclass(frozen=True)
class _Unit:
    """One distinct example and the snapshot indices of all its identical copies."""

    index: int
    duplicates: tuple[int, ...]

    @property
    def indices(self) -> tuple[int, ...]:
        return (self.index, *self.duplicates)


def _units(snapshot: ProjectSnapshot, folds: int
           ) -> tuple[list[_Unit], list[str], list[str]]:
    """Usable units, their intents (full names), and notes on what was left out."""
    from workbench.nlu.corpus import prepare_corpus
    from workbench.nlu.tokenizers import WhitespaceTokenizer

    prepared = prepare_corpus(snapshot, WhitespaceTokenizer())
    notes = [w.message if not w.text else f"{w.message}: {w.text!r}"
             for w in prepared.warnings][:20]
    counts: dict[str, int] = {}
    for example in prepared.examples:
        counts[example.intent] = counts.get(example.intent, 0) + 1
    rare = sorted(name for name, n in counts.items() if n < folds)
    if rare:
        shown = ", ".join(f"{name} ({counts[name]})" for name in rare[:10])
        more = f" and {len(rare) - 10} more" if len(rare) > 10 else ""
        notes.append(
            f"left out (fewer distinct examples than the {folds} folds, as Rasa "
            f"does): {shown}{more}"
        )
    units, intents = [], []
    for example, index, merged in zip(prepared.examples, prepared.example_indices,
                                      prepared.merged_indices, strict=True):
        if counts[example.intent] >= folds:
            units.append(_Unit(index, tuple(merged)))
            intents.append(example.intent)
    if len({name.split("/", 1)[0] for name in intents}) < 2:
        raise CrossValidationError(
            f"cross-validation with {folds} folds needs at least 2 intents with "
            f"{folds} or more distinct examples each; add examples or use fewer folds "
            f"(--cross-validation {max(MIN_FOLDS, min(counts.values(), default=2))})")
    return units, intents, notes


def split_folds(intents: Sequence[str], folds: int, seed: int) -> list[list[int]]:
    """Test positions of each fold (stratified by intent, shuffled with ``seed``)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    positions = np.zeros(len(intents))
    return [sorted(int(i) for i in test)
            for _, test in splitter.split(positions, list(intents))]


def cross_validate(
    snapshot: ProjectSnapshot,
    folds: int = 5,
    seed: int = 42,
    *,
    stop: Callable[[], bool] | None = None,
    on_progress: Callable[[CrossValidationProgress], None] | None = None,
    epochs: int | None = None,
    cache: TrainingCache | None = None,
    device: str = "auto",
    config: Mapping[str, Any] | None = None,
) -> ExampleEvaluation:
    """Cross-validate the pipeline of ``snapshot`` (``config`` overrides its config).

    Returns:
        An :class:`ExampleEvaluation` with one out-of-fold prediction per used example
        (``index`` into ``snapshot.examples``, ``fold`` 1..K), sorted by index, the
        pooled report and one report per fold.

    Raises:
        CrossValidationError: bad options or data (message says what to change).
        EvaluationStopped: ``stop()`` turned true (between folds, during training or
            prediction).
    """
    from workbench.nlu.evaluation import evaluate_predictions

    if isinstance(folds, bool) or not isinstance(folds, int) or not (
            MIN_FOLDS <= folds <= MAX_FOLDS):
        raise CrossValidationError(
            f"folds must be a whole number from {MIN_FOLDS} to {MAX_FOLDS}, "
            f"got {folds!r}"
        )
    should_stop = stop or (lambda: False)
    examples = snapshot.examples
    units, intents, notes = _units(snapshot, folds)
    split = split_folds(intents, folds, seed)
    report = on_progress or (lambda progress: None)
    pooled: list[ExamplePrediction] = []
    pooled_raw: dict[int, Prediction] = {}
    fold_reports = []
    for number, test_positions in enumerate(split, start=1):
        if should_stop():
            raise EvaluationStopped(f"cross-validation stopped before fold {number}")
        test_set = set(test_positions)
        train = tuple(examples[i] for pos, unit in enumerate(units)
                      if pos not in test_set for i in unit.indices)
        test_indices = sorted(i for pos in test_positions for i in units[pos].indices)
        report(CrossValidationProgress(
            number, folds, "training",
            f"fold {number}/{folds}: training on {len(train)} examples",
            (number - 1) / folds))
        model = _train_fold(snapshot, train, number, folds, seed=seed, epochs=epochs,
                            cache=cache, device=device, config=config,
                            should_stop=should_stop, report=report)
        report(CrossValidationProgress(
            number, folds, "predicting",
            f"fold {number}/{folds}: predicting {len(test_indices)} examples",
            (number - 0.1) / folds))
        test_examples = [examples[i] for i in test_indices]
        raw = predict_raw(model, test_examples, should_stop=should_stop)
        tokenizer = model.pipeline.tokenizer
        fold_reports.append(evaluate_predictions(test_examples, raw, tokenizer))
        pooled.extend(to_example_predictions(test_examples, raw, indices=test_indices,
                                             fold=number))
        pooled_raw.update(zip(test_indices, raw, strict=True))
        report(CrossValidationProgress(
            number, folds, "fold done",
            f"fold {number}/{folds}: intent accuracy "
            f"{fold_reports[-1].intent_accuracy:.3f}", number / folds))
    pooled.sort(key=lambda p: p.index)
    order = [p.index for p in pooled]
    combined = evaluate_predictions([examples[i] for i in order],
                                    [pooled_raw[i] for i in order])
    return ExampleEvaluation(
        source=f"cross-validation, {folds} folds",
        predictions=tuple(pooled),
        report=combined,
        fold_reports=tuple(fold_reports),
        created=time.time(),
        notes=tuple(notes),
    )


def _train_fold(snapshot: ProjectSnapshot, train: tuple[Example, ...], number: int,
                folds: int, *, seed: int, epochs: int | None,
                cache: TrainingCache | None, device: str,
                config: Mapping[str, Any] | None, should_stop: Callable[[], bool],
                report: Callable[[CrossValidationProgress], None]) -> NluModel:
    """Train the pipeline on ``train`` (same session and graph as ``workbench train``).
    """
    from workbench.nlu.predictor_loader import load_model
    from workbench.training.events import EpochCompleted

    data = dataclasses.replace(snapshot, examples=train)  # the fold's train split
    try:
        session = TrainingSession.prepare(
            data, config=config, seed=seed, device=device, epochs=epochs,
            finetune_from=None, stop=should_stop)
    except TrainingInputError as error:
        raise CrossValidationError(f"fold {number}: {error}") from None
    with tempfile.TemporaryDirectory(prefix="workbench-cv-") as folder:
        run = session.run(cache, force=False, out_dir=Path(folder),
                          live_projections=False)
        try:
            while True:
                try:
                    event = next(run)
                except StopIteration as done:
                    result = done.value
                    break
                fraction = (number - 1) / folds
                if isinstance(event, EpochCompleted) and event.total_epochs:
                    fraction += 0.9 * event.epoch / event.total_epochs / folds
                    message = (f"fold {number}/{folds}: epoch {event.epoch}/"
                               f"{event.total_epochs}")
                else:
                    message = f"fold {number}/{folds}: training"
                report(CrossValidationProgress(number, folds, "training", message,
                                               fraction, event))
        except TrainingStopped:
            raise EvaluationStopped(
                f"cross-validation stopped in fold {number}") from None
        except (TrainingInputError, ValueError) as error:
            raise CrossValidationError(f"fold {number}: {error}") from None
        if result.stopped_after is not None or should_stop():
            raise EvaluationStopped(f"cross-validation stopped in fold {number}")
        return load_model(folder)
