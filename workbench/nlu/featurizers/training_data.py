"""Training examples -> tokenized corpus; fitted features -> FeaturizedData.

Rasa's data preparation (§1.3, §4.2): examples without an intent are skipped, identical
examples are dropped, DIET trains on base intents (``faq/ask_x`` -> ``faq``) with ids
over the sorted names, label features are one-hot rows, and entity/role/group tags are
BILOU ids over sorted tag names (misaligned annotations stay ``O`` and are reported).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.nlu.bilou import (
    NO_ENTITY,
    Span,
    bilou_tags,
    io_tags,
    strip_prefix,
    tag_names_for,
)
from workbench.nlu.features import TAG_KINDS, FeaturizationWarning, FeaturizedData
from workbench.nlu.featurizers.base import LookupElements, NamedPattern, TrainingCorpus
from workbench.nlu.sparse import SparseRows

if TYPE_CHECKING:
    from workbench.nlu.pipeline import FittedPipeline
    from workbench.nlu.tokenizers import Token, WhitespaceTokenizer


@dataclass(frozen=True)
class PreparedCorpus:
    """Deduplicated intent examples, their tokens, and the corpus featurizers fit on.

    Attributes:
        examples: the kept examples (objects with ``text``, ``intent``, ``entities``).
        corpus: texts, tokens, regexes and lookups for ``Featurizer.fit``.
        warnings: skipped examples etc.
    """

    examples: tuple[Any, ...]
    corpus: TrainingCorpus
    warnings: tuple[FeaturizationWarning, ...] = ()


def base_intent(intent: str) -> str:
    """``faq`` for ``faq/ask_hours`` (DIET trains on the base intent)."""
    return intent.split("/", 1)[0].strip()


def _source(item: Any) -> str | None:
    source = getattr(item, "source", None)
    return str(source) if source is not None else None


def _example_key(example: Any) -> tuple[Any, ...]:
    entities = tuple(
        (e.start, e.end, e.entity, e.value, e.role, e.group) for e in example.entities
    )
    return (example.text, example.intent, entities)


def prepare_corpus(
    training_data: Any, tokenizer: WhitespaceTokenizer
) -> PreparedCorpus:
    """Select, deduplicate and tokenize the examples; collect regexes and lookups."""
    kept: list[Any] = []
    seen: set[tuple[Any, ...]] = set()
    warnings: list[FeaturizationWarning] = []
    for example in getattr(training_data, "examples", ()):
        if not example.intent or not base_intent(example.intent):
            warnings.append(FeaturizationWarning(
                "no-intent", "example without an intent is not used for training",
                example.text, source=_source(example)))
            continue
        if not example.text.strip():
            warnings.append(FeaturizationWarning(
                "empty-text", "example with empty text is not used for training",
                example.text, source=_source(example)))
            continue
        key = _example_key(example)
        if key in seen:
            continue
        seen.add(key)
        kept.append(example)
    regexes = tuple(
        NamedPattern(r.name, p, _source(r))
        for r in getattr(training_data, "regexes", ()) for p in r.patterns
    )
    lookups = tuple(
        LookupElements(t.name, tuple(t.elements), _source(t))
        for t in getattr(training_data, "lookups", ())
    )
    corpus = TrainingCorpus(
        texts=tuple(e.text for e in kept),
        tokens=tuple(tuple(tokenizer.tokenize(e.text)) for e in kept),
        regexes=regexes,
        lookups=lookups,
    )
    return PreparedCorpus(tuple(kept), corpus, tuple(warnings))


def _spans(example: Any, kind: str) -> list[Span]:
    spans = []
    for e in example.entities:
        label = e.entity if kind == "entity" else getattr(e, kind)
        if label:
            spans.append(Span(e.start, e.end, label))
    return spans


def _tag_sequences(
    prepared: PreparedCorpus, bilou: bool
) -> tuple[dict[str, list[list[str]]], list[FeaturizationWarning]]:
    """Tag strings per kind, per message; misaligned spans reported once per entity."""
    sequences: dict[str, list[list[str]]] = {kind: [] for kind in TAG_KINDS}
    warnings: list[FeaturizationWarning] = []
    for example, tokens in zip(prepared.examples, prepared.corpus.tokens):
        for kind in TAG_KINDS:
            spans = _spans(example, kind)
            if bilou:
                tags, misaligned = bilou_tags(tokens, spans)
            else:
                tags, misaligned = io_tags(tokens, spans), []
            sequences[kind].append(tags)
            if kind == "entity":
                warnings.extend(
                    _misaligned_warning(example, tokens, s) for s in misaligned
                )
    return sequences, warnings


def _misaligned_warning(
    example: Any, tokens: Sequence[Token], span: Span
) -> FeaturizationWarning:
    surface = example.text[span.start : span.end]
    token_texts = " | ".join(t.text for t in tokens)
    return FeaturizationWarning(
        "misaligned-entity",
        f"misaligned entity annotation: '{surface}' ({span.label}, characters "
        f"{span.start}-{span.end}) does not start and end on token boundaries "
        f"(tokens: {token_texts}); it is not used for training. Extend the annotation "
        "to whole words.",
        example.text, span.start, span.end, _source(example),
    )


def assemble_featurized_data(
    prepared: PreparedCorpus,
    pipeline: FittedPipeline,
    *,
    bilou: bool = True,
    entity_recognition: bool = True,
) -> FeaturizedData:
    """Featurize every prepared example with a fitted pipeline and build labels/tags."""
    messages = tuple(
        pipeline.featurize_tokens(tokens, text)
        for tokens, text in zip(prepared.corpus.tokens, prepared.corpus.texts)
    )
    intent_names = tuple(sorted({base_intent(e.intent) for e in prepared.examples}))
    intent_index = {name: i for i, name in enumerate(intent_names)}
    intent_ids = np.asarray(
        [intent_index[base_intent(e.intent)] for e in prepared.examples], dtype=np.int64
    )
    n_labels = len(intent_names)
    label_features = tuple(
        SparseRows((1, n_labels), np.zeros(1, np.int64), np.asarray([i], np.int64),
                   np.ones(1, np.float32))
        for i in range(n_labels)
    )
    tag_names: dict[str, tuple[str, ...]] = {}
    tag_ids: dict[str, tuple[np.ndarray, ...]] = {}
    warnings = list(prepared.warnings)
    if entity_recognition:
        sequences, tag_warnings = _tag_sequences(prepared, bilou)
        warnings.extend(tag_warnings)
        for kind in TAG_KINDS:
            labels = {strip_prefix(t) for seq in sequences[kind] for t in seq}
            labels.discard(NO_ENTITY)
            if not labels:
                continue
            names = tag_names_for(sorted(labels), bilou)
            index = {name: i for i, name in enumerate(names)}
            tag_names[kind] = names
            tag_ids[kind] = tuple(
                np.asarray([index[t] for t in seq], dtype=np.int64)
                for seq in sequences[kind]
            )
    return FeaturizedData(
        messages=messages,
        sequence_dim=pipeline.sequence_dim,
        sentence_dim=pipeline.sentence_dim,
        intent_names=intent_names,
        intent_ids=intent_ids,
        label_features=label_features,
        label_dim=n_labels,
        tag_names=tag_names,
        tag_ids=tag_ids,
        texts=prepared.corpus.texts,
        bilou=bilou,
        warnings=tuple(warnings),
    )
