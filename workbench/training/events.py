"""Events yielded by :func:`workbench.training.runner.run_training`.

Every event is a frozen, slotted dataclass named as a fact in the past tense. Payloads
are plain data only: Python scalars, tuples, read-only mappings and *copied*, read-only
numpy arrays. They never hold tensors, modules, optimisers or references into the live
project, so any thread may keep them. This module is torch-free: the desktop app
imports it at start-up, before torch has loaded.

Typical order of one run::

    TrainingStarted
    NodeStarted / FeaturizationProgress* / NodeCompleted      (per graph node)
    BatchProgress* EpochCompleted [EvaluationCompleted] [EmbeddingsProjected]  (epoch)
    EmbeddingsProjected                                        (final model)
    TrainingFinished | TrainingCancelled | TrainingFailed      (exactly one, last)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

# DIET's own progress object is the event: one class from the trainer to the window.
# (torch-free like this module; re-exported here with the other events.)
from workbench.nlu.diet.progress import BatchProgress

if TYPE_CHECKING:
    import numpy.typing as npt


def frozen_mapping(values: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Return a read-only copy of ``values``, numpy scalars turned into Python ones."""
    plain: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, Mapping):
            value = frozen_mapping(value)
        plain[str(key)] = value
    return MappingProxyType(plain)


def frozen_array(values: npt.ArrayLike, dtype: npt.DTypeLike) -> np.ndarray:
    """Return a read-only copy of ``values`` as a numpy array of ``dtype``."""
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True)
class TrainingStarted:
    """Training began on a snapshot of the project.

    Attributes:
        run_id: Id of the run in the project's run history (``runs.db``).
        n_examples: Number of training examples (after any hold-out was split off).
        n_validation_examples: Examples held out for validation (0 if none).
        intents: Intent names the model learns, sorted (Rasa's label ids).
        entity_types: Entity types the model learns, sorted.
        config_digest: Short hash of the training configuration.
        data_fingerprint: Fingerprint of the training data.
        device: Device DIET trains on ("cpu", "cuda", ...).
        epochs: Number of epochs DIET will train (0 if the model comes from the cache).
        finetune_from: Model directory training continues from, or None.
    """

    run_id: str
    n_examples: int
    n_validation_examples: int
    intents: tuple[str, ...]
    entity_types: tuple[str, ...]
    config_digest: str
    data_fingerprint: str
    device: str
    epochs: int
    finetune_from: str | None = None


@dataclass(frozen=True, slots=True)
class TrainingNote:
    """Something the user should know that does not stop training.

    E.g. the cache went to ``~/.cache/workbench`` because the project folder is
    read-only, or a pipeline component was skipped.
    """

    message: str


@dataclass(frozen=True, slots=True)
class NodeStarted:
    """A graph node (tokenizer, a featurizer, DIET...) started to compute its output."""

    name: str


@dataclass(frozen=True, slots=True)
class NodeCompleted:
    """A graph node has its output, computed (``from_cache=False``) or restored.

    Attributes:
        name: Node name, e.g. "tokenizer", "count_vectors_word", "diet".
        from_cache: True when the output was restored from the training cache.
        seconds: Time spent computing or restoring it.
        fingerprint: Fingerprint key of the node (covers code, settings and inputs).
    """

    name: str
    from_cache: bool
    seconds: float
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class FeaturizationProgress:
    """Featurization went on: ``done`` of ``total`` messages of a node are processed."""

    name: str
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class EpochCompleted:
    """DIET finished an epoch (1-based ``epoch`` of ``total_epochs``).

    Attributes:
        losses: Loss values by name ("t_loss", "i_loss", "e_loss", ...).
        metrics: Training metrics by name ("i_acc", "e_f1", ...).
        seconds: Wall time of this epoch.
        elapsed_seconds: Wall time since DIET started.
        eta_seconds: Estimated time left for the remaining epochs.
    """

    epoch: int
    total_epochs: int
    losses: Mapping[str, float]
    metrics: Mapping[str, float]
    seconds: float
    elapsed_seconds: float = 0.0
    eta_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class EvaluationCompleted:
    """The model was evaluated on the held-out validation examples after ``epoch``."""

    epoch: int
    metrics: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class EmbeddingsProjected:
    """A 2-D PCA projection of the model's sentence embeddings of training examples.

    Attributes:
        epoch: Epoch after which the embeddings were computed.
        points: float32 ``(n, 2)``, read-only.
        labels: Intent of each point, ``n`` names.
        example_indices: int64 ``(n,)`` index of each point in the snapshot's examples.
        final: True for the projection of the finished model.
    """

    epoch: int
    points: np.ndarray
    labels: tuple[str, ...]
    example_indices: np.ndarray
    final: bool = False


@dataclass(frozen=True, slots=True)
class TrainingFinished:
    """Training ended with a model directory.

    Attributes:
        model_path: Directory of the trained model (load with ``load_model``).
        wall_seconds: Wall time of the whole run.
        nodes_run: Names of the nodes that computed their output in this run.
        nodes_cached: Names of the nodes restored from the cache.
        metrics: Final training (and validation, prefixed ``val_``) metrics.
        run_id: Id of the run in the run history.
    """

    model_path: str
    wall_seconds: float
    nodes_run: tuple[str, ...]
    nodes_cached: tuple[str, ...]
    metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    run_id: str = ""


@dataclass(frozen=True, slots=True)
class TrainingCancelled:
    """Training stopped because a stop was requested.

    Attributes:
        wall_seconds: Wall time of the whole run.
        epochs_completed: Whole epochs DIET trained before the stop.
        run_id: Id of the run in the run history.
        model_path: The model kept from the stopped run (the best validation
            checkpoint so far, else the weights when it stopped), or None when the
            stop came before the first epoch ended.
        metrics: The last epoch's metrics of that model (empty without a model).
    """

    wall_seconds: float
    epochs_completed: int
    run_id: str = ""
    model_path: str | None = None
    metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class TrainingFailed:
    """Training stopped on an error.

    Attributes:
        message: What went wrong, for people.
        traceback_text: Formatted traceback ("" for expected problems: bad input).
    """

    message: str
    traceback_text: str = ""
    run_id: str = ""


TrainingEvent = (
    TrainingStarted
    | TrainingNote
    | NodeStarted
    | NodeCompleted
    | FeaturizationProgress
    | BatchProgress
    | EpochCompleted
    | EvaluationCompleted
    | EmbeddingsProjected
    | TrainingFinished
    | TrainingCancelled
    | TrainingFailed
)

# Events after which the generator ends.
TERMINAL_EVENTS = (TrainingFinished, TrainingCancelled, TrainingFailed)

# NodeRestored is the same fact as NodeCompleted(from_cache=True); the alias keeps the
# name from the issue text usable in ``isinstance`` checks.
NodeRestored = NodeCompleted
