"""The NLU pipeline: Rasa ``config.yml`` -> components -> featurized training data.

One path from examples to features, run node by node by the training graph
(``workbench/training/nodes.py``) and in one call by :func:`featurize_training_data`:
:func:`~workbench.nlu.corpus.prepare_corpus`, ``fit`` of each featurizer from
:meth:`PipelineConfig.build_featurizers`, :meth:`FittedPipeline.featurize_corpus`, then
:func:`~workbench.nlu.labels.assemble_featurized_data`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.nlu.corpus import PreparedCorpus, prepare_corpus
from workbench.nlu.features import FeaturizedData, MessageFeatures
from workbench.nlu.featurizers import registry
from workbench.nlu.featurizers.base import (
    Featurizer,
    FeaturizerError,
    TrainingCorpus,
    check_known_keys,
)
from workbench.nlu.labels import assemble_featurized_data
from workbench.nlu.sparse import hstack
from workbench.nlu.tokenizers import Token, WhitespaceTokenizer


class PipelineError(FeaturizerError):
    """The pipeline configuration cannot be used (the message says how to fix it)."""


# Rasa 3.x default_config.yml, restricted to the NLU components the workbench runs.
DEFAULT_PIPELINE: tuple[dict[str, Any], ...] = (
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1,
     "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
    {"name": "EntitySynonymMapper"},
)
_UNSUPPORTED_LANGUAGES = ("zh", "ja", "th")


@dataclass(frozen=True)
class PipelineConfig:
    """The parsed ``pipeline:`` of a Rasa config.

    Attributes:
        tokenizer: tokenizer settings (WhitespaceTokenizer keys).
        featurizers: ``(component name, settings)`` per featurizer, pipeline order.
        diet: the DIETClassifier entry without ``name`` (for ``DietConfig.from_rasa``).
        use_synonym_mapper: whether EntitySynonymMapper is in the pipeline.
        language: the config's ``language`` (informational).
        is_default: True when Rasa's default pipeline was used.
        warnings: what was skipped or replaced, for the user.
    """

    tokenizer: Mapping[str, Any] = field(default_factory=dict)
    featurizers: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    diet: Mapping[str, Any] = field(default_factory=dict)
    use_synonym_mapper: bool = True
    language: str | None = None
    is_default: bool = False
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_rasa(cls, config: Mapping[str, Any] | None) -> PipelineConfig:
        """Parse a Rasa ``config.yml`` mapping (no pipeline -> Rasa's default)."""
        config = config or {}
        if not isinstance(config, Mapping):
            raise PipelineError("config.yml: the file must contain a mapping "
                                "(keys like 'language' and 'pipeline')")
        language = config.get("language")
        entries = config.get("pipeline")
        is_default = not entries
        if is_default:
            entries = [dict(e) for e in DEFAULT_PIPELINE]
        if not isinstance(entries, list):
            raise PipelineError("config.yml: 'pipeline' must be a list of components, "
                                "each a mapping with a 'name'")
        warnings: list[str] = []
        base_language = language.split("_")[0] if isinstance(language, str) else None
        if base_language in _UNSUPPORTED_LANGUAGES:
            warnings.append(f"language '{language}': the WhitespaceTokenizer does not "
                            "split this language into words; results will be poor")
        tokenizer: dict[str, Any] | None = None
        featurizers: list[tuple[str, Mapping[str, Any]]] = []
        diet: dict[str, Any] | None = None
        use_mapper = False
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
                raise PipelineError(
                    f"config.yml: pipeline entry {number} must be a mapping with a "
                    "'name' (e.g. '- name: DIETClassifier')"
                )
            name = entry["name"]
            settings = {k: v for k, v in entry.items() if k != "name"}
            where = f"pipeline entry {number} ({name})"
            if name == registry.TOKENIZER:
                tokenizer = settings
            elif name in registry.OTHER_TOKENIZERS:
                warnings.append(f"{where}: not available in the workbench; the "
                                "WhitespaceTokenizer is used instead")
            elif name in registry.FEATURIZER_CLASSES:
                featurizers.append((name, settings))
            elif name == registry.CLASSIFIER:
                if diet is not None:
                    raise PipelineError(f"config.yml: {where}: only one DIETClassifier "
                                        "is supported; remove the others")
                diet = settings
            elif name == registry.SYNONYM_MAPPER:
                use_mapper = True
            elif name in registry.SKIPPED:
                warnings.append(f"{where}: not supported by the workbench, skipped")
            else:
                raise PipelineError(
                    f"config.yml: {where}: unknown component '{name}'. The workbench "
                    f"runs {', '.join(registry.SUPPORTED)}; it skips these Rasa "
                    f"components: {', '.join(sorted(registry.SKIPPED))}. "
                    "Check the spelling or remove the entry."
                )
            if name in registry.KNOWN_OPTIONS:
                warnings.extend(check_known_keys(name, settings,
                                                 registry.KNOWN_OPTIONS[name]))
        if diet is None:
            raise PipelineError(
                "config.yml: the pipeline has no DIETClassifier, so there is nothing "
                "to train; add '- name: DIETClassifier'"
            )
        if tokenizer is None:
            tokenizer = {}
            if not any("WhitespaceTokenizer is used instead" in w for w in warnings):
                warnings.append(
                    "the pipeline has no tokenizer; the WhitespaceTokenizer is used"
                )
        featurizers = _filter_by_alias(featurizers, diet.get("featurizers"), warnings)
        return cls(tokenizer, tuple(featurizers), diet, use_mapper,
                   language if isinstance(language, str) else None, is_default,
                   tuple(warnings))

    def build_tokenizer(self) -> WhitespaceTokenizer:
        """The configured tokenizer."""
        return WhitespaceTokenizer.from_rasa(self.tokenizer)

    def build_featurizers(self) -> list[Featurizer]:
        """Fresh, unfitted featurizers in pipeline order."""
        return [registry.build_featurizer(name, s) for name, s in self.featurizers]

    @property
    def bilou(self) -> bool:
        """DIET's ``BILOU_flag`` (default True)."""
        return bool(self.diet.get("BILOU_flag", True))

    @property
    def entity_recognition(self) -> bool:
        """DIET's ``entity_recognition`` (default True)."""
        return bool(self.diet.get("entity_recognition", True))

    def to_json(self) -> dict[str, Any]:
        """A Rasa-style ``pipeline`` list (what was actually used)."""
        pipeline: list[dict[str, Any]] = [
            {"name": registry.TOKENIZER, **self.tokenizer}
        ]
        pipeline += [{"name": n, **s} for n, s in self.featurizers]
        pipeline.append({"name": registry.CLASSIFIER, **self.diet})
        if self.use_synonym_mapper:
            pipeline.append({"name": registry.SYNONYM_MAPPER})
        return {"language": self.language, "pipeline": pipeline}


def _filter_by_alias(
    featurizers: list[tuple[str, Mapping[str, Any]]], wanted: Any, warnings: list[str]
) -> list[tuple[str, Mapping[str, Any]]]:
    """Apply DIET's ``featurizers`` option (a list of aliases; empty = all)."""
    if not wanted:
        return featurizers
    aliases = [str(s.get("alias", n)) for n, s in featurizers]
    for alias in wanted:
        if alias not in aliases:
            warnings.append(f"DIETClassifier: featurizers lists '{alias}', but no "
                            "featurizer has that alias")
    return [f for f, a in zip(featurizers, aliases, strict=True) if a in set(wanted)]


@dataclass
class FittedPipeline:
    """A tokenizer plus fitted featurizers: turns any text into ``MessageFeatures``."""

    tokenizer: WhitespaceTokenizer
    featurizers: list[Featurizer]

    @property
    def sequence_dim(self) -> int:
        """Total sequence width."""
        return sum(f.sequence_dim for f in self.featurizers)

    @property
    def sentence_dim(self) -> int:
        """Total sentence width (featurizers without sentence features add nothing)."""
        return sum(f.sentence_dim for f in self.featurizers if f.has_sentence_features)

    def featurize_tokens(self, tokens: Sequence[Token], text: str) -> MessageFeatures:
        """Features of already tokenized text, in pipeline column order."""
        outputs = [f.transform(tokens, text) for f in self.featurizers]
        n = len(tokens)
        sequence = hstack((o.sequence for o in outputs), n)
        sentence = hstack((o.sentence for o in outputs if o.sentence is not None), 1)
        return MessageFeatures(tuple(tokens), sequence, sentence)

    def featurize_corpus(self, corpus: TrainingCorpus) -> Iterator[MessageFeatures]:
        """Features of each corpus message, in corpus order (lazily, for progress)."""
        for tokens, text in zip(corpus.tokens, corpus.texts, strict=True):
            yield self.featurize_tokens(tokens, text)

    def featurize(self, text: str) -> MessageFeatures:
        """Tokenize and featurize one message."""
        return self.featurize_tokens(self.tokenizer.tokenize(text), text)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON state (tokenizer settings + featurizer states) and prefixed arrays."""
        states: list[dict[str, Any]] = []
        arrays: dict[str, np.ndarray] = {}
        for i, featurizer in enumerate(self.featurizers):
            state, arrs = featurizer.to_state()
            states.append({"component": featurizer.name, **state})
            arrays.update({f"f{i}.{key}": value for key, value in arrs.items()})
        return {"tokenizer": self.tokenizer.settings, "featurizers": states}, arrays

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
    ) -> FittedPipeline:
        """Rebuild from :meth:`to_state` output."""
        featurizers = []
        for i, fstate in enumerate(state["featurizers"]):
            prefix = f"f{i}."
            own = {
                k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)
            }
            featurizers.append(registry.featurizer_from_state(fstate, own))
        return cls(WhitespaceTokenizer.from_rasa(state["tokenizer"]), featurizers)


@dataclass(frozen=True)
class FeaturizationResult:
    """Output of :func:`featurize_training_data`."""

    data: FeaturizedData
    pipeline: FittedPipeline
    config: PipelineConfig
    corpus: PreparedCorpus


def featurize_training_data(
    training_data: Any, config: Mapping[str, Any] | PipelineConfig | None = None
) -> FeaturizationResult:
    """Fit the pipeline on training data and featurize it for DIET (the graph's steps).

    Args:
        training_data: a ``ProjectSnapshot``/``Project`` or anything with ``examples``,
            ``regexes``, ``lookups`` (and optionally ``config``).
        config: a Rasa config mapping or a parsed ``PipelineConfig``; None -> the
            training data's ``config`` (or Rasa's default pipeline).

    Raises:
        PipelineError / FeaturizerError: bad configuration or patterns (clear message).
    """
    if not isinstance(config, PipelineConfig):
        config = PipelineConfig.from_rasa(
            config if config is not None else getattr(training_data, "config", None)
        )
    tokenizer = config.build_tokenizer()
    prepared = prepare_corpus(training_data, tokenizer)
    featurizers = config.build_featurizers()
    for featurizer in featurizers:
        featurizer.fit(prepared.corpus)
    pipeline = FittedPipeline(tokenizer, featurizers)
    data = assemble_featurized_data(
        prepared, tuple(pipeline.featurize_corpus(prepared.corpus)),
        sequence_dim=pipeline.sequence_dim, sentence_dim=pipeline.sentence_dim,
        bilou=config.bilou, entity_recognition=config.entity_recognition)
    return FeaturizationResult(data, pipeline, config, prepared)


__all__ = [
    "DEFAULT_PIPELINE",
    "FeaturizationResult",
    "FittedPipeline",
    "PipelineConfig",
    "PipelineError",
    "featurize_training_data",
]
