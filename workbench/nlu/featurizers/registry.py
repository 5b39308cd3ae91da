"""Rasa component names -> what the workbench does with them.

Supported components are built; known Rasa components we cannot run (spaCy, MITIE,
language models, other extractors/classifiers) are skipped with a warning so an existing
Rasa ``config.yml`` still trains; anything else is an error naming the component.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.nlu.featurizers.base import Featurizer, FeaturizerError
from workbench.nlu.featurizers.count_vectors import (
    CountVectorsConfig,
    CountVectorsFeaturizer,
)
from workbench.nlu.featurizers.lexical_syntactic import LexicalSyntacticFeaturizer
from workbench.nlu.featurizers.regex import RegexFeaturizer

FEATURIZER_CLASSES: dict[str, type[Featurizer]] = {
    "RegexFeaturizer": RegexFeaturizer,
    "LexicalSyntacticFeaturizer": LexicalSyntacticFeaturizer,
    "CountVectorsFeaturizer": CountVectorsFeaturizer,
}
TOKENIZER = "WhitespaceTokenizer"
CLASSIFIER = "DIETClassifier"
SYNONYM_MAPPER = "EntitySynonymMapper"
SUPPORTED = (TOKENIZER, *FEATURIZER_CLASSES, CLASSIFIER, SYNONYM_MAPPER)

# Rasa tokenizers we replace by the WhitespaceTokenizer.
OTHER_TOKENIZERS = frozenset({
    "SpacyTokenizer", "MitieTokenizer", "JiebaTokenizer", "ConveRTTokenizer",
    "LanguageModelTokenizer", "HFTransformersNLP",
})
# Rasa components that are skipped (with a warning saying what is lost).
SKIPPED = frozenset({
    "SpacyNLP", "SpacyFeaturizer", "SpacyEntityExtractor", "MitieNLP",
    "MitieFeaturizer", "MitieEntityExtractor", "MitieIntentClassifier",
    "LanguageModelFeaturizer",
    "ConveRTFeaturizer", "RegexEntityExtractor", "CRFEntityExtractor",
    "DucklingEntityExtractor", "DucklingHTTPExtractor", "KeywordIntentClassifier",
    "SklearnIntentClassifier", "LogisticRegressionClassifier", "ResponseSelector",
    "FallbackClassifier",
})

KNOWN_OPTIONS: dict[str, set[str]] = {
    TOKENIZER: {"token_pattern", "intent_tokenization_flag", "intent_split_symbol",
                "prefix_separator_symbol", "case_sensitive"},
    "RegexFeaturizer": {"case_sensitive", "use_lookup_tables", "use_regexes",
                        "use_word_boundaries", "number_additional_patterns", "alias"},
    "LexicalSyntacticFeaturizer": {"features", "alias"},
    "CountVectorsFeaturizer": {"analyzer", "min_ngram", "max_ngram", "lowercase",
                               "strip_accents", "stop_words", "min_df", "max_df",
                               "max_features", "OOV_token", "OOV_words",
                               "use_shared_vocab", "use_lemma", "alias",
                               "additional_vocabulary_size"},
    SYNONYM_MAPPER: set(),
}


def build_featurizer(name: str, settings: Mapping[str, Any]) -> Featurizer:
    """A fresh (unfitted) featurizer for a pipeline entry; bad options raise."""
    try:
        if name == "CountVectorsFeaturizer":
            config = CountVectorsConfig.from_rasa(
                {**settings, "alias": settings.get("alias", name)}
            )
            return CountVectorsFeaturizer(config=config)
        if name == "LexicalSyntacticFeaturizer":
            return LexicalSyntacticFeaturizer.from_rasa(settings)
        if name == "RegexFeaturizer":
            return RegexFeaturizer.from_rasa(settings)
    except (TypeError, ValueError) as error:
        if isinstance(error, FeaturizerError):
            raise
        raise FeaturizerError(f"{name}: bad option value ({error})") from None
    raise FeaturizerError(f"'{name}' is not a featurizer the workbench supports")


def featurizer_from_state(
    state: Mapping[str, Any], arrays: Mapping[str, Any]
) -> Featurizer:
    """Rebuild a fitted featurizer from its saved state (``state['component']``)."""
    cls = FEATURIZER_CLASSES.get(str(state.get("component")))
    if cls is None:
        raise FeaturizerError(
            f"unknown featurizer in saved state: {state.get('component')!r}"
        )
    return cls.from_state(state, arrays)
