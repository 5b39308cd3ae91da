"""LexicalSyntacticFeaturizer and RegexFeaturizer."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.nlu.featurizers.base import (
    FeaturizerError,
    LookupElements,
    NamedPattern,
    TrainingCorpus,
)
from workbench.nlu.featurizers.lexical_syntactic import LexicalSyntacticFeaturizer
from workbench.nlu.featurizers.regex import RegexFeaturizer, lookup_to_regex
from workbench.nlu.tokenizers import WhitespaceTokenizer

TOKENIZER = WhitespaceTokenizer()


def corpus(*texts: str, regexes=(), lookups=()) -> TrainingCorpus:
    return TrainingCorpus(texts, tuple(tuple(TOKENIZER.tokenize(t)) for t in texts),
                          tuple(regexes), tuple(lookups))


def test_lexical_default_dimension_and_window() -> None:
    featurizer = LexicalSyntacticFeaturizer()
    featurizer.fit(corpus("Hello big World 42", "ALL CAPS here", "x"))
    assert featurizer.sequence_dim == 24  # every boolean value seen: 6 + 12 + 6
    text = "Hello world"
    out = featurizer.transform(TOKENIZER.tokenize(text), text)
    assert out.sentence is None
    rows = out.sequence.to_dense()
    index = featurizer.index
    # token 0: BOS True, title True; next token (slot 2) is lower case
    assert rows[0, index[(1, "BOS")]["True"]] == 1
    assert rows[0, index[(1, "title")]["True"]] == 1
    assert rows[0, index[(2, "low")]["True"]] == 1
    assert not any(rows[0, c] for c in index[(0, "low")].values())  # no previous token
    # token 1: EOS True, previous token title-case
    assert rows[1, index[(1, "EOS")]["True"]] == 1
    assert rows[1, index[(0, "title")]["True"]] == 1
    assert rows.sum(axis=1).tolist() == [3 + 6, 3 + 6]


def test_lexical_columns_sorted_by_slot_feature_value() -> None:
    featurizer = LexicalSyntacticFeaturizer(features=(("suffix2",), ("digit", "BOS")))
    featurizer.fit(corpus("ab 12", "cd"))
    flat = [(key, value, col) for key, values in featurizer.index.items()
            for value, col in values.items()]
    assert [c for _, _, c in flat] == list(range(len(flat)))
    assert [k for k, _, _ in flat] == sorted(k for k, _, _ in flat)
    previous_suffix = list(featurizer.index[(0, "suffix2")].values())
    unseen = featurizer.transform(TOKENIZER.tokenize("zz ab"), "zz ab").sequence
    assert unseen.to_dense()[1, previous_suffix].sum() == 0  # "zz" unseen: ignored
    seen = featurizer.transform(TOKENIZER.tokenize("ab zz"), "ab zz").sequence
    assert seen.to_dense()[1, featurizer.index[(0, "suffix2")]["ab"]] == 1


def test_lexical_bad_features() -> None:
    with pytest.raises(FeaturizerError, match="pos"):
        LexicalSyntacticFeaturizer.from_rasa({"features": [["pos"]]})
    with pytest.raises(FeaturizerError, match="unknown feature"):
        LexicalSyntacticFeaturizer.from_rasa({"features": [["lowercase"]]})


def test_lexical_state_round_trip() -> None:
    featurizer = LexicalSyntacticFeaturizer()
    featurizer.fit(corpus("Hello world", "FOO 1"))
    restored = LexicalSyntacticFeaturizer.from_state(*featurizer.to_state())
    tokens = TOKENIZER.tokenize("Foo BAR 2")
    assert np.array_equal(featurizer.transform(tokens, "").sequence.to_dense(),
                          restored.transform(tokens, "").sequence.to_dense())


def test_regex_order_sequence_and_sentence_bits() -> None:
    featurizer = RegexFeaturizer()
    featurizer.fit(corpus(
        "x",
        regexes=[NamedPattern("zip", r"\d{5}"), NamedPattern("account", r"acc-\d+")],
        lookups=[LookupElements("city", ("Berlin", "New York"))],
    ))
    assert [p.name for p in featurizer.patterns] == ["account", "zip", "city"]
    text = "send acc-12 to New York 10115"
    out = featurizer.transform(TOKENIZER.tokenize(text), text)
    seq = out.sequence.to_dense()
    assert seq.tolist() == [[0, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 1],
                            [0, 1, 0]]
    assert out.sentence.to_dense().tolist() == [[1, 1, 1]]


def test_regex_case_sensitivity_and_word_boundaries() -> None:
    lookups = [LookupElements("city", ("berlin",))]
    sensitive = RegexFeaturizer()
    sensitive.fit(corpus("x", lookups=lookups))
    insensitive = RegexFeaturizer(case_sensitive=False)
    insensitive.fit(corpus("x", lookups=lookups))
    text = "to Berlin and berlinale"
    tokens = TOKENIZER.tokenize(text)
    assert sensitive.transform(tokens, text).sentence.to_dense().tolist() == [[0]]
    assert insensitive.transform(tokens, text).sequence.to_dense()[:, 0].tolist() == [
        0, 1, 0, 0]
    assert lookup_to_regex(["a.b"], True) == r"(\ba\.b\b)"
    assert lookup_to_regex(["a", "b"], False) == "(a|b)"


def test_regex_invalid_pattern_names_regex_and_source() -> None:
    featurizer = RegexFeaturizer()
    with pytest.raises(FeaturizerError, match=r"regex 'bad' \(data/nlu.yml:3\)"):
        bad = NamedPattern("bad", "(", "data/nlu.yml:3")
        featurizer.fit(corpus("x", regexes=[bad]))


def test_regex_state_round_trip_and_no_patterns() -> None:
    featurizer = RegexFeaturizer()
    featurizer.fit(corpus("x"))
    assert featurizer.sequence_dim == 0
    out = featurizer.transform(TOKENIZER.tokenize("a b"), "a b")
    assert out.sequence.shape == (2, 0) and out.sentence.shape == (1, 0)
    featurizer.fit(corpus("x", regexes=[NamedPattern("n", r"\d+")]))
    restored = RegexFeaturizer.from_state(*featurizer.to_state())
    assert [p.pattern for p in restored.patterns] == [r"\d+"]
    assert restored.transform(TOKENIZER.tokenize("a 1"), "a 1").sentence.nnz == 1
