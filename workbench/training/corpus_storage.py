"""Cache format of the tokenizer node's output (``PreparedCorpus``): JSON + ``.npz``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.examples import EntitySpan, Example, SourceRef
from workbench.nlu.corpus import PreparedCorpus
from workbench.nlu.features import FeaturizationWarning
from workbench.nlu.featurizers.base import LookupElements, NamedPattern, TrainingCorpus
from workbench.nlu.tokenizers import Token
from workbench.training.storage import read_json_and_arrays, write_json_and_arrays


def _source(example: Example) -> list[Any] | None:
    source = example.source
    return [str(source.path), source.line] if source is not None else None


def save_corpus(prepared: PreparedCorpus, folder: Path) -> None:
    """Write the kept examples, their snapshot indices, tokens, regexes and lookups."""
    corpus = prepared.corpus
    meta = {
        "examples": [
            [e.text, e.intent, [[s.start, s.end, s.entity, s.value, s.role, s.group]
                                for s in e.entities], _source(e)]
            for e in prepared.examples
        ],
        "merged_indices": [list(merged) for merged in prepared.merged_indices],
        "token_texts": [[t.text for t in tokens] for tokens in corpus.tokens],
        "regexes": [[r.name, r.pattern, r.source] for r in corpus.regexes],
        "lookups": [[t.name, list(t.elements), t.source] for t in corpus.lookups],
        "warnings": [
            [w.code, w.message, w.text, w.start, w.end, w.source]
            for w in prepared.warnings
        ],
    }
    arrays = {
        "example_indices": np.asarray(prepared.example_indices, dtype=np.int64),
        "token_counts": np.asarray([len(t) for t in corpus.tokens], dtype=np.int64),
        "token_starts": np.asarray([t.start for ts in corpus.tokens for t in ts],
                                   np.int64),
        "token_ends": np.asarray([t.end for ts in corpus.tokens for t in ts], np.int64),
    }
    write_json_and_arrays(folder, meta, arrays)


def load_corpus(folder: Path) -> PreparedCorpus:
    """Read a ``PreparedCorpus`` written by :func:`save_corpus`."""
    meta, arrays = read_json_and_arrays(folder)
    examples = tuple(
        Example(text, intent,
                tuple(EntitySpan(*span) for span in spans),
                source=SourceRef(Path(source[0]), int(source[1])) if source else None)
        for text, intent, spans, source in meta["examples"]
    )
    bounds = np.concatenate([[0], np.cumsum(arrays["token_counts"])]).astype(np.int64)
    starts, ends = arrays["token_starts"], arrays["token_ends"]
    tokens = tuple(
        tuple(
            Token(text, int(s), int(e))
            for text, s, e in zip(texts, starts[lo:hi], ends[lo:hi], strict=True)
        )
        for texts, lo, hi in zip(
            meta["token_texts"], bounds[:-1], bounds[1:], strict=True
        )
    )
    corpus = TrainingCorpus(
        texts=tuple(e.text for e in examples),
        tokens=tokens,
        regexes=tuple(NamedPattern(*r) for r in meta["regexes"]),
        lookups=tuple(LookupElements(name, tuple(elements), source)
                      for name, elements, source in meta["lookups"]),
    )
    warnings = tuple(FeaturizationWarning(*w) for w in meta["warnings"])
    return PreparedCorpus(  # raises ValueError when the counts disagree
        examples, tuple(int(i) for i in arrays["example_indices"]),
        tuple(tuple(int(i) for i in merged) for merged in meta["merged_indices"]),
        corpus, warnings)
