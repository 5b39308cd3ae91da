"""The featurizer component interface and the tokenized corpus they are fit on."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from workbench.nlu.sparse import SparseRows
from workbench.nlu.tokenizers import Token


class FeaturizerError(ValueError):
    """A featurizer cannot be configured or fit (message says what and how to fix)."""


@dataclass(frozen=True, slots=True)
class NamedPattern:
    """A regex (or a lookup table turned into a regex) with the place it came from."""

    name: str
    pattern: str
    source: str | None = None  # "path:line" for error messages


@dataclass(frozen=True, slots=True)
class LookupElements:
    """A lookup table: a name and its literal elements."""

    name: str
    elements: tuple[str, ...]
    source: str | None = None


@dataclass(frozen=True)
class TrainingCorpus:
    """What featurizers are fit on: tokenized texts plus regexes and lookup tables.

    Attributes:
        texts: the training texts (deduplicated, in file order).
        tokens: the tokens of each text.
        regexes: every ``regex:`` pattern (any order; the regex featurizer sorts them).
        lookups: every ``lookup:`` table in file order.
    """

    texts: tuple[str, ...]
    tokens: tuple[tuple[Token, ...], ...]
    regexes: tuple[NamedPattern, ...] = ()
    lookups: tuple[LookupElements, ...] = ()


@dataclass(frozen=True)
class FeaturizerOutput:
    """Features of one message from one featurizer."""

    sequence: SparseRows  # (n_tokens, sequence_dim)
    sentence: SparseRows | None  # (1, sentence_dim) or None if the featurizer has none


class Featurizer(ABC):
    """A fit/transform component whose fitted state is JSON + numpy arrays."""

    name: ClassVar[str]  # Rasa component name, e.g. "CountVectorsFeaturizer"

    @property
    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Every option that changes the output (JSON-able; used for fingerprints)."""

    @property
    @abstractmethod
    def sequence_dim(self) -> int:
        """Width of the sequence features (0 before fitting or if none)."""

    @property
    @abstractmethod
    def sentence_dim(self) -> int:
        """Width of the sentence features (0 if the featurizer emits none)."""

    @property
    def has_sentence_features(self) -> bool:
        """Whether :meth:`transform` returns sentence features."""
        return True

    @abstractmethod
    def fit(self, corpus: TrainingCorpus) -> None:
        """Learn vocabularies / patterns from the training corpus."""

    @abstractmethod
    def transform(self, tokens: Sequence[Token], text: str) -> FeaturizerOutput:
        """Features of one tokenized message."""

    @abstractmethod
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Fitted state as a JSON-able dict (incl. settings) plus numpy arrays."""

    @classmethod
    @abstractmethod
    def from_state(
        cls, state: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
    ) -> Featurizer:
        """Rebuild a fitted featurizer from :meth:`to_state` output."""


def check_known_keys(
    component: str, settings: Mapping[str, Any], known: set[str]
) -> list[str]:
    """Warnings for keys a component does not understand (``name`` is allowed)."""
    unknown = sorted(set(settings) - known - {"name"})
    return [
        f"{component}: unknown option '{key}' ignored "
        f"(known options: {', '.join(sorted(known))})"
        for key in unknown
    ]
