"""Batches for DIET: precomputed feature arrays, fast collation, balanced batching.

Per-message COO features are flattened once per training run into
:class:`FeatureArrays`; :func:`collate` then cuts a batch out of them with numpy
fancy indexing (no Python loop over non-zeros or tokens). Batch composition follows
Rasa's ``RasaBatchDataGenerator`` (§4.14).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from workbench.nlu.sparse import id_dtype


@dataclass(frozen=True)
class FeatureArrays:
    """All messages' sparse features as flat arrays with per-message pointers.

    Attributes:
        n_tokens: (M,) tokens per message.
        seq_ptr: (M+1,) start of each message's entries in ``seq_*``.
        seq_rows, seq_cols, seq_vals: sequence entries, sorted by (message, row);
            rows and columns int32 where they fit (a third less memory than int64 for
            what is, after the features themselves, the training run's largest
            per-example data), widened per batch by :func:`collate`.
        sent_ptr, sent_cols, sent_vals: sentence entries.
        has_sentence: Whether sentence features exist (sentence_dim > 0).
        tag_ptr: (M+1,) start of each message's tags in ``tags[kind]`` (token offsets).
        tags: kind -> flat (sum n_tokens,) int64 tag ids.
        labels: (M,) int64 label ids (zeros when unknown).
    """

    n_tokens: np.ndarray
    seq_ptr: np.ndarray
    seq_rows: np.ndarray
    seq_cols: np.ndarray
    seq_vals: np.ndarray
    sent_ptr: np.ndarray
    sent_cols: np.ndarray
    sent_vals: np.ndarray
    has_sentence: bool
    tag_ptr: np.ndarray
    tags: Mapping[str, np.ndarray] = field(default_factory=dict)
    labels: np.ndarray | None = None

    @classmethod
    def from_messages(cls, messages: Sequence, *, has_sentence: bool,
                      labels: np.ndarray | None = None,
                      tags: Mapping[str, Sequence[np.ndarray]] | None = None
                      ) -> FeatureArrays:
        """Flatten ``MessageFeatures`` (anything with tokens, sequence and sentence).

        Args:
            messages: The messages.
            has_sentence: Whether to keep sentence features.
            labels: (M,) label ids, if known.
            tags: Per tag kind, one (n_tokens,) id array per message.
        """
        n_tokens = np.array([len(m.tokens) for m in messages], dtype=np.int64)
        seq_ptr, seq_rows, seq_cols, seq_vals = _flatten([m.sequence for m in messages])
        if has_sentence:
            sent_ptr, _, sent_cols, sent_vals = _flatten([m.sentence for m in messages])
        else:
            sent_ptr = np.zeros(len(messages) + 1, dtype=np.int64)
            sent_cols = np.zeros(0, dtype=np.int64)
            sent_vals = np.zeros(0, dtype=np.float32)
        tag_ptr = np.concatenate([[0], np.cumsum(n_tokens)]).astype(np.int64)
        flat_tags = {
            kind: (np.concatenate([np.asarray(a, dtype=np.int64) for a in arrays])
                   if len(arrays) else np.zeros(0, dtype=np.int64))
            for kind, arrays in (tags or {}).items()}
        if labels is None:
            labels = np.zeros(len(messages), dtype=np.int64)
        return cls(n_tokens, seq_ptr, seq_rows, seq_cols, seq_vals, sent_ptr, sent_cols,
                   sent_vals, has_sentence, tag_ptr, flat_tags,
                   np.asarray(labels, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.n_tokens)


def _flatten(parts: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate the parts' entries, sorted by (message, row), ids narrowed.

    The featurizers already emit each message's entries in row order, so the stable
    sort by (message, row) is the identity and is skipped: the ids are concatenated
    straight into their narrow dtype, without int64 copies, sort keys or a permuted
    copy (those tripled the transient memory of this step).
    """
    counts = np.array([len(p.vals) for p in parts], dtype=np.int64)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if ptr[-1] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ptr, empty, empty, np.zeros(0, dtype=np.float32)
    rows = np.concatenate([p.rows for p in parts],
                          dtype=id_dtype(max(p.shape[0] for p in parts), 0))
    cols = np.concatenate([p.cols for p in parts],
                          dtype=id_dtype(0, max(p.shape[1] for p in parts)))
    vals = np.concatenate([p.vals for p in parts], dtype=np.float32)
    drops = np.flatnonzero(rows[1:] < rows[:-1]) + 1  # row falls: a new message?
    if not np.isin(drops, ptr).all():  # a message not in row order: sort (stable)
        order = np.lexsort((rows, np.repeat(np.arange(len(parts)), counts)))
        return ptr, rows[order], cols[order], vals[order]
    return ptr, rows, cols, vals


@dataclass
class Batch:
    """A collated batch; every tensor lives on the same device.

    ``P`` (``n_positions``) is ``Tmax + 1`` when sentence features exist (the sentence
    slot of example ``b`` is position ``lengths[b]``), else ``Tmax``. Real positions
    (tokens, then the sentence slot) are packed row-major into ``N`` rows.

    Attributes:
        lengths: (B,) int64 real tokens per example.
        seq_cols, seq_vals, seq_offsets: sequence bags, one per packed row (N,).
        slot_rows: (B,) packed row of each example's sentence slot.
        sent_cols, sent_vals, sent_offsets: sentence bags, one per example.
        labels: (B,) int64 label ids.
        tags: kind -> (B, P) int64 tag ids, 0 ("O") on padding.
        n_batch, n_positions: B and P.
    """

    lengths: torch.Tensor
    seq_cols: torch.Tensor
    seq_vals: torch.Tensor
    seq_offsets: torch.Tensor
    slot_rows: torch.Tensor
    sent_cols: torch.Tensor
    sent_vals: torch.Tensor
    sent_offsets: torch.Tensor
    labels: torch.Tensor
    tags: dict[str, torch.Tensor]
    n_batch: int
    n_positions: int

    def to(self, device: torch.device | str) -> Batch:
        """Return a copy on ``device`` (non-blocking where possible)."""
        def move(t: torch.Tensor) -> torch.Tensor:
            return t.to(device, non_blocking=True)
        return Batch(move(self.lengths), move(self.seq_cols), move(self.seq_vals),
                     move(self.seq_offsets), move(self.slot_rows), move(self.sent_cols),
                     move(self.sent_vals),
                     move(self.sent_offsets), move(self.labels),
                     {k: move(v) for k, v in self.tags.items()}, self.n_batch,
                     self.n_positions)


def _gather(ptr: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat entry ids of messages ``idx`` (in order) and the count per message."""
    starts, counts = ptr[idx], ptr[idx + 1] - ptr[idx]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), counts
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return np.arange(total, dtype=np.int64) + shift, counts


def collate(arrays: FeatureArrays, idx: np.ndarray) -> Batch:
    """Cut the examples ``idx`` out of ``arrays`` as padded CPU tensors."""
    idx = np.asarray(idx, dtype=np.int64)
    n_batch = len(idx)
    lengths = arrays.n_tokens[idx]
    t_max = int(lengths.max()) if n_batch else 0
    n_pos = max(1, t_max + 1 if arrays.has_sentence else t_max)
    entries, counts = _gather(arrays.seq_ptr, idx)
    rows_per_example = lengths + 1 if arrays.has_sentence else lengths
    row_start = np.concatenate([[0], np.cumsum(rows_per_example)[:-1]]).astype(np.int64)
    n_rows = int(rows_per_example.sum())
    packed = np.repeat(row_start, counts) + arrays.seq_rows[entries]  # non-decreasing
    seq_offsets = _offsets(packed, n_rows)
    slot_rows = row_start + lengths
    sent_entries, sent_counts = _gather(arrays.sent_ptr, idx)
    sent_offsets = np.concatenate([[0], np.cumsum(sent_counts)[:-1]]).astype(np.int64)
    tags = {}
    if arrays.tags:
        tag_entries, _ = _gather(arrays.tag_ptr, idx)
        token_owner = np.repeat(np.arange(n_batch, dtype=np.int64), lengths)
        token_pos = tag_entries - np.repeat(arrays.tag_ptr[idx], lengths)
        for kind, flat in arrays.tags.items():
            grid = np.zeros((n_batch, n_pos), dtype=np.int64)
            grid[token_owner, token_pos] = flat[tag_entries]
            tags[kind] = torch.from_numpy(grid)
    return Batch(
        lengths=torch.from_numpy(lengths.copy()),
        seq_cols=torch.from_numpy(arrays.seq_cols[entries].astype(np.int64)),
        seq_vals=torch.from_numpy(arrays.seq_vals[entries]),
        seq_offsets=torch.from_numpy(seq_offsets),
        slot_rows=torch.from_numpy(slot_rows),
        sent_cols=torch.from_numpy(arrays.sent_cols[sent_entries].astype(np.int64)),
        sent_vals=torch.from_numpy(arrays.sent_vals[sent_entries]),
        sent_offsets=torch.from_numpy(sent_offsets),
        labels=torch.from_numpy(arrays.labels[idx].copy()),
        tags=tags, n_batch=n_batch, n_positions=n_pos,
    )


def _offsets(positions: np.ndarray, n_bags: int) -> np.ndarray:
    counts = np.bincount(positions, minlength=n_bags)
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def collate_messages(messages: Sequence, *, has_sentence: bool = True) -> Batch:
    """Collate ``MessageFeatures`` for prediction (labels and tags left empty)."""
    arrays = FeatureArrays.from_messages(messages, has_sentence=has_sentence)
    return collate(arrays, np.arange(len(messages)))


# --- batch composition ---------------------------------------------------------------
def balanced_order(labels: np.ndarray, batch_size: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Rasa's ``balanced_data`` on an already shuffled index order.

    Args:
        labels: (N,) label ids of the shuffled examples.
        batch_size: This epoch's batch size.
        rng: Random source for the per-round label order.

    Returns:
        Positions into ``labels`` (usually more than N: rare labels are re-visited).
    """
    n_total = len(labels)
    unique, inverse = np.unique(labels, return_inverse=True)
    groups = [np.flatnonzero(inverse == i) for i in range(len(unique))]
    sizes = [len(g) for g in groups]
    chunk = [int(n / n_total * batch_size) + 1 for n in sizes]
    pointer = [0] * len(groups)
    cycles = [0] * len(groups)
    skipped = [False] * len(groups)
    out: list[np.ndarray] = []
    while min(cycles) == 0:
        for i in rng.permutation(len(groups)):
            if cycles[i] > 0 and not skipped[i]:
                skipped[i] = True
                continue
            skipped[i] = False
            out.append(groups[i][pointer[i]:pointer[i] + chunk[i]])
            pointer[i] += chunk[i]
            if pointer[i] >= sizes[i]:
                cycles[i] += 1
                pointer[i] = 0
            if min(cycles) > 0:
                break
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def epoch_batches(labels: np.ndarray | None, batch_size: int, strategy: str,
                  rng: np.random.Generator, *,
                  drop_small_last_batch: bool = False) -> list[np.ndarray]:
    """Return the example indices of every batch of one epoch.

    Args:
        labels: (N,) label ids (None: balanced batching impossible -> sequence).
        batch_size: This epoch's batch size.
        strategy: "balanced" or "sequence".
        rng: Random source (shuffle + balancing).
        drop_small_last_batch: Drop a last batch smaller than ceil(bs/2) (keeps >= 1).
    """
    n = len(labels) if labels is not None else 0
    order = rng.permutation(n)
    if strategy == "balanced" and labels is not None and n:
        order = order[balanced_order(labels[order], batch_size, rng)]
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if (drop_small_last_batch and len(batches) > 1
            and len(batches[-1]) < -(-batch_size // 2)):
        batches.pop()
    return batches
