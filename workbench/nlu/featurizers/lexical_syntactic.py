"""Rasa's ``LexicalSyntacticFeaturizer``: word-shape features in a window (§3.4)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.nlu.featurizers.base import (
    Featurizer,
    FeaturizerError,
    FeaturizerOutput,
    TrainingCorpus,
)
from workbench.nlu.sparse import SparseRows
from workbench.nlu.tokenizers import Token

# Rasa's default: previous token, current token, next token.
DEFAULT_FEATURES: tuple[tuple[str, ...], ...] = (
    ("low", "title", "upper"),
    ("BOS", "EOS", "low", "upper", "title", "digit"),
    ("low", "title", "upper"),
)

# feature name -> f(token, absolute position, number of tokens) -> raw value
_FUNCTIONS: dict[str, Callable[[Token, int, int], object]] = {
    "low": lambda t, i, n: t.text.islower(),
    "title": lambda t, i, n: t.text.istitle(),
    "upper": lambda t, i, n: t.text.isupper(),
    "digit": lambda t, i, n: t.text.isdigit(),
    "prefix5": lambda t, i, n: t.text[:5],
    "prefix2": lambda t, i, n: t.text[:2],
    "suffix5": lambda t, i, n: t.text[-5:],
    "suffix3": lambda t, i, n: t.text[-3:],
    "suffix2": lambda t, i, n: t.text[-2:],
    "suffix1": lambda t, i, n: t.text[-1:],
    "BOS": lambda t, i, n: i == 0,
    "EOS": lambda t, i, n: i == n - 1,
}
_NEEDS_SPACY = ("pos", "pos2")
_POSITIONAL = frozenset({"BOS", "EOS"})  # the only features that read i and n
_COLUMN_CACHE_WORDS = 50_000  # distinct words whose columns are kept


def validate_features(features: Any) -> tuple[tuple[str, ...], ...]:
    """Check a ``features`` option (list of lists of names); raise naming problems."""
    if not isinstance(features, (list, tuple)) or not features or not all(
        isinstance(slot, (list, tuple)) for slot in features
    ):
        raise FeaturizerError(
            "LexicalSyntacticFeaturizer: option 'features' must be a non-empty list of "
            "lists of feature names, e.g. [[low, title], [BOS, EOS, low], [low]]"
        )
    for slot in features:
        for name in slot:
            if name in _NEEDS_SPACY:
                raise FeaturizerError(
                    f"LexicalSyntacticFeaturizer: feature '{name}' needs spaCy's "
                    "part-of-speech tags, which the workbench does not provide; "
                    "remove it"
                )
            if name not in _FUNCTIONS:
                raise FeaturizerError(
                    f"LexicalSyntacticFeaturizer: unknown feature '{name}' (known: "
                    f"{', '.join(sorted(_FUNCTIONS))})"
                )
    return tuple(tuple(str(n) for n in slot) for slot in features)


def _relative_positions(window: int) -> list[int]:
    """Offsets of each window slot: -h .. h-1+(n mod 2), h = n // 2."""
    half = window // 2
    return list(range(-half, half + window % 2))


@dataclass
class LexicalSyntacticFeaturizer(Featurizer):
    """Multi-hot ``(slot, feature, value)`` indicators per token; no sentence row."""

    features: tuple[tuple[str, ...], ...] = DEFAULT_FEATURES
    alias: str = "LexicalSyntacticFeaturizer"
    # (slot, feature name) -> value string -> column
    index: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)

    name = "LexicalSyntacticFeaturizer"

    def __post_init__(self) -> None:
        self._columns: dict[str, tuple[tuple[int, ...], ...]] = {}
        self._position_columns: tuple[dict[tuple[bool, bool], tuple[int, ...]], ...]
        self._position_columns = ()
        self._columns_index: dict | None = None  # the index the caches belong to

    @classmethod
    def from_rasa(cls, settings: Mapping[str, Any]) -> LexicalSyntacticFeaturizer:
        """Build from a Rasa component mapping."""
        features = validate_features(settings.get("features", DEFAULT_FEATURES))
        return cls(features=features, alias=str(settings.get("alias", cls.name)))

    @property
    def settings(self) -> dict[str, Any]:
        """Options that change the output."""
        return {"features": [list(s) for s in self.features], "alias": self.alias}

    @property
    def sequence_dim(self) -> int:
        """Number of ``(slot, feature, value)`` combinations seen in training."""
        return sum(len(values) for values in self.index.values())

    @property
    def sentence_dim(self) -> int:
        """Always 0: this featurizer has no sentence features."""
        return 0

    @property
    def has_sentence_features(self) -> bool:
        """False: only sequence features."""
        return False

    def _raw(self, tokens: Sequence[Token]) -> list[list[tuple[tuple[int, str], str]]]:
        n = len(tokens)
        offsets = _relative_positions(len(self.features))
        result = []
        for i in range(n):
            row = []
            for slot, (offset, names) in enumerate(
                zip(offsets, self.features, strict=True)
            ):
                j = i + offset
                if 0 <= j < n:
                    for fname in names:
                        value = _FUNCTIONS[fname](tokens[j], j, n)
                        row.append(((slot, fname), str(value)))
            result.append(row)
        return result

    def fit(self, corpus: TrainingCorpus) -> None:
        """Collect the observed values per (slot, feature) and assign columns."""
        seen: dict[tuple[int, str], set[str]] = {}
        for tokens in corpus.tokens:
            for row in self._raw(tokens):
                for key, value in row:
                    seen.setdefault(key, set()).add(value)
        self.index = {}
        offset = 0
        for key in sorted(seen):
            values = sorted(seen[key])
            self.index[key] = {v: offset + k for k, v in enumerate(values)}
            offset += len(values)

    def transform(self, tokens: Sequence[Token], text: str) -> FeaturizerOutput:
        """One multi-hot row per token (values unseen in training are ignored)."""
        n = len(tokens)
        self._check_caches()
        offsets = _relative_positions(len(self.features))
        per_token = [self._text_columns(t.text) for t in tokens]  # [slot] -> columns
        at = self._position_columns  # [slot][(first, last)] -> columns
        rows: list[list[int]] = []
        for i in range(n):
            row: list[int] = []
            for slot, offset in enumerate(offsets):
                j = i + offset
                if 0 <= j < n:
                    row.extend(per_token[j][slot])
                    row.extend(at[slot][j == 0, j == n - 1])
            row.sort()
            rows.append(row)
        sequence = SparseRows.from_rows(rows, None, self.sequence_dim)
        return FeaturizerOutput(sequence, None)

    def _check_caches(self) -> None:
        """Start the caches over when the value index was fitted or replaced."""
        if self._columns_index is self.index:
            return
        self._columns = {}
        # BOS/EOS read only whether the token is first/last: (i, n) stand-ins for each
        cases = {(True, True): (0, 1), (True, False): (0, 2), (False, True): (1, 2),
                 (False, False): (1, 3)}
        token = Token("", 0, 0)
        self._position_columns = tuple(
            {case: self._columns_of(slot, [f for f in names if f in _POSITIONAL],
                                    token, i, n)
             for case, (i, n) in cases.items()}
            for slot, names in enumerate(self.features))
        self._columns_index = self.index

    def _columns_of(self, slot: int, names: Sequence[str], token: Token, i: int,
                    n: int) -> tuple[int, ...]:
        found = (self.index.get((slot, f), {}).get(str(_FUNCTIONS[f](token, i, n)))
                 for f in names)
        return tuple(col for col in found if col is not None)

    def _text_columns(self, word: str) -> tuple[tuple[int, ...], ...]:
        """Per slot, the columns of ``word``'s text features (cached per word)."""
        cached = self._columns.get(word)
        if cached is None:
            token = Token(word, 0, len(word))
            cached = tuple(
                self._columns_of(slot, [f for f in names if f not in _POSITIONAL],
                                 token, 0, 1)
                for slot, names in enumerate(self.features))
            if len(self._columns) >= _COLUMN_CACHE_WORDS:
                self._columns = {}
            self._columns[word] = cached
        return cached

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Settings plus the value index as a list of [slot, feature, [values]]."""
        index = [
            [slot, fname, sorted(values, key=values.__getitem__)]
            for (slot, fname), values in self.index.items()
        ]
        return {"settings": self.settings, "index": index}, {}

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
    ) -> LexicalSyntacticFeaturizer:
        """Rebuild from :meth:`to_state` output."""
        featurizer = cls.from_rasa(state["settings"])
        offset = 0
        for slot, fname, values in state["index"]:
            featurizer.index[(int(slot), str(fname))] = {
                v: offset + k for k, v in enumerate(values)
            }
            offset += len(values)
        return featurizer
