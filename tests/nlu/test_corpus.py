"""Corpus preparation keeps each training message's exact snapshot index."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from workbench.core.examples import EntitySpan, Example
from workbench.nlu.corpus import PreparedCorpus, prepare_corpus
from workbench.nlu.featurizers.base import TrainingCorpus
from workbench.nlu.labels import assemble_featurized_data
from workbench.nlu.pipeline import featurize_training_data
from workbench.nlu.tokenizers import WhitespaceTokenizer


class Data:
    def __init__(self, examples):
        self.examples = list(examples)
        self.regexes, self.lookups, self.synonyms, self.config = [], [], [], None


def city(text: str, part: str) -> Example:
    start = text.index(part)
    return Example(text, "book", (EntitySpan(start, start + len(part), "city", part),))


EXAMPLES = [
    Example("hi", "greet"),             # 0
    Example("hi", "goodbye"),           # 1 same text, other intent: its own message
    Example("", "greet"),               # 2 empty: skipped
    Example("hi", "greet"),             # 3 identical to 0: merged into it
    Example("no intent", ""),           # 4 skipped
    city("fly to Rome", "Rome"),        # 5
    Example("fly to Rome", "book"),     # 6 same text and intent, no entity: kept
    city("fly to Rome", "Rome"),        # 7 identical to 5
    Example("hi", "goodbye"),           # 8 identical to 1
    Example("faq one", "faq/hours"),    # 9
]


def test_prepared_corpus_maps_every_message_to_its_exact_example() -> None:
    prepared = prepare_corpus(Data(EXAMPLES), WhitespaceTokenizer())
    assert prepared.example_indices == (0, 1, 5, 6, 9)
    assert prepared.merged_indices == ((3,), (8,), (7,), (), ())
    for example, index in zip(prepared.examples, prepared.example_indices, strict=True):
        assert example is EXAMPLES[index]
    assert [w.code for w in prepared.warnings] == ["empty-text", "no-intent"]
    # every example is either kept, merged into a kept one, or reported as skipped
    merged = {i for group in prepared.merged_indices for i in group}
    assert sorted({*prepared.example_indices, *merged, 2, 4}) == list(range(10))


def test_featurized_data_carries_the_indices_to_training() -> None:
    data = featurize_training_data(Data(EXAMPLES)).data
    assert data.example_indices.dtype == np.int64
    assert data.example_indices.tolist() == [0, 1, 5, 6, 9]
    for position, index in enumerate(data.example_indices):
        intent = data.intent_names[int(data.intent_ids[position])]
        assert EXAMPLES[index].intent.split("/")[0] == intent
        assert data.texts[position] == EXAMPLES[index].text


def test_edits_move_the_mapping_with_them() -> None:
    edited = list(EXAMPLES)
    edited[0] = Example("hello", "greet")   # 3 is no longer a duplicate of it
    edited[7] = Example("fly to Oslo", "book")
    edited.insert(0, Example("hi", "greet"))  # every later index shifts by one
    prepared = prepare_corpus(Data(edited), WhitespaceTokenizer())
    assert prepared.example_indices == (0, 1, 2, 6, 7, 8, 10)
    assert prepared.merged_indices == ((4,), (), (9,), (), (), (), ())
    assert [edited[i].text for i in prepared.example_indices] == [
        "hi", "hello", "hi", "fly to Rome", "fly to Rome", "fly to Oslo", "faq one"]


def test_inconsistent_corpus_is_refused() -> None:
    prepared = prepare_corpus(Data(EXAMPLES[:2]), WhitespaceTokenizer())
    with pytest.raises(ValueError, match="counts disagree"):
        dataclasses.replace(prepared, example_indices=(0,))
    with pytest.raises(ValueError, match="featurized messages"):
        assemble_featurized_data(prepared, (), sequence_dim=0, sentence_dim=0)
    empty = PreparedCorpus((), (), (), TrainingCorpus((), ()))
    assert len(empty) == 0
