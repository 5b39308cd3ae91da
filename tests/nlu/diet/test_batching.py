"""Collation of COO features and Rasa's balanced batching."""

from __future__ import annotations

import numpy as np

from workbench.nlu.diet.batching import (
    FeatureArrays,
    balanced_order,
    collate,
    collate_messages,
    epoch_batches,
)


def _dense_bags(cols, vals, offsets, n_bags, dim):
    out = np.zeros((n_bags, dim), dtype=np.float32)
    ends = list(offsets[1:]) + [len(cols)]
    for bag, (start, end) in enumerate(zip(offsets, ends, strict=True)):
        np.add.at(out[bag], cols[start:end], vals[start:end])
    return out


def test_collate_reconstructs_padded_dense_features(synthetic_data) -> None:
    data = synthetic_data
    arrays = FeatureArrays.from_messages(
        data.messages, has_sentence=True, labels=data.intent_ids,
        tags={"entity": data.tag_ids["entity"]})
    idx = np.array([5, 0, 17, 30])
    batch = collate(arrays, idx)
    t_max = max(len(data.messages[i].tokens) for i in idx)
    assert batch.n_positions == t_max + 1  # one extra slot for the sentence vector
    lengths = [len(data.messages[i].tokens) for i in idx]
    n_rows = sum(n + 1 for n in lengths)  # tokens + sentence slot, packed
    packed = _dense_bags(batch.seq_cols.numpy(), batch.seq_vals.numpy(),
                         batch.seq_offsets.numpy(), n_rows, data.sequence_dim)
    starts = np.cumsum([0] + [n + 1 for n in lengths])[:-1]
    assert batch.slot_rows.tolist() == [int(s + n) for s, n in zip(starts, lengths,
                                                                     strict=True)]
    sent = _dense_bags(batch.sent_cols.numpy(), batch.sent_vals.numpy(),
                       batch.sent_offsets.numpy(), 4, data.sentence_dim)
    for b, i in enumerate(idx):
        message = data.messages[i]
        n = len(message.tokens)
        expected = np.zeros((n, data.sequence_dim), dtype=np.float32)
        expected[message.sequence.rows, message.sequence.cols] = message.sequence.vals
        assert np.array_equal(packed[starts[b]:starts[b] + n], expected)
        assert not packed[starts[b] + n].any()  # the slot row has no sequence entries
        expected_sent = np.zeros(data.sentence_dim, dtype=np.float32)
        expected_sent[message.sentence.cols] = message.sentence.vals
        assert np.array_equal(sent[b], expected_sent)
        assert (
            batch.tags["entity"][b, :n].tolist() == data.tag_ids["entity"][i].tolist()
        )
        assert batch.tags["entity"][b, n:].eq(0).all()
    assert batch.labels.tolist() == data.intent_ids[idx].tolist()
    assert batch.lengths.tolist() == [len(data.messages[i].tokens) for i in idx]


def test_collate_messages_for_prediction(synthetic_data) -> None:
    batch = collate_messages(synthetic_data.messages[:3])
    assert batch.n_batch == 3
    assert batch.tags == {}


def test_balanced_order_covers_every_example_and_interleaves_labels() -> None:
    rng = np.random.default_rng(0)
    labels = np.array([0] * 40 + [1] * 5 + [2] * 3)
    order = balanced_order(labels, 16, rng)
    # the largest label cycles once
    assert set(order.tolist()) == set(range(len(labels)))
    assert len(order) >= len(labels)  # rare labels are over-sampled
    counts = np.bincount(labels[order])
    assert counts[0] == 40  # the largest label is never repeated
    assert counts[1] >= 5 and counts[2] >= 3
    # chunk size of the big label is int(40/48*16)+1 = 14: first batch is mixed
    assert len(set(labels[order[:16]].tolist())) > 1


def test_epoch_batches_sizes_and_drop_small_last_batch() -> None:
    rng = np.random.default_rng(1)
    labels = np.arange(10) % 2
    batches = epoch_batches(labels, 4, "sequence", rng)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    dropped = epoch_batches(np.arange(9) % 2, 4, "sequence", rng,
                            drop_small_last_batch=True)
    assert [len(b) for b in dropped] == [4, 4]


def test_balanced_batching_is_reproducible_with_the_same_seed() -> None:
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
    a = epoch_batches(labels, 4, "balanced", np.random.default_rng(7))
    b = epoch_batches(labels, 4, "balanced", np.random.default_rng(7))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_feature_arrays_sort_entries_by_message_and_row_in_narrow_ids() -> None:
    from types import SimpleNamespace

    from workbench.nlu.sparse import SparseRows

    def message(rows, cols, n_tokens):
        sequence = SparseRows((n_tokens, 50), np.array(rows, np.int64),
                              np.array(cols, np.int64),
                              np.arange(1, len(rows) + 1, dtype=np.float32))
        return SimpleNamespace(tokens=(None,) * n_tokens, sequence=sequence,
                               sentence=sequence.column_sum())

    in_order = [message([0, 0, 1], [3, 7, 2], 2), message([], [], 1),
                message([0, 2], [9, 1], 3)]
    arrays = FeatureArrays.from_messages(in_order, has_sentence=True)
    assert arrays.seq_rows.dtype == np.int32 and arrays.seq_cols.dtype == np.int32
    assert arrays.seq_ptr.tolist() == [0, 3, 3, 5]
    assert arrays.seq_rows.tolist() == [0, 0, 1, 0, 2]
    assert arrays.seq_cols.tolist() == [3, 7, 2, 9, 1]
    assert arrays.seq_vals.tolist() == [1, 2, 3, 1, 2]
    # a message whose entries are not in row order is sorted, stably, by row
    shuffled = [message([1, 0, 1, 0], [4, 8, 5, 6], 2), message([1, 0], [2, 3], 2)]
    arrays = FeatureArrays.from_messages(shuffled, has_sentence=False)
    assert arrays.seq_rows.tolist() == [0, 0, 1, 1, 0, 1]
    assert arrays.seq_cols.tolist() == [8, 6, 4, 5, 3, 2]
    assert arrays.seq_vals.tolist() == [2, 4, 1, 3, 2, 1]
