"""What ``train_diet`` yields: batch progress, per-epoch statistics, the trained model.

These carry plain Python data only (floats, dicts, tuples), except ``TrainedDiet`` which
hands over the model itself at the very end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.model import DietModel


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Coalesced progress inside an epoch (a few per second at most).

    Attributes:
        epoch: 1-based epoch.
        batch: Batches done in this epoch.
        n_batches: Batches in this epoch.
    """

    epoch: int
    batch: int
    n_batches: int


@dataclass(frozen=True, slots=True)
class EpochStats:
    """Statistics of one finished epoch.

    Attributes:
        epoch: 1-based epoch.
        total_epochs: Epochs planned.
        losses: Mean per-task losses over the epoch's batches (``t_loss`` = total,
            ``i_loss``, ``e_loss``, ``r_loss``, ``g_loss``, ``m_loss``, ``reg_loss``).
        metrics: ``i_acc``, ``e_f1``, ``r_f1``, ``g_f1``, ``m_acc`` (as trained).
        seconds: Wall time of the epoch (training + validation).
        validation: ``val_*`` losses and metrics when validation ran, else None.
        batch_size: This epoch's batch size.
        n_examples: Examples seen (balanced batching over-samples rare intents).
    """

    epoch: int
    total_epochs: int
    losses: Mapping[str, float]
    metrics: Mapping[str, float]
    seconds: float
    validation: Mapping[str, float] | None = None
    batch_size: int = 0
    n_examples: int = 0


@dataclass(frozen=True)
class TrainedDiet:
    """The end of a completed run.

    Attributes:
        model: The model on the CPU in eval mode (best checkpoint if checkpointing).
        config: The config it was trained with.
        intent_names: Label names, index = label id.
        tag_names: Tag kind -> tag names (kinds with a CRF head only).
        best_epoch: Epoch whose weights were kept (the last one without checkpointing).
        epochs_run: Epochs completed.
        stopped: True when a stop request ended the run early: the model is the best
            validation checkpoint so far, else the weights when it stopped.
    """

    model: DietModel
    config: DietConfig
    intent_names: tuple[str, ...]
    tag_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    best_epoch: int = 0
    epochs_run: int = 0
    stopped: bool = False
