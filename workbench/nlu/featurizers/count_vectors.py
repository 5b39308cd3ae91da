"""Rasa's ``CountVectorsFeaturizer``: bag of words / character n-grams (§3.2).

Re-implemented with plain dicts instead of wrapping sklearn's ``CountVectorizer``:
the analyzers below reproduce sklearn's ``word`` (token pattern ``(?u)\\b\\w+\\b``),
``char`` and ``char_wb`` n-gram generation exactly, and a message is transformed with
a few dict look-ups (well under a millisecond), where sklearn costs ~100 µs per call.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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

_WORD_PATTERN = re.compile(r"(?u)\b\w+\b")  # the token_pattern Rasa gives sklearn
_NUMBER_PATTERN = re.compile(r"\b[0-9]+\b")
_WHITE_SPACES = re.compile(r"\s\s+")
_ANALYZERS = ("word", "char", "char_wb")
_ROW_CACHE_WORDS = 50_000  # distinct words whose rows are kept per featurizer


@dataclass(frozen=True)
class CountVectorsConfig:
    """Options of ``CountVectorsFeaturizer`` (Rasa key names and defaults)."""

    analyzer: str = "word"  # "word", "char" or "char_wb"
    min_ngram: int = 1  # smallest n-gram length
    max_ngram: int = 1  # largest n-gram length
    lowercase: bool = True  # lowercase tokens before counting
    strip_accents: str | None = None  # None, "ascii" or "unicode" (sklearn semantics)
    stop_words: tuple[str, ...] | None = None  # words dropped by the word analyzer
    min_df: float = 1  # int: min document count; float: min document fraction
    max_df: float = 1.0  # int: max document count; float: max document fraction
    max_features: int | None = None  # keep the most frequent n-grams only
    OOV_token: str | None = None  # replaces unseen words at inference (word analyzer)
    OOV_words: tuple[str, ...] = ()  # training words replaced by OOV_token
    use_shared_vocab: bool = False  # accepted; only the text attribute is featurized
    use_lemma: bool = True  # accepted; the whitespace tokenizer's lemma is the text
    alias: str = "CountVectorsFeaturizer"  # name in DIET's `featurizers` filter

    @classmethod
    def from_rasa(cls, settings: Mapping[str, Any]) -> CountVectorsConfig:
        """Validate a Rasa component mapping; bad values raise naming the key."""
        cfg = cls()
        values: dict[str, Any] = {}
        for key in (
            "analyzer", "min_ngram", "max_ngram", "lowercase", "strip_accents",
            "min_df", "max_df", "max_features", "OOV_token", "use_shared_vocab",
            "use_lemma", "alias",
        ):
            if key in settings and settings[key] is not None:
                values[key] = settings[key]
        if "OOV_words" in settings:
            values["OOV_words"] = tuple(str(w) for w in settings["OOV_words"] or ())
        stop = settings.get("stop_words")
        if stop == "english":
            from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

            values["stop_words"] = tuple(sorted(ENGLISH_STOP_WORDS))
        elif isinstance(stop, str):
            raise FeaturizerError(
                f"CountVectorsFeaturizer: stop_words {stop!r} is not supported; "
                "use 'english' or a list of words"
            )
        elif stop is not None:
            values["stop_words"] = tuple(str(w) for w in stop)
        cfg = replace(cfg, **values)
        cfg._validate()
        return cfg

    def _validate(self) -> None:
        def bad(key: str, why: str) -> FeaturizerError:
            return FeaturizerError(f"CountVectorsFeaturizer: option '{key}' {why}")

        if self.analyzer not in _ANALYZERS:
            raise bad("analyzer", f"must be one of {', '.join(_ANALYZERS)}, "
                                  f"got {self.analyzer!r}")
        for key in ("min_ngram", "max_ngram"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise bad(key, f"must be a positive integer, got {value!r}")
        if self.min_ngram > self.max_ngram:
            raise bad("min_ngram", f"({self.min_ngram}) is larger than max_ngram "
                                   f"({self.max_ngram})")
        if self.strip_accents not in (None, "ascii", "unicode"):
            raise bad("strip_accents", f"must be 'ascii' or 'unicode', got "
                                       f"{self.strip_accents!r}")
        for key in ("min_df", "max_df"):
            value = getattr(self, key)
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not is_number or value < 0:
                raise bad(key, f"must be a non-negative number, got {value!r}")
            if isinstance(value, float) and value > 1.0:
                raise bad(key, f"as a fraction must be <= 1.0, got {value!r}")
        if self.max_features is not None and (
            not isinstance(self.max_features, int) or self.max_features < 1
        ):
            raise bad("max_features", f"must be a positive integer, got "
                                      f"{self.max_features!r}")

    def normalized(self) -> CountVectorsConfig:
        """Lowercase the OOV settings when ``lowercase`` is on (as Rasa does)."""
        if not self.lowercase:
            return self
        return replace(
            self,
            OOV_token=self.OOV_token.lower() if self.OOV_token else self.OOV_token,
            OOV_words=tuple(w.lower() for w in self.OOV_words),
        )


def _strip_accents_unicode(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(c for c in normalized if not unicodedata.combining(c))


def _strip_accents_ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ASCII", "ignore").decode("ASCII")


def build_analyzer(cfg: CountVectorsConfig) -> Callable[[str], list[str]]:
    """The sklearn-equivalent analyzer: text -> n-gram strings (with repeats)."""
    strip = {"ascii": _strip_accents_ascii, "unicode": _strip_accents_unicode}.get(
        cfg.strip_accents or ""
    )
    stop = frozenset(cfg.stop_words or ())
    min_n, max_n = cfg.min_ngram, cfg.max_ngram

    def preprocess(text: str) -> str:
        if cfg.lowercase:
            text = text.lower()
        return strip(text) if strip else text

    def word(text: str) -> list[str]:
        tokens = [t for t in _WORD_PATTERN.findall(preprocess(text)) if t not in stop]
        if max_n == 1:
            return tokens
        grams = list(tokens) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
            grams.extend(
                " ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)
            )
        return grams

    def char(text: str) -> list[str]:
        text = _WHITE_SPACES.sub(" ", preprocess(text))
        grams: list[str] = []
        for n in range(min_n, min(max_n, len(text)) + 1):
            grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
        return grams

    def char_wb(text: str) -> list[str]:
        text = _WHITE_SPACES.sub(" ", preprocess(text))
        grams: list[str] = []
        for w in text.split():
            w = f" {w} "
            w_len = len(w)
            for n in range(min_n, max_n + 1):
                offset = 0
                grams.append(w[offset : offset + n])
                while offset + n < w_len:
                    offset += 1
                    grams.append(w[offset : offset + n])
                if offset == 0:  # a short word is counted once
                    break
        return grams

    return {"word": word, "char": char, "char_wb": char_wb}[cfg.analyzer]


@dataclass
class CountVectorsFeaturizer(Featurizer):
    """Counts of words or character n-grams per token (sequence) and per message."""

    config: CountVectorsConfig = field(default_factory=CountVectorsConfig)
    vocabulary: dict[str, int] = field(default_factory=dict)  # n-gram -> column

    name = "CountVectorsFeaturizer"

    def __post_init__(self) -> None:
        self.config = self.config.normalized()
        self._analyze = build_analyzer(self.config)
        # word -> its row (sorted columns, counts), for the vocabulary it was made with
        self._rows: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {}
        self._rows_vocabulary: dict[str, int] | None = None
        # Sentence row == column sum of token rows unless n-grams can cross tokens.
        self._sentence_is_sum = self.config.analyzer == "char_wb" or (
            self.config.analyzer == "word" and self.config.max_ngram == 1
        )

    @property
    def settings(self) -> dict[str, Any]:
        """Options that change the output."""
        cfg = self.config
        return {
            "analyzer": cfg.analyzer, "min_ngram": cfg.min_ngram,
            "max_ngram": cfg.max_ngram, "lowercase": cfg.lowercase,
            "strip_accents": cfg.strip_accents,
            "stop_words": list(cfg.stop_words) if cfg.stop_words is not None else None,
            "min_df": cfg.min_df, "max_df": cfg.max_df,
            "max_features": cfg.max_features,
            "OOV_token": cfg.OOV_token, "OOV_words": list(cfg.OOV_words),
            "use_shared_vocab": cfg.use_shared_vocab, "use_lemma": cfg.use_lemma,
            "alias": cfg.alias,
        }

    @property
    def sequence_dim(self) -> int:
        """Vocabulary size."""
        return len(self.vocabulary)

    @property
    def sentence_dim(self) -> int:
        """Vocabulary size."""
        return len(self.vocabulary)

    def _process(self, tokens: Sequence[Token], training: bool) -> list[str]:
        """Rasa's token preprocessing: __NUMBER__, lowercase, OOV replacement."""
        words = [_NUMBER_PATTERN.sub("__NUMBER__", t.text) for t in tokens]
        if self.config.lowercase:
            words = [w.lower() for w in words]
        oov = self.config.OOV_token
        if oov and self.config.analyzer == "word":
            if training and self.config.OOV_words:
                oov_words = set(self.config.OOV_words)
                words = [oov if w in oov_words else w for w in words]
            elif not training and oov in self.vocabulary:
                words = [w if w in self.vocabulary else oov for w in words]
        return words

    def fit(self, corpus: TrainingCorpus) -> None:
        """Build the vocabulary over the training messages (sklearn's pruning rules)."""
        docs = [Counter(self._analyze(" ".join(self._process(toks, True))))
                for toks in corpus.tokens]
        n_docs = len(docs)
        doc_freq: Counter[str] = Counter()
        term_freq: Counter[str] = Counter()
        for doc in docs:
            doc_freq.update(doc.keys())
            term_freq.update(doc)
        cfg = self.config
        max_count = cfg.max_df if isinstance(cfg.max_df, int) else cfg.max_df * n_docs
        min_count = cfg.min_df if isinstance(cfg.min_df, int) else cfg.min_df * n_docs
        if n_docs and max_count < min_count:
            raise FeaturizerError(
                "CountVectorsFeaturizer: max_df corresponds to fewer documents than "
                "min_df; lower min_df or raise max_df"
            )
        terms = [t for t, df in doc_freq.items() if min_count <= df <= max_count]
        if cfg.max_features is not None and len(terms) > cfg.max_features:
            terms = sorted(terms, key=lambda t: (-term_freq[t], t))[: cfg.max_features]
        self.vocabulary = {term: i for i, term in enumerate(sorted(terms))}

    def _row(self, text: str) -> dict[int, float]:
        row: dict[int, float] = {}
        vocab = self.vocabulary
        for gram in self._analyze(text):
            col = vocab.get(gram)
            if col is not None:
                row[col] = row.get(col, 0.0) + 1.0
        return row

    def _word_row(self, word: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """A token's row, cached: messages repeat words, and n-grams cost ~10 µs."""
        if self._rows_vocabulary is not self.vocabulary:  # fitted or replaced
            self._rows = {}
            self._rows_vocabulary = self.vocabulary
        cached = self._rows.get(word)
        if cached is None:
            row = self._row(word)
            columns = tuple(sorted(row))
            cached = (columns, tuple(row[c] for c in columns))
            if len(self._rows) >= _ROW_CACHE_WORDS:
                self._rows = {}  # bounded: start over rather than grow
            self._rows[word] = cached
        return cached

    def transform(self, tokens: Sequence[Token], text: str) -> FeaturizerOutput:
        """One row of n-gram counts per token, plus the message's bag of n-grams."""
        words = self._process(tokens, False)
        dim = len(self.vocabulary)
        rows = [self._word_row(w) for w in words]
        sequence = SparseRows.from_rows([r[0] for r in rows], [r[1] for r in rows],
                                        dim)
        if self._sentence_is_sum:
            sentence = sequence.column_sum()
        else:
            sentence = SparseRows.from_row_dicts([self._row(" ".join(words))], dim)
        return FeaturizerOutput(sequence, sentence)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Settings and the vocabulary in column order (JSON only, no arrays)."""
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {"settings": self.settings, "vocabulary": ordered}, {}

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
    ) -> CountVectorsFeaturizer:
        """Rebuild from :meth:`to_state` output."""
        settings = dict(state["settings"])
        config = CountVectorsConfig.from_rasa(
            {k: v for k, v in settings.items() if k != "stop_words"}
        )
        if settings.get("stop_words") is not None:
            config = replace(config, stop_words=tuple(settings["stop_words"]))
        vocabulary = {term: i for i, term in enumerate(state["vocabulary"])}
        return cls(config=config, vocabulary=vocabulary)
