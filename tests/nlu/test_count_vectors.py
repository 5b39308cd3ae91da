"""CountVectorsFeaturizer: vocabulary, rows, OOV, __NUMBER__, n-grams."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from workbench.nlu.featurizers.base import FeaturizerError, TrainingCorpus
from workbench.nlu.featurizers.count_vectors import (
    CountVectorsConfig,
    CountVectorsFeaturizer,
    build_analyzer,
)
from workbench.nlu.tokenizers import WhitespaceTokenizer

TOKENIZER = WhitespaceTokenizer()


def corpus(*texts: str) -> TrainingCorpus:
    return TrainingCorpus(texts, tuple(tuple(TOKENIZER.tokenize(t)) for t in texts))


def fitted(*texts: str, **settings) -> CountVectorsFeaturizer:
    featurizer = CountVectorsFeaturizer(config=CountVectorsConfig.from_rasa(settings))
    featurizer.fit(corpus(*texts))
    return featurizer


def transform(featurizer: CountVectorsFeaturizer, text: str):
    output = featurizer.transform(TOKENIZER.tokenize(text), text)
    return output.sequence.to_dense(), output.sentence.to_dense()


@pytest.mark.parametrize(
    ("analyzer", "ngrams"),
    [("word", (1, 1)), ("word", (1, 3)), ("word", (2, 2)), ("char_wb", (1, 4)),
     ("char_wb", (2, 5)), ("char", (1, 3))],
)
def test_analyzers_match_sklearn(analyzer: str, ngrams: tuple[int, int]) -> None:
    ours = build_analyzer(CountVectorsConfig(analyzer=analyzer, min_ngram=ngrams[0],
                                             max_ngram=ngrams[1]))
    pattern = {"token_pattern": r"(?u)\b\w+\b"} if analyzer == "word" else {
        "token_pattern": None}
    theirs = CountVectorizer(analyzer=analyzer, ngram_range=ngrams, **pattern
                             ).build_analyzer()
    texts = ["Hello there, I paid 12 dollars", "don't  do it", "a b", "Ünïcödé wörds"]
    for text in texts:
        assert sorted(ours(text)) == sorted(theirs(text))


def test_word_vocabulary_is_sorted_and_lowercased() -> None:
    featurizer = fitted("Hello World", "hello there")
    assert featurizer.vocabulary == {"hello": 0, "there": 1, "world": 2}
    sequence, sentence = transform(featurizer, "HELLO hello world")
    assert sequence.tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 1]]
    assert sentence.tolist() == [[2, 0, 1]]  # unigram sentence row == column sum


def test_numbers_become_placeholder() -> None:
    featurizer = fitted("pay 12 dollars", "at 12:30")
    assert "__number__" in featurizer.vocabulary
    assert "12" not in featurizer.vocabulary
    sequence, _ = transform(featurizer, "pay 999")
    assert sequence[1, featurizer.vocabulary["__number__"]] == 1
    glued = fitted("a123d", "x")
    assert glued._process(TOKENIZER.tokenize("a123d"), False) == ["a123d"]


def test_unseen_words_give_zero_rows_without_oov_token() -> None:
    sequence, sentence = transform(fitted("hello there"), "goodbye there")
    assert sequence[0].sum() == 0 and sequence[1].sum() == 1
    assert sentence.sum() == 1


def test_oov_token_replaces_oov_words_and_unseen_words() -> None:
    featurizer = fitted("hello bob", "hello alice", OOV_token="OOV", OOV_words=["Bob"])
    assert "oov" in featurizer.vocabulary and "bob" not in featurizer.vocabulary
    sequence, _ = transform(featurizer, "hello zebra")
    assert sequence[1, featurizer.vocabulary["oov"]] == 1


def test_char_wb_ngrams_stay_inside_words() -> None:
    featurizer = fitted("ab cd", analyzer="char_wb", min_ngram=1, max_ngram=3)
    assert " ab" in featurizer.vocabulary and "b c" not in featurizer.vocabulary
    sequence, sentence = transform(featurizer, "ab cd")
    # " ab ": ' ', 'a', 'b', ' ', ' a', 'ab', 'b ', ' ab', 'ab ': 9 n-grams, 2 spaces
    assert sequence[0].sum() == 9 and sequence[0, featurizer.vocabulary[" "]] == 2
    assert np.allclose(sentence, sequence.sum(axis=0, keepdims=True))


def test_word_bigrams_cross_tokens_only_in_sentence_row() -> None:
    featurizer = fitted("new york city", min_ngram=1, max_ngram=2)
    sequence, sentence = transform(featurizer, "new york")
    col = featurizer.vocabulary["new york"]
    assert sequence[:, col].sum() == 0 and sentence[0, col] == 1


def test_min_df_max_df_max_features() -> None:
    texts = ("a b c", "a b", "a d")
    assert set(fitted(*texts, min_df=2).vocabulary) == {"a", "b"}
    assert set(fitted(*texts, max_df=0.9).vocabulary) == {"b", "c", "d"}
    assert set(fitted(*texts, max_features=2).vocabulary) == {"a", "b"}


def test_state_round_trip() -> None:
    featurizer = fitted("hello world", analyzer="char_wb", min_ngram=1, max_ngram=4)
    state, arrays = featurizer.to_state()
    restored = CountVectorsFeaturizer.from_state(state, arrays)
    assert restored.vocabulary == featurizer.vocabulary
    assert restored.settings == featurizer.settings
    a = transform(featurizer, "hello there")
    b = transform(restored, "hello there")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_bad_options_name_the_key() -> None:
    with pytest.raises(FeaturizerError, match="analyzer"):
        CountVectorsConfig.from_rasa({"analyzer": "chars"})
    with pytest.raises(FeaturizerError, match="min_ngram"):
        CountVectorsConfig.from_rasa({"min_ngram": 3, "max_ngram": 2})


def test_transform_is_fast() -> None:
    featurizer = fitted(*[f"word{i} other{i % 7} text" for i in range(300)],
                        analyzer="char_wb", min_ngram=1, max_ngram=4)
    tokens = TOKENIZER.tokenize("I want to transfer money to my friend")
    start = time.perf_counter()
    for _ in range(200):
        featurizer.transform(tokens, "")
    assert (time.perf_counter() - start) / 200 < 0.002  # target < 0.5 ms; slack for CI
