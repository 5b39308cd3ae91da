"""``train_diet``: DIET's training loop as a generator of progress events (§4.13-14).

Yields :class:`BatchProgress` (coalesced), one :class:`EpochStats` per epoch and finally
:class:`TrainedDiet`. A true ``should_stop()`` ends the run between batches: after at
least one epoch it still yields a ``TrainedDiet(stopped=True)`` holding the best
validation checkpoint so far (else the weights as they are), before none. Consumers
(CLI, GUI worker, training runner) decide what to show.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Iterator

import numpy as np
import torch

from workbench.nlu.diet.adam import make_adam
from workbench.nlu.diet.batching import FeatureArrays, collate, epoch_batches
from workbench.nlu.diet.builder import (
    build_model,
    label_matrix_from_data,
    spec_from_data,
)
from workbench.nlu.diet.config import DietConfig
from workbench.nlu.diet.devices import resolve_device
from workbench.nlu.diet.finetune import expand_model
from workbench.nlu.diet.holdout import holdout_split
from workbench.nlu.diet.memory import (
    HeapGuard,
    limit_heap_retention,
    release_free_memory,
)
from workbench.nlu.diet.model import DietModel
from workbench.nlu.diet.progress import BatchProgress, EpochStats, TrainedDiet
from workbench.nlu.diet.regularization import (
    add_regularization_gradients_,
    regularization_loss,
    regularized_kernels,
)
from workbench.nlu.diet.sparse_input import DenseForSparse
from workbench.nlu.diet.spec import ModelSpec
from workbench.nlu.diet.trainable import require_two_intents
from workbench.nlu.intra_op import StepThreads

__all__ = ["BatchProgress", "EpochStats", "TrainedDiet", "diet_arrays",
           "seed_everything", "train_diet"]

_PROGRESS_INTERVAL_S = 0.25  # at most ~4 BatchProgress events per second


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def train_diet(data: object, config: DietConfig, *, seed: int, device: str = "auto",
               should_stop: Callable[[], bool] = lambda: False,
               init_model: DietModel | None = None, amp: bool = False,
               on_epoch: Callable[[DietModel, int], None] | None = None,
               arrays: FeatureArrays | None = None,
               ) -> Iterator[EpochStats | BatchProgress | TrainedDiet]:
    """Train DIET on featurized data.

    Args:
        data: A ``FeaturizedData`` (see docs/internal-interfaces.md).
        config: Hyper-parameters (``config.random_seed``, if set, overrides ``seed``).
        seed: Random seed of the run.
        device: "auto", "cpu", "cuda[:n]" or "mps".
        should_stop: Polled between batches; true ends the run: a ``TrainedDiet`` with
            ``stopped=True`` if an epoch completed, else nothing.
        init_model: An earlier model to continue from (finetuning); labels and tags
            added since are freshly initialised, the rest copied by name.
        amp: Mixed precision autocast on CUDA (bfloat16, or float16 with loss scaling
            on GPUs without bfloat16); ignored elsewhere. On a CPU with native
            bfloat16, autocast made financial_demo epochs only ~5 % cheaper but
            nearly doubled peak RSS (490 -> 990 MB), so it is not offered there.
        on_epoch: Called with the live model (on the training device) and the 1-based
            epoch after each epoch, before its EpochStats is yielded (e.g. to project
            embeddings). Restore train mode if you change it.
        arrays: ``diet_arrays(data, config)``, when the caller made them first;
            then ``data.messages`` and ``data.tag_ids`` are not read (they may be
            empty), so the per-message features can be freed before training.

    Yields:
        BatchProgress, EpochStats per epoch, then TrainedDiet.

    Raises:
        ValueError: Unusable data, config or device (clear message).
    """
    seed = config.random_seed if config.random_seed is not None else seed
    seed_everything(seed)
    limit_heap_retention()
    target = resolve_device(device)
    spec = spec_from_data(data, config)
    if arrays is None:
        arrays = diet_arrays(data, config)
    _check_data(data, spec)
    label_matrix = label_matrix_from_data(data)
    if init_model is not None:
        model = expand_model(init_model, config, spec, label_matrix)
    else:
        model = build_model(config, spec, label_matrix)
    model.to(target)
    train_idx = np.arange(len(arrays))
    held_idx = None
    if config.evaluate_on_number_of_examples > 0:
        train_idx, held_idx = holdout_split(
            arrays.labels, config.evaluate_on_number_of_examples, seed)
    loop = _Loop(model, config, arrays, target, amp and target.type == "cuda")
    rng = np.random.default_rng(seed)
    strategy = config.batch_strategy if spec.intent_names else "sequence"
    best_state, best_scores, best_epoch = None, None, config.epochs
    heap = HeapGuard()
    # Threads per step (1 for small steps, else the idle cores): see nlu/intra_op.py.
    step_threads = StepThreads() if target.type == "cpu" else None
    for epoch in range(config.epochs):
        started = time.perf_counter()
        size = config.batch_size_for_epoch(epoch)
        batches = epoch_batches(arrays.labels[train_idx], size, strategy, rng,
                                drop_small_last_batch=config.drop_small_last_batch)
        batches = [train_idx[b] for b in batches]
        totals = _Totals()
        last_report = started
        for number, idx in enumerate(batches, start=1):
            if should_stop():
                if epoch > 0:  # at least one whole epoch: keep a usable model
                    if best_state is not None:
                        model.load_state_dict(best_state)
                    model.to("cpu").eval()
                    yield TrainedDiet(model, config, spec.intent_names,
                                      dict(spec.tag_names),
                                      best_epoch if best_state is not None else epoch,
                                      epoch, stopped=True)
                return
            if step_threads is not None:  # token rows: tokens + sentence slots
                step_threads.apply(int(arrays.n_tokens[idx].sum()) + len(idx))
            totals.add(loop.train_step(idx))
            heap.after_step()
            now = time.perf_counter()
            if now - last_report >= _PROGRESS_INTERVAL_S and number < len(batches):
                last_report = now
                yield BatchProgress(epoch + 1, number, len(batches))
        losses, metrics = totals.summary()
        if release_free_memory():
            heap.trimmed()
        losses["reg_loss"] = float(regularization_loss(loop.kernels,
                                                       config.regularization_constant))
        validation = None
        if held_idx is not None and _validate_now(config, epoch):
            validation = loop.evaluate(held_idx, size)
            scores = {k: v for k, v in validation.items()
                      if k.endswith("_acc") or k.endswith("_f1")}
            if config.checkpoint_model and _improved(scores, best_scores):
                best_scores, best_epoch = scores, epoch + 1
                best_state = copy.deepcopy(model.state_dict())
        if on_epoch is not None:
            on_epoch(model, epoch + 1)
        yield EpochStats(epoch + 1, config.epochs, losses, metrics,
                         time.perf_counter() - started, validation, size,
                         int(sum(len(b) for b in batches)))
    if best_state is not None:
        model.load_state_dict(best_state)
    model.to("cpu").eval()
    yield TrainedDiet(model, config, spec.intent_names, dict(spec.tag_names),
                      best_epoch, config.epochs)


def diet_arrays(data: object, config: DietConfig) -> FeatureArrays:
    """The flat arrays DIET trains on, from a ``FeaturizedData`` (its messages, ids
    and tags; only the tag kinds and the sentence features the model will use)."""
    if len(data.messages) == 0:
        raise ValueError("No training examples: add examples before training DIET.")
    spec = spec_from_data(data, config)
    return FeatureArrays.from_messages(
        data.messages, has_sentence=spec.sentence_dim > 0,
        labels=np.asarray(data.intent_ids, dtype=np.int64),
        tags={kind: data.tag_ids[kind] for kind in spec.tag_names})


def _check_data(data: object, spec: ModelSpec) -> None:
    if spec.intent_names:
        require_two_intents(spec.intent_names[i] for i in np.unique(data.intent_ids))
    if not spec.intent_names and not spec.tag_names:
        raise ValueError("Nothing to train: intent classification is off and the data "
                         "has no entity annotations.")


def _validate_now(config: DietConfig, epoch: int) -> bool:
    last = epoch + 1 == config.epochs
    every = config.evaluate_every_number_of_epochs
    return last or (every > 0 and (epoch + 1) % every == 0)


def _improved(scores: dict[str, float], best: dict[str, float] | None) -> bool:
    """Rasa's rule: all metrics >= the best so far and at least one better."""
    if best is None:
        return True
    return (all(scores[k] >= best.get(k, -1.0) for k in scores)
            and any(scores[k] > best.get(k, -1.0) for k in scores))


def _amp_dtype(device: torch.device) -> torch.dtype:
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16


class _Totals:
    """Accumulate per-batch losses/accuracies and entity tag counts over an epoch."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, torch.Tensor] = {}
        self.n = 0

    def add(self, step: tuple[dict, dict]) -> None:
        values, counts = step
        self.n += 1
        for k, v in values.items():
            self.sums[k] = self.sums[k] + v if k in self.sums else v
        for k, v in counts.items():
            self.counts[k] = self.counts[k] + v if k in self.counts else v

    def summary(self) -> tuple[dict[str, float], dict[str, float]]:
        losses, metrics = {}, {}
        for k, v in self.sums.items():  # one device sync per epoch
            (losses if k.endswith("_loss") else metrics)[k] = float(v) / max(self.n, 1)
        for k, v in self.counts.items():
            tp, predicted, gold = (float(x) for x in v.cpu())
            metrics[k] = 2 * tp / (predicted + gold) if predicted + gold > 0 else 0.0
        return losses, metrics


class _Loop:
    """One model's optimiser, step and evaluation."""

    def __init__(self, model: DietModel, config: DietConfig, arrays: FeatureArrays,
                 device: torch.device, amp: bool) -> None:
        self.model, self.config = model, config
        self.arrays, self.device = arrays, device
        self.amp = amp
        self.amp_dtype = _amp_dtype(device) if amp else None
        self.optimizer = make_adam(model.parameters(), config.learning_rate, device)
        self.kernels = regularized_kernels(model)  # all of them, for the reported loss
        # Sparse-input kernels apply the L2 rule to the rows their batch touched.
        self.row_sparse = [m for m in model.modules()
                           if isinstance(m, DenseForSparse) and m.l2_regularized]
        sparse_weights = {id(m.weight) for m in self.row_sparse}
        self.dense_kernels = [(w, m) for w, m in self.kernels
                              if id(w) not in sparse_weights]
        # float16 needs loss scaling; bfloat16 has float32's range and does not.
        self.scaler = (torch.amp.GradScaler("cuda") if self.amp_dtype == torch.float16
                       else None)

    def train_step(self, idx: np.ndarray) -> tuple[dict, dict]:
        self.model.train()
        batch = collate(self.arrays, idx).to(self.device)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp):
            out = self.model(batch)
        loss = sum(out.losses.values())
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        lam = self.config.regularization_constant
        add_regularization_gradients_(self.dense_kernels, lam)
        for layer in self.row_sparse:
            layer.add_l2_gradient_(lam)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.model.apply_connection_masks_()
        values = {k: v.detach() for k, v in out.losses.items()}
        values["t_loss"] = loss.detach()
        values.update({k: v.detach() for k, v in out.accuracies.items()})
        return values, out.tag_counts

    @torch.no_grad()
    def evaluate(self, idx: np.ndarray, size: int) -> dict[str, float]:
        """Losses and metrics on hold-out examples, in eval mode, prefixed ``val_``."""
        self.model.eval()
        totals = _Totals()
        for start in range(0, len(idx), size):
            batch = collate(self.arrays, idx[start:start + size]).to(self.device)
            out = self.model(batch)
            values = {k: v.detach() for k, v in out.losses.items()}
            values["t_loss"] = sum(out.losses.values()).detach()
            values.update(out.accuracies)
            totals.add((values, out.tag_counts))
        losses, metrics = totals.summary()
        return {f"val_{k}": v for k, v in {**losses, **metrics}.items()}
