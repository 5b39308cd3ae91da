"""Cache formats of node outputs round-trip exactly (JSON + npz, no pickle)."""

from __future__ import annotations

import numpy as np

from tests.training.conftest import tiny_config
from workbench.core.project import load_project
from workbench.core.project_edits import add_example
from workbench.nlu.corpus import prepare_corpus
from workbench.nlu.pipeline import featurize_training_data
from workbench.training.corpus_storage import load_corpus, save_corpus
from workbench.training.storage import load_featurized, save_featurized


def _same_sparse(a, b) -> bool:
    return (a.shape == b.shape and np.array_equal(a.rows, b.rows)
            and np.array_equal(a.cols, b.cols) and np.array_equal(a.vals, b.vals)
            and a.rows.dtype == b.rows.dtype == np.int32)


def test_featurized_data_round_trip(tiny_project, tmp_path):
    snapshot = load_project(tiny_project).snapshot()
    data = featurize_training_data(snapshot, tiny_config()).data
    save_featurized(data, tmp_path / "features")
    loaded = load_featurized(tmp_path / "features")
    assert len(loaded) == len(data) and loaded.texts == data.texts
    assert loaded.example_indices.tolist() == data.example_indices.tolist()
    assert loaded.example_indices.tolist() == list(range(len(snapshot.examples)))
    assert (loaded.sequence_dim, loaded.sentence_dim) == (data.sequence_dim,
                                                          data.sentence_dim)
    assert loaded.intent_names == data.intent_names
    assert np.array_equal(loaded.intent_ids, data.intent_ids)
    assert dict(loaded.tag_names) == dict(data.tag_names)
    for kind in data.tag_ids:
        assert all(
            np.array_equal(x, y)
            for x, y in zip(loaded.tag_ids[kind], data.tag_ids[kind], strict=True)
        )
    for mine, theirs in zip(loaded.messages, data.messages, strict=True):
        assert mine.tokens == theirs.tokens
        assert _same_sparse(mine.sequence, theirs.sequence)
        assert _same_sparse(mine.sentence, theirs.sentence)
    assert all(_same_sparse(x, y) for x, y in zip(loaded.label_features,
                                                  data.label_features, strict=True))


def test_prepared_corpus_round_trip(tiny_project, tmp_path):
    from workbench.nlu.tokenizers import WhitespaceTokenizer

    project = load_project(tiny_project)
    add_example(project, project.examples[3])  # a duplicate, merged into example 3
    snapshot = project.snapshot()
    prepared = prepare_corpus(snapshot, WhitespaceTokenizer())
    assert any(prepared.merged_indices)
    save_corpus(prepared, tmp_path / "corpus")
    loaded = load_corpus(tmp_path / "corpus")
    assert loaded.corpus == prepared.corpus
    assert [(e.text, e.intent, e.entities) for e in loaded.examples] == [
        (e.text, e.intent, e.entities) for e in prepared.examples]
    assert loaded.warnings == prepared.warnings
    assert loaded.example_indices == prepared.example_indices
    assert loaded.merged_indices == prepared.merged_indices
