"""One training run: validate the inputs, build the graph, run it, write the model.

:class:`TrainingSession` is what :func:`workbench.training.runner.run_training` drives;
it checks everything that can be wrong with the input before any work starts, so
problems surface as one clear message.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.training.cache import TrainingCache
from workbench.training.events import TrainingEvent, TrainingNote, TrainingStarted
from workbench.training.fingerprint import (
    DataFingerprints,
    data_fingerprints,
    fingerprint_of,
)
from workbench.training.graph import GraphExecutor

if TYPE_CHECKING:
    from workbench.core.examples import Example
    from workbench.core.snapshot import ProjectSnapshot
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.pipeline import PipelineConfig
    from workbench.nlu.predictor_loader import NluModel
    from workbench.nlu.tokenizers import WhitespaceTokenizer

DEFAULT_SEED = 42
FINETUNE_MIN_EPOCHS = 10  # finetuning default: a tenth of the epochs, at least this


class TrainingInputError(Exception):
    """The data, configuration or options cannot be trained on (message says why)."""


def finetune_epochs(configured: int) -> int:
    """Default finetuning epochs: a tenth of ``configured``, 10 to ``configured``."""
    return min(configured, max(FINETUNE_MIN_EPOCHS, configured // 10))


@dataclass
class RunResult:
    """What a finished session produced."""

    model_path: Path
    metrics: dict[str, float]
    nodes_run: tuple[str, ...]
    nodes_cached: tuple[str, ...]
    stopped_after: int | None = None  # epochs, when a stop ended DIET early


@dataclass
class TrainingSession:
    """A validated training run (build with :meth:`prepare`)."""

    snapshot: ProjectSnapshot
    pipeline_config: PipelineConfig
    diet_config: DietConfig
    seed: int
    device: str
    data: DataFingerprints
    config_digest: str
    should_stop: Callable[[], bool]
    finetune: NluModel | None = None  # the earlier model, when finetuning
    finetune_from: str | None = None
    finetune_fingerprint: str = ""
    notes: list[str] = field(default_factory=list)

    @classmethod
    def prepare(cls, snapshot: ProjectSnapshot, *, config: Mapping[str, Any] | None,
                seed: int | None, device: str, epochs: int | None,
                finetune_from: str | Path | None,
                stop: Callable[[], bool]) -> TrainingSession:
        """Check the inputs and resolve every setting.

        Raises:
            TrainingInputError: Unusable data, configuration, device or earlier model.
        """
        from workbench.nlu.diet.config import DietConfig
        from workbench.nlu.diet.devices import resolve_device
        from workbench.nlu.diet.trainable import require_two_intents
        from workbench.nlu.pipeline import PipelineConfig, PipelineError

        _check_examples(snapshot)
        notes: list[str] = []
        finetune = None
        finetune_fp = ""
        try:
            if finetune_from is not None:
                finetune, finetune_fp = _load_finetune_model(finetune_from)
                pipeline_config = PipelineConfig.from_rasa(
                    finetune.metadata.get("pipeline_config"))
                diet_config = finetune.config
                default_epochs = finetune_epochs(diet_config.epochs)
                notes.append("finetuning keeps the earlier model's pipeline and DIET "
                             "settings; words not seen before are out of vocabulary")
            else:
                pipeline_config = PipelineConfig.from_rasa(
                    config if config is not None else snapshot.config)
                diet_config = DietConfig.from_rasa(pipeline_config.diet)
                default_epochs = diet_config.epochs
        except PipelineError as error:
            raise TrainingInputError(str(error)) from None
        except ValueError as error:
            message = str(error)
            if "DIETClassifier" not in message:
                message = f"DIETClassifier: {message}"
            raise TrainingInputError(f"config: {message}") from None
        notes.extend(pipeline_config.warnings)
        notes.extend(diet_config.warnings)
        diet_config = dataclasses.replace(diet_config, epochs=epochs or default_epochs)
        if diet_config.split_entities_by_comma is None:
            diet_config, note = _resolve_entity_splitting(
                diet_config, snapshot.examples, pipeline_config.build_tokenizer())
            if note:
                notes.append(note)
        try:
            diet_config.validate()
            if diet_config.intent_classification:
                require_two_intents(example.base_intent
                                    for example in snapshot.examples)
            target = resolve_device(device)
        except ValueError as error:
            raise TrainingInputError(str(error)) from None
        if seed is None:
            seed = diet_config.random_seed
        if seed is None:
            seed = DEFAULT_SEED
        digest = fingerprint_of(pipeline_config.to_json(), diet_config.to_rasa(), seed,
                                finetune_fp)[:12]
        return cls(snapshot, pipeline_config, diet_config, seed, str(target),
                   data_fingerprints(snapshot), digest, stop, finetune,
                   str(finetune_from) if finetune_from else None, finetune_fp, notes)

    def started_event(self, run_id: str) -> TrainingStarted:
        """The TrainingStarted event of this session."""
        examples = self.snapshot.examples
        intents = sorted({example.base_intent for example in examples})
        entities = sorted({span.entity for example in examples
                           for span in example.entities})
        held_out = self.diet_config.evaluate_on_number_of_examples
        return TrainingStarted(
            run_id=run_id, n_examples=len(examples) - held_out,
            n_validation_examples=held_out, intents=tuple(intents),
            entity_types=tuple(entities), config_digest=self.config_digest,
            data_fingerprint=self.data.all, device=self.device,
            epochs=self.diet_config.epochs, finetune_from=self.finetune_from)

    def run(self, cache: TrainingCache | None, *, force: bool, out_dir: Path,
            live_projections: bool = True
            ) -> Generator[TrainingEvent, None, RunResult]:
        """Run the graph (restoring cached nodes) and write the model to ``out_dir``."""
        from workbench.nlu.artefacts import save_model
        from workbench.nlu.pipeline import FittedPipeline
        from workbench.training.diet_node import DietStopped, build_diet_node
        from workbench.training.nodes import DIET, SYNONYMS, build_graph

        finetune = self.finetune
        finetune_pipeline = finetune.pipeline if finetune is not None else None
        diet_node = build_diet_node(
            self.diet_config, seed=self.seed, device=self.device,
            should_stop=self.should_stop,
            init_model=finetune.model if finetune is not None else None,
            finetune_fingerprint=self.finetune_fingerprint,
            live_projections=live_projections)
        graph = build_graph(self.snapshot, self.pipeline_config, self.data, diet_node,
                            finetune_pipeline=finetune_pipeline,
                            finetune_fingerprint=self.finetune_fingerprint,
                            should_stop=self.should_stop)
        store_notes: list[str] = []
        executor = GraphExecutor(graph.nodes, cache, force=force,
                                 on_store_error=store_notes.append,
                                 should_stop=self.should_stop)
        stopped_after = None
        try:
            diet = yield from executor.value(DIET)
        except DietStopped as stopped:  # keep the model so far (not cached)
            diet, stopped_after = stopped.result, stopped.epochs_completed
            # The rest (fitted featurizers, synonyms) is quick and needed to save it.
            executor.should_stop = lambda: False
        featurizers = []
        for name in graph.featurizer_names:
            featurizers.append((yield from executor.value(name)))
        synonyms = None
        if graph.has_synonym_mapper:
            synonyms = yield from executor.value(SYNONYMS)
        for note in store_notes:
            yield TrainingNote(note)
        if DIET in executor.restored and diet.projection is not None:
            yield diet.projection  # the cached model's embeddings, drawn once more
        tokenizer = (finetune_pipeline.tokenizer if finetune_pipeline is not None
                     else self.pipeline_config.build_tokenizer())
        save_model(
            out_dir, model=diet.model, diet_config=diet.config,
            pipeline=FittedPipeline(tokenizer, featurizers),
            pipeline_config=self.pipeline_config, synonyms=synonyms,
            training_info={
                "seed": self.seed, "device": self.device, "epochs": diet.epochs_run,
                "data_fingerprint": self.data.all, "config_digest": self.config_digest,
                "finetuned_from": self.finetune_from, "metrics": diet.metrics,
                "nodes_run": list(executor.ran),
                "nodes_cached": list(executor.restored),
            })
        return RunResult(out_dir, dict(diet.metrics), tuple(executor.ran),
                         tuple(executor.restored), stopped_after)


def _check_examples(snapshot: ProjectSnapshot) -> None:
    """Refuse a snapshot without examples, saying what to add."""
    if not snapshot.examples:
        raise TrainingInputError(
            "no training examples: add examples to an intent in the NLU data "
            "(nlu: - intent: greet / examples: | - hi) and train again")


def _load_finetune_model(path: str | Path) -> tuple[NluModel, str]:
    """Load the model to continue from; return it and a fingerprint of its files."""
    from workbench.nlu.artefacts import ArtefactError, resolve_model_dir
    from workbench.nlu.predictor_loader import load_model

    try:
        model = load_model(path)
        checksums = (resolve_model_dir(path) / "checksums.json").read_bytes()
    except ArtefactError as error:
        raise TrainingInputError(f"cannot finetune: {error}") from None
    except OSError as error:
        raise TrainingInputError(f"cannot finetune from {path}: {error}") from None
    return model, hashlib.sha256(checksums).hexdigest()[:32]


def _resolve_entity_splitting(diet_config: DietConfig, examples: Sequence[Example],
                              tokenizer: WhitespaceTokenizer
                              ) -> tuple[DietConfig, str | None]:
    """Fill an unset ``split_entities_by_comma`` from the training annotations."""
    from workbench.nlu.bilou import entity_types_spanning_gaps, resolve_split_setting

    joined = entity_types_spanning_gaps(examples, tokenizer.tokenize)
    setting = resolve_split_setting(None, joined)
    note = None
    if joined:
        names = ", ".join(joined)
        which = (
            f"entity type {names} is"
            if len(joined) == 1
            else f"entity types {names} are"
        )
        note = (f"{which} not split at commas: annotations contain values like "
                "'a, b' (set split_entities_by_comma in config.yml to choose)")
    return dataclasses.replace(diet_config, split_entities_by_comma=setting), note
