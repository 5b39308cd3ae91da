"""Featurized messages and the featurized training set DIET trains on (the contract)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from workbench.nlu.sparse import SparseRows
from workbench.nlu.tokenizers import Token

TAG_KINDS = ("entity", "role", "group")  # fixed order of DIET's tag specs


@dataclass(frozen=True)
class MessageFeatures:
    """Sparse features of one message (column layout: see ``FeaturizedData``)."""

    tokens: tuple[Token, ...]
    sequence: SparseRows  # (n_tokens, sequence_dim) [regex|lexical|cvf-word|cvf-char]
    sentence: SparseRows  # (1, sentence_dim)        [regex|cvf-word|cvf-char]


@dataclass(frozen=True)
class FeaturizationWarning:
    """Something in the training data the featurization had to work around.

    Attributes:
        code: short machine-readable code, e.g. ``"misaligned-entity"``.
        message: human-readable description.
        text: the example's text.
        start: start offset of the offending span (or None).
        end: end offset of the offending span (or None).
        source: ``"path:line"`` of the example, if known.
    """

    code: str
    message: str
    text: str = ""
    start: int | None = None
    end: int | None = None
    source: str | None = None


@dataclass(frozen=True)
class FeaturizedData:
    """Everything DIET trains on.

    Attributes:
        messages: features per training message (deduplicated, intent examples only).
        sequence_dim: width of every message's sequence features.
        sentence_dim: width of every message's sentence features.
        intent_names: sorted base intent names; index = intent id.
        intent_ids: int64 ``(n_messages,)``.
        label_features: one ``(1, label_dim)`` one-hot row per intent.
        label_dim: width of the label features (== number of intents).
        tag_names: tag kind ("entity"/"role"/"group", only kinds present) -> id -> tag.
            Id 0 is "O"; with BILOU, ids 4i+1..4i+4 are B-, I-, L-, U- of tag i.
        tag_ids: tag kind -> one int64 ``(n_tokens,)`` array per message.
        texts: the training texts (same order as ``messages``).
        example_indices: int64 ``(n_messages,)``: each message's index in the training
            snapshot's ``examples`` (exact, also when texts repeat; empty if unknown).
        bilou: whether ``tag_names`` use the BILOU scheme (else IO: id i+1 = tag i).
        warnings: problems found in the data (e.g. misaligned entity annotations).
    """

    messages: tuple[MessageFeatures, ...]
    sequence_dim: int
    sentence_dim: int
    intent_names: tuple[str, ...]
    intent_ids: np.ndarray
    label_features: tuple[SparseRows, ...]
    label_dim: int
    tag_names: Mapping[str, tuple[str, ...]]
    tag_ids: Mapping[str, tuple[np.ndarray, ...]]
    texts: tuple[str, ...] = ()
    example_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bilou: bool = True
    warnings: tuple[FeaturizationWarning, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.messages)
