"""The DIET node of the training graph: train (or finetune) DIET and report progress.

Translates ``train_diet``'s progress objects into training events, and projects the
model's sentence embeddings of (up to 2000) training examples to 2-D a few times during
training and once at the end. The final projection is stored with the weights, so a
model restored from the cache can still be drawn without re-featurizing.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.training.events import (
    BatchProgress,
    EmbeddingsProjected,
    EpochCompleted,
    EvaluationCompleted,
    TrainingEvent,
    frozen_array,
    frozen_mapping,
)
from workbench.training.graph import Node, TrainingStopped
from workbench.training.metrics import eta_seconds
from workbench.training.projection import pca_2d, sample_indices

if TYPE_CHECKING:
    import torch

    from workbench.nlu.diet.batching import FeatureArrays
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.model import DietModel
    from workbench.nlu.diet.spec import ModelSpec
    from workbench.nlu.features import FeaturizedData

WEIGHTS, META, PROJECTION = "weights.safetensors", "diet.json", "projection.npz"
EMBEDDING_BATCH = 256


@dataclass
class DietResult:
    """Output of the DIET node: the trained model and what the run learned about it."""

    model: DietModel | StoredDiet  # on the CPU in eval mode; StoredDiet when restored
    config: DietConfig
    metrics: dict[str, float] = field(default_factory=dict)
    epochs_run: int = 0
    projection: EmbeddingsProjected | None = None


class DietStopped(TrainingStopped):
    """A stop ended DIET after some epochs; ``result`` is the model kept so far.

    Raised (not returned) so that the graph never caches a partly trained model under
    the key of the full run.
    """

    def __init__(self, result: DietResult) -> None:
        super().__init__(result.epochs_run)
        self.result = result


LIVE_PROJECTION_SHARE = 0.02  # live projections take at most ~2 % of training time


def projection_every(epochs: int) -> int:
    """Project embeddings about every 10% of the epochs (at least every epoch)."""
    return max(1, round(epochs / 10))


def projection_due(epoch: int, every: int, now: float, last_end: float | None,
                   last_cost: float) -> bool:
    """Whether to project after ``epoch``: every ``every`` epochs, within a budget.

    Measured on the pizza sample (docs/benchmarks.md): a projection (collating and
    embedding every sampled example) took 0.2-0.9 s on a loaded 2-core machine, about
    a third of an epoch, so ten of them made in-app training ~10 % slower than the
    CLI's. A projection is made only when the time since the previous one is at least
    ``last_cost / LIVE_PROJECTION_SHARE``; the first one always.
    """
    if epoch % every:
        return False
    return last_end is None or now - last_end >= last_cost / LIVE_PROJECTION_SHARE


def project_embeddings(model: DietModel, data: FeaturizedData, arrays: FeatureArrays,
                       indices: np.ndarray, example_indices: np.ndarray, epoch: int, *,
                       final: bool = False) -> EmbeddingsProjected | None:
    """Embed the chosen training messages with ``model`` and project them to 2-D.

    ``arrays`` are DIET's arrays of ``data`` (``diet_arrays``); ``data`` gives the
    intents. Returns None when the model has no sentence embeddings (no intent head).
    """
    import torch

    from workbench.nlu.diet.batching import collate

    if model.intent is None or len(indices) == 0:
        return None
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with torch.no_grad():
            for start in range(0, len(indices), EMBEDDING_BATCH):
                batch = collate(arrays, indices[start:start + EMBEDDING_BATCH])
                embedded = model.sentence_embeddings(batch.to(device))  # (b, E)
                chunks.append(embedded.float().cpu().numpy())
    finally:
        model.train(was_training)
    embeddings = np.concatenate(chunks, axis=0)  # (n, E)
    labels = tuple(data.intent_names[int(data.intent_ids[i])] for i in indices)
    points = frozen_array(pca_2d(embeddings), np.float32)  # (n, 2)
    return EmbeddingsProjected(epoch, points, labels,
                               frozen_array(example_indices[indices], np.int64), final)


def build_diet_node(diet_config: DietConfig, *, seed: int, device: str,
                    should_stop: Callable[[], bool],
                    init_model: DietModel | None = None,
                    finetune_fingerprint: str = "",
                    live_projections: bool = True) -> Node:
    """Return the DIET node; its input is the ``features`` node.

    ``live_projections`` false skips the projections during training (the final one
    is always made); it does not change the result, so it is not part of the key.
    """

    def compute(inputs: dict[str, Any]
                ) -> Generator[TrainingEvent, None, DietResult]:
        from workbench.nlu.diet.progress import EpochStats
        from workbench.nlu.diet.trainer import TrainedDiet, diet_arrays, train_diet

        # The graph holds no other reference to the featurized data (keep_output
        # False): once DIET's flat arrays are made, the per-message features go
        # (SNIPS: ~70 MB that training never reads).
        data = inputs.pop("features")
        arrays = diet_arrays(data, diet_config)
        data = dataclasses.replace(data, messages=(), tag_ids={}, texts=())
        indices = sample_indices(len(arrays), seed)
        example_indices = np.asarray(data.example_indices, dtype=np.int64)
        every = projection_every(diet_config.epochs)
        last_projection: tuple[float | None, float] = (None, 0.0)  # (ended, seconds)
        holder: dict[str, DietModel] = {}
        seconds: list[float] = []
        started = time.perf_counter()
        last_metrics: dict[str, float] = {}
        epochs_done = 0
        trained = None
        def keep_model(model: DietModel, epoch: int) -> None:
            holder["model"] = model

        for item in train_diet(data, diet_config, seed=seed, device=device,
                               should_stop=should_stop, init_model=init_model,
                               on_epoch=keep_model, arrays=arrays):
            if isinstance(item, BatchProgress):
                yield item  # already a training event
            elif isinstance(item, EpochStats):
                epochs_done = item.epoch
                seconds.append(item.seconds)
                validation = item.validation or {}
                last_metrics = {**item.losses, **item.metrics, **validation}
                yield EpochCompleted(
                    item.epoch, item.total_epochs, frozen_mapping(item.losses),
                    frozen_mapping(item.metrics), item.seconds,
                    time.perf_counter() - started,
                    eta_seconds(seconds, item.total_epochs - item.epoch))
                if item.validation:
                    yield EvaluationCompleted(item.epoch, frozen_mapping(validation))
                now = time.perf_counter()
                if (live_projections and item.epoch < item.total_epochs
                        and "model" in holder
                        and projection_due(item.epoch, every, now, *last_projection)):
                    projected = project_embeddings(holder["model"], data, arrays,
                                                   indices, example_indices,
                                                   item.epoch)
                    last_projection = (time.perf_counter(),
                                       time.perf_counter() - now)
                    if projected is not None:
                        yield projected
            elif isinstance(item, TrainedDiet):
                trained = item
        if trained is None:
            raise TrainingStopped(epochs_done)
        if trained.stopped:  # no final projection: Stop must end within a second
            raise DietStopped(DietResult(trained.model, trained.config, last_metrics,
                                         trained.epochs_run))
        projection = project_embeddings(trained.model, data, arrays, indices,
                                        example_indices, trained.epochs_run,
                                        final=True)
        if projection is not None:
            yield projection
        return DietResult(trained.model, trained.config, last_metrics,
                          trained.epochs_run, projection)

    return Node(
        "diet", compute, save_diet, load_diet, inputs=("features",),
        settings={"config": diet_config.to_rasa(), "seed": seed,
                  "device": device.split(":")[0],
                  "finetune_from": finetune_fingerprint},
    )


def save_diet(result: DietResult, folder: Path) -> None:
    """Write the trained weights, config, spec, metrics and final projection."""
    from workbench.nlu.weights import save_weights

    save_weights(result.model, folder / WEIGHTS)
    meta = {"config": result.config.to_rasa(), "spec": result.model.spec.to_dict(),
            "metrics": result.metrics, "epochs_run": result.epochs_run}
    projection = result.projection
    if projection is not None:
        meta["projection"] = {"epoch": projection.epoch,
                              "labels": list(projection.labels)}
        np.savez(folder / PROJECTION, points=projection.points,
                 example_indices=projection.example_indices)
    (folder / META).write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")


class StoredDiet:
    """Trained weights restored from the cache, without building a ``DietModel``.

    Enough for ``save_model`` (``spec`` and ``state_dict()``); building the model would
    draw every random connection mask only to overwrite it. :meth:`build` makes the
    real model when one is needed.
    """

    def __init__(self, spec: ModelSpec, config: DietConfig,
                 state: Mapping[str, torch.Tensor]) -> None:
        self.spec, self.config, self._state = spec, config, dict(state)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Return the weights (CPU tensors) by parameter name."""
        return dict(self._state)

    def build(self) -> DietModel:
        """Return a ``DietModel`` (CPU, eval mode) with these weights."""
        from workbench.nlu.diet.builder import build_model

        model = build_model(self.config, self.spec)
        model.load_state_dict(self._state)
        return model.eval()


def load_diet(folder: Path) -> DietResult:
    """Rebuild a :class:`DietResult` written by :func:`save_diet`."""
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.spec import ModelSpec
    from workbench.nlu.weights import load_weights

    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    config = DietConfig.from_rasa(meta["config"])
    state = load_weights(folder / WEIGHTS)
    model = StoredDiet(ModelSpec.from_dict(meta["spec"]), config, state)
    projection = None
    if "projection" in meta:
        with np.load(folder / PROJECTION, allow_pickle=False) as arrays:
            projection = EmbeddingsProjected(
                int(meta["projection"]["epoch"]),
                frozen_array(arrays["points"], np.float32),
                tuple(meta["projection"]["labels"]),
                frozen_array(arrays["example_indices"], np.int64), True)
    return DietResult(model, config, dict(meta["metrics"]), int(meta["epochs_run"]),
                      projection)
