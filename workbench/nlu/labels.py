"""Featurized messages + their prepared examples -> the ``FeaturizedData`` for DIET.

Label assembly only (no featurization): DIET trains on base intents (``faq/ask_x`` ->
``faq``) with ids over the sorted names, label features are one-hot rows, and
entity/role/group tags are BILOU ids over sorted tag names (misaligned annotations stay
``O`` and are reported).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench.nlu.bilou import (
    NO_ENTITY,
    Span,
    bilou_tags,
    io_tags,
    strip_prefix,
    tag_names_for,
)
from workbench.nlu.corpus import PreparedCorpus, base_intent, source_of
from workbench.nlu.features import (
    TAG_KINDS,
    FeaturizationWarning,
    FeaturizedData,
    MessageFeatures,
)
from workbench.nlu.sparse import SparseRows
from workbench.nlu.tokenizers import Token


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
    for example, tokens in zip(prepared.examples, prepared.corpus.tokens, strict=True):
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
        example.text, span.start, span.end, source_of(example),
    )


def assemble_featurized_data(
    prepared: PreparedCorpus,
    messages: Sequence[MessageFeatures],
    *,
    sequence_dim: int,
    sentence_dim: int,
    bilou: bool = True,
    entity_recognition: bool = True,
) -> FeaturizedData:
    """Build intent labels and entity tags for already featurized messages.

    Args:
        prepared: the corpus the messages were featurized from.
        messages: the features of each prepared example, in the same order.
        sequence_dim: width of every message's sequence features.
        sentence_dim: width of every message's sentence features.
        bilou: BILOU tags (else IO).
        entity_recognition: build entity/role/group tags at all.
    """
    if len(messages) != len(prepared):
        raise ValueError(f"{len(messages)} featurized messages for {len(prepared)} "
                         "prepared examples")
    intent_names = tuple(sorted({base_intent(e.intent) for e in prepared.examples}))
    intent_index = {name: i for i, name in enumerate(intent_names)}
    intent_ids = np.asarray(
        [intent_index[base_intent(e.intent)] for e in prepared.examples], dtype=np.int64
    )
    n_labels = len(intent_names)
    label_features = tuple(
        SparseRows((1, n_labels), np.zeros(1, np.int32), np.asarray([i], np.int32),
                   np.ones(1, np.float32))
        for i in range(n_labels)
    )
    tag_names: dict[str, tuple[str, ...]] = {}
    tag_ids: dict[str, tuple[np.ndarray, ...]] = {}
    sequences, tag_warnings = (_tag_sequences(prepared, bilou) if entity_recognition
                               else ({}, []))
    for kind, per_message in sequences.items():
        labels = {strip_prefix(t) for seq in per_message for t in seq} - {NO_ENTITY}
        if labels:
            tag_names[kind] = tag_names_for(sorted(labels), bilou)
            index = {name: i for i, name in enumerate(tag_names[kind])}
            tag_ids[kind] = tuple(np.asarray([index[t] for t in seq], dtype=np.int64)
                                  for seq in per_message)
    return FeaturizedData(
        messages=tuple(messages),
        sequence_dim=sequence_dim,
        sentence_dim=sentence_dim,
        intent_names=intent_names,
        intent_ids=intent_ids,
        label_features=label_features,
        label_dim=n_labels,
        tag_names=tag_names,
        tag_ids=tag_ids,
        texts=prepared.corpus.texts,
        example_indices=np.asarray(prepared.example_indices, dtype=np.int64),
        bilou=bilou,
        warnings=(*prepared.warnings, *tag_warnings),
    )
