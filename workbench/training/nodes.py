"""The NLU training graph: tokenizer, featurizers, features, DIET, synonym mapper.

::

    tokenizer --> regex_featurizer ----------------\\
       |      --> lexical_syntactic_featurizer ----+--> features --> diet
       |      --> count_vectors_word ---------------/
       |      --> count_vectors_char_wb -----------/
       \\-------------------------------------------/
    synonym_mapper (examples + synonym blocks)

Node outputs are stored as JSON + ``.npz`` / ``.safetensors``; never pickle. When
finetuning, the featurizer nodes restore the earlier model's fitted featurizers instead
of fitting new ones (words added since become out-of-vocabulary), so the feature layout
matches the old model's weights.

A node's cache key covers the source of the modules defining its functions and of
everything they import from ``workbench`` (:meth:`Node.code_entry_modules`), so no list
of modules is kept here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.nlu.corpus import prepare_corpus
from workbench.nlu.featurizers import registry
from workbench.nlu.featurizers.base import Featurizer
from workbench.nlu.labels import assemble_featurized_data
from workbench.nlu.pipeline import FittedPipeline, PipelineConfig
from workbench.nlu.synonyms import EntitySynonymMapper
from workbench.training import corpus_storage
from workbench.training.events import FeaturizationProgress, TrainingEvent
from workbench.training.fingerprint import DataFingerprints
from workbench.training.graph import Compute, Node, TrainingStopped
from workbench.training.storage import (
    load_featurized,
    read_json_and_arrays,
    save_featurized,
    write_json_and_arrays,
)

if TYPE_CHECKING:
    from workbench.core.snapshot import ProjectSnapshot
    from workbench.nlu.features import FeaturizedData, MessageFeatures

TOKENIZER, FEATURES, DIET, SYNONYMS = "tokenizer", "features", "diet", "synonym_mapper"
PROGRESS_CHUNK = 200  # messages between two progress events (and stop checks)


def _generator(function: Callable[[Mapping[str, Any]], object]) -> Compute:
    """Wrap a plain function as a node ``compute`` generator that yields nothing."""
    def compute(inputs: Mapping[str, Any]) -> Generator[TrainingEvent, None, object]:
        yield from ()
        return function(inputs)
    return compute


def _constant(value: object) -> Compute:
    """A node ``compute`` that returns ``value`` (e.g. a featurizer fitted earlier)."""
    return _generator(lambda inputs: value)


def featurizer_node_names(config: PipelineConfig) -> list[str]:
    """Unique user-facing names of the configured featurizers, in pipeline order."""
    names: list[str] = []
    for component, settings in config.featurizers:
        if settings.get("alias"):
            base = str(settings["alias"])
        elif component == "CountVectorsFeaturizer":
            base = f"count_vectors_{settings.get('analyzer', 'word')}"
        else:
            base = {"RegexFeaturizer": "regex_featurizer",
                    "LexicalSyntacticFeaturizer": "lexical_syntactic_featurizer"}.get(
                        component, component.lower())
        name, number = base, 2
        while name in names or name in (TOKENIZER, FEATURES, DIET, SYNONYMS):
            name, number = f"{base}_{number}", number + 1
        names.append(name)
    return names


def save_featurizer(featurizer: Featurizer, folder: Path) -> None:
    """Write a fitted featurizer's state."""
    state, arrays = featurizer.to_state()
    write_json_and_arrays(folder, {"component": featurizer.name, **state}, arrays)


def load_featurizer(folder: Path) -> Featurizer:
    """Read a fitted featurizer written by :func:`save_featurizer`."""
    state, arrays = read_json_and_arrays(folder)
    return registry.featurizer_from_state(state, arrays)


def _save_synonyms(mapper: EntitySynonymMapper, folder: Path) -> None:
    (folder / "synonyms.json").write_text(json.dumps(mapper.to_state(), sort_keys=True),
                                          encoding="utf-8")


def _load_synonyms(folder: Path) -> EntitySynonymMapper:
    return EntitySynonymMapper.from_state(
        json.loads((folder / "synonyms.json").read_text(encoding="utf-8")))


@dataclass(frozen=True)
class GraphSpec:
    """What the runner needs to know about a built graph."""

    nodes: list[Node]
    featurizer_names: tuple[str, ...]
    has_synonym_mapper: bool


def build_graph(snapshot: ProjectSnapshot, pipeline_config: PipelineConfig,
                data: DataFingerprints,
                diet_node: Node, *, finetune_pipeline: FittedPipeline | None = None,
                finetune_fingerprint: str = "",
                should_stop: Callable[[], bool] = lambda: False) -> GraphSpec:
    """Build the nodes of one training run.

    Args:
        snapshot: The training data (examples, synonyms, regexes, lookups).
        pipeline_config: The parsed pipeline.
        data: Fingerprints of the snapshot's parts.
        diet_node: The DIET node (see :mod:`workbench.training.diet_node`).
        finetune_pipeline: The earlier model's fitted pipeline when finetuning.
        finetune_fingerprint: Fingerprint of the earlier model (part of node keys).
        should_stop: Checked between chunks of featurized messages.
    """
    tokenizer = (finetune_pipeline.tokenizer if finetune_pipeline is not None
                 else pipeline_config.build_tokenizer())
    data_parts = [data.examples, data.regexes, data.lookups]
    nodes = [Node(
        TOKENIZER,
        _generator(lambda inputs: prepare_corpus(snapshot, tokenizer)),
        corpus_storage.save_corpus, corpus_storage.load_corpus,
        settings={"tokenizer": tokenizer.settings}, data=tuple(data_parts),
    )]
    names = featurizer_node_names(pipeline_config)
    if finetune_pipeline is not None:
        names = names[: len(finetune_pipeline.featurizers)]
        names += [f"featurizer_{i}" for i in range(len(names),
                                                   len(finetune_pipeline.featurizers))]
        for name, fitted in zip(names, finetune_pipeline.featurizers, strict=True):
            nodes.append(Node(
                name, _constant(fitted),
                save_featurizer, load_featurizer,
                settings={"from_model": finetune_fingerprint, "component": fitted.name},
                code_modules=(type(fitted).__module__,), cacheable=False,
            ))
    else:
        for name, (component, settings) in zip(
            names, pipeline_config.featurizers, strict=True
        ):
            nodes.append(_fit_node(name, component, settings))
    featurizer_names = tuple(names)

    def featurize(inputs: Mapping[str, Any]
                  ) -> Generator[TrainingEvent, None, FeaturizedData]:
        pipeline = FittedPipeline(tokenizer, [inputs[n] for n in featurizer_names])
        prepared = inputs[TOKENIZER]
        messages: list[MessageFeatures] = []
        for features in pipeline.featurize_corpus(prepared.corpus):
            if len(messages) % PROGRESS_CHUNK == 0 and should_stop():
                raise TrainingStopped(0)
            messages.append(features)
            if len(messages) % PROGRESS_CHUNK == 0 or len(messages) == len(prepared):
                yield FeaturizationProgress(FEATURES, len(messages), len(prepared))
        return assemble_featurized_data(
            prepared, messages, sequence_dim=pipeline.sequence_dim,
            sentence_dim=pipeline.sentence_dim, bilou=pipeline_config.bilou,
            entity_recognition=pipeline_config.entity_recognition)

    nodes.append(Node(
        FEATURES, featurize, save_featurized, load_featurized,
        inputs=(TOKENIZER, *featurizer_names),
        settings={"bilou": pipeline_config.bilou,
                  "entity_recognition": pipeline_config.entity_recognition},
        data=(data.examples,), keep_output=False,  # only DIET reads it
    ))
    nodes.append(diet_node)
    if pipeline_config.use_synonym_mapper:
        nodes.append(Node(
            SYNONYMS,
            _generator(lambda inputs: EntitySynonymMapper.from_training_data(snapshot)),
            _save_synonyms, _load_synonyms, data=(data.examples, data.synonyms),
        ))
    return GraphSpec(nodes, featurizer_names, pipeline_config.use_synonym_mapper)


def _fit_node(name: str, component: str, settings: Mapping[str, Any]) -> Node:
    """A node that fits one featurizer on the tokenized corpus."""
    probe = registry.build_featurizer(component, settings)  # validates the options

    def fit(inputs: Mapping[str, Any]) -> Featurizer:
        featurizer = registry.build_featurizer(component, settings)
        featurizer.fit(inputs[TOKENIZER].corpus)
        return featurizer

    return Node(
        name, _generator(fit), save_featurizer, load_featurizer,
        inputs=(TOKENIZER,),
        settings={"component": component, **probe.settings},
        code_modules=(type(probe).__module__,),
    )
