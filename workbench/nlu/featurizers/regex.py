"""Rasa's ``RegexFeaturizer``: one column per regex / lookup table (§3.3)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.core.safe_regex import SafePattern
from workbench.nlu.featurizers.base import (
    Featurizer,
    FeaturizerError,
    FeaturizerOutput,
    LookupElements,
    NamedPattern,
    TrainingCorpus,
)
from workbench.nlu.sparse import SparseRows
from workbench.nlu.tokenizers import Token


def lookup_to_regex(elements: Sequence[str], use_word_boundaries: bool) -> str:
    """A lookup table as one escaped alternation, ``(\\belem1\\b|\\belem2\\b|...)``."""
    escaped = [re.escape(e) for e in elements]
    if use_word_boundaries:
        return "(\\b" + "\\b|\\b".join(escaped) + "\\b)"
    return "(" + "|".join(escaped) + ")"


@dataclass
class RegexFeaturizer(Featurizer):
    """Marks tokens overlapping a match of each pattern (+ sentence bit per pattern)."""

    case_sensitive: bool = True  # Rasa default True
    use_lookup_tables: bool = True  # Rasa default True
    use_regexes: bool = True  # Rasa default True
    use_word_boundaries: bool = True  # Rasa default True (lookup alternations)
    alias: str = "RegexFeaturizer"
    patterns: list[NamedPattern] = field(default_factory=list)  # column order

    name = "RegexFeaturizer"

    def __post_init__(self) -> None:
        self._compiled: list[SafePattern] = []
        self._compile()

    @classmethod
    def from_rasa(cls, settings: Mapping[str, Any]) -> RegexFeaturizer:
        """Build from a Rasa component mapping."""
        return cls(
            case_sensitive=bool(settings.get("case_sensitive", True)),
            use_lookup_tables=bool(settings.get("use_lookup_tables", True)),
            use_regexes=bool(settings.get("use_regexes", True)),
            use_word_boundaries=bool(settings.get("use_word_boundaries", True)),
            alias=str(settings.get("alias", cls.name)),
        )

    @property
    def settings(self) -> dict[str, Any]:
        """Options that change the output."""
        return {
            "case_sensitive": self.case_sensitive,
            "use_lookup_tables": self.use_lookup_tables,
            "use_regexes": self.use_regexes,
            "use_word_boundaries": self.use_word_boundaries,
            "alias": self.alias,
        }

    @property
    def sequence_dim(self) -> int:
        """Number of patterns."""
        return len(self.patterns)

    @property
    def sentence_dim(self) -> int:
        """Number of patterns."""
        return len(self.patterns)

    def _compile(self) -> None:
        """Compile for a bounded engine (see :mod:`workbench.core.safe_regex`)."""
        compiled = []
        for p in self.patterns:
            try:
                compiled.append(SafePattern(p.pattern, not self.case_sensitive))
            except re.error as error:
                where = f" ({p.source})" if p.source else ""
                raise FeaturizerError(
                    f"regex '{p.name}'{where}: pattern {p.pattern!r} is not a valid "
                    f"Python regular expression: {error}. Fix or remove the pattern."
                ) from None
        self._compiled = compiled

    def fit(self, corpus: TrainingCorpus) -> None:
        """Collect regexes (sorted by name+pattern), then lookup tables (file order)."""
        patterns: list[NamedPattern] = []
        if self.use_regexes:
            patterns.extend(sorted(corpus.regexes, key=lambda p: p.name + p.pattern))
        if self.use_lookup_tables:
            for table in corpus.lookups:
                elements = [e for e in table.elements if e]
                if elements:
                    pattern = lookup_to_regex(elements, self.use_word_boundaries)
                    patterns.append(NamedPattern(table.name, pattern, table.source))
        self.patterns = patterns
        self._compile()

    def transform(self, tokens: Sequence[Token], text: str) -> FeaturizerOutput:
        """Sequence bit per (token, pattern) overlap; sentence bit per pattern hit."""
        seq_rows: list[list[int]] = [[] for _ in tokens]
        sentence: list[int] = []
        for k, pattern in enumerate(self._compiled):  # columns ascending
            hits = _overlapping_tokens(tokens, pattern.spans(text))
            for i in hits:
                seq_rows[i].append(k)
            if hits:
                sentence.append(k)
        dim = len(self.patterns)
        if not sentence:
            return FeaturizerOutput(SparseRows.empty(len(tokens), dim),
                                    SparseRows.empty(1, dim))
        return FeaturizerOutput(
            SparseRows.from_rows(seq_rows, None, dim),
            SparseRows.from_rows([sentence], None, dim),
        )

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Settings plus the patterns in column order."""
        patterns = [{"name": p.name, "pattern": p.pattern} for p in self.patterns]
        return {"settings": self.settings, "patterns": patterns}, {}

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
    ) -> RegexFeaturizer:
        """Rebuild from :meth:`to_state` output."""
        featurizer = cls.from_rasa(state["settings"])
        featurizer.patterns = [
            NamedPattern(p["name"], p["pattern"]) for p in state["patterns"]
        ]
        featurizer._compile()
        return featurizer


def _overlapping_tokens(tokens: Sequence[Token], spans: list[tuple[int, int]]
                        ) -> list[int]:
    """Indices of tokens overlapping any span (``start < end`` and ``end > start``).

    ``spans`` come from ``finditer``: in order and not overlapping, so one sweep over
    tokens and spans is enough (a long message may have thousands of both).
    """
    hits: list[int] = []
    j = 0
    for i, token in enumerate(tokens):
        while j < len(spans) and spans[j][1] <= token.start:
            j += 1  # ends before this token, so before every later one too
        k = j
        while k < len(spans) and spans[k][0] < token.end:
            start, end = spans[k]
            if token.start < end and token.end > start:
                hits.append(i)
                break
            k += 1
    return hits


__all__ = ["LookupElements", "RegexFeaturizer", "lookup_to_regex"]
