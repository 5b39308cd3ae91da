"""Write node outputs into cache folders and read them back: JSON + ``.npz``, no pickle.

``np.load(..., allow_pickle=False)`` refuses object arrays, so a tampered entry cannot
execute code; strings travel in JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.nlu.features import FeaturizationWarning, FeaturizedData, MessageFeatures
from workbench.nlu.sparse import SparseRows
from workbench.nlu.tokenizers import Token

META, ARRAYS = "meta.json", "arrays.npz"


def write_json_and_arrays(folder: Path, meta: Mapping[str, Any],
                          arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``meta.json`` and ``arrays.npz`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / META).write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
    with (folder / ARRAYS).open("wb") as handle:
        np.savez(handle, **{key: np.asarray(value) for key, value in arrays.items()})


def read_json_and_arrays(folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read what :func:`write_json_and_arrays` wrote."""
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    with np.load(folder / ARRAYS, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return meta, arrays


def pack_sparse(prefix: str, matrices: Sequence[SparseRows]) -> dict[str, np.ndarray]:
    """Concatenate sparse matrices into five flat arrays named ``prefix_*``.

    Row and column indices are stored as int32 (half the disk space of int64; feature
    matrices never reach 2**31 columns), as ``SparseRows`` holds them in memory.
    """
    empty_i = np.zeros(0, dtype=np.int32)
    return {
        f"{prefix}_shape": np.asarray([m.shape for m in matrices],
                                      dtype=np.int64).reshape(-1, 2),
        f"{prefix}_nnz": np.asarray([m.nnz for m in matrices], dtype=np.int64),
        f"{prefix}_rows": np.concatenate(
            [m.rows.astype(np.int32, copy=False) for m in matrices] or [empty_i]),
        f"{prefix}_cols": np.concatenate(
            [m.cols.astype(np.int32, copy=False) for m in matrices] or [empty_i]),
        f"{prefix}_vals": np.concatenate(
            [m.vals for m in matrices] or [np.zeros(0, dtype=np.float32)]
        ).astype(np.float32),
    }


def unpack_sparse(prefix: str, arrays: Mapping[str, np.ndarray]) -> list[SparseRows]:
    """Split what :func:`pack_sparse` wrote back into matrices."""
    shapes, counts = arrays[f"{prefix}_shape"], arrays[f"{prefix}_nnz"]
    bounds = np.concatenate([[0], np.cumsum(counts)])
    rows = arrays[f"{prefix}_rows"].astype(np.int32, copy=False)
    cols = arrays[f"{prefix}_cols"].astype(np.int32, copy=False)
    vals = arrays[f"{prefix}_vals"].astype(np.float32, copy=False)
    return [
        SparseRows((int(shape[0]), int(shape[1])), rows[start:end], cols[start:end],
                   vals[start:end])
        for shape, start, end in zip(shapes, bounds[:-1], bounds[1:], strict=True)
    ]


def save_featurized(data: FeaturizedData, folder: Path) -> None:
    """Write featurized training data (feature matrices, labels, tags)."""
    tokens = [message.tokens for message in data.messages]
    meta = {
        "sequence_dim": data.sequence_dim,
        "sentence_dim": data.sentence_dim,
        "intent_names": list(data.intent_names),
        "label_dim": data.label_dim,
        "tag_names": {kind: list(names) for kind, names in data.tag_names.items()},
        "texts": list(data.texts),
        "bilou": data.bilou,
        "token_texts": [[token.text for token in message] for message in tokens],
        "warnings": [
            {"code": w.code, "message": w.message, "text": w.text, "start": w.start,
             "end": w.end, "source": w.source}
            for w in data.warnings
        ],
    }
    arrays: dict[str, np.ndarray] = {
        "intent_ids": np.asarray(data.intent_ids, dtype=np.int64),
        "example_indices": np.asarray(data.example_indices, dtype=np.int64),
        "token_counts": np.asarray([len(t) for t in tokens], dtype=np.int64),
        "token_starts": np.asarray([tok.start for t in tokens for tok in t], np.int64),
        "token_ends": np.asarray([tok.end for t in tokens for tok in t], np.int64),
        **pack_sparse("sequence", [m.sequence for m in data.messages]),
        **pack_sparse("sentence", [m.sentence for m in data.messages]),
        **pack_sparse("label", list(data.label_features)),
    }
    for kind, per_message in data.tag_ids.items():
        arrays[f"tags_{kind}"] = np.concatenate(
            [np.asarray(ids, dtype=np.int64) for ids in per_message]
            or [np.zeros(0, dtype=np.int64)]
        )
    write_json_and_arrays(folder, meta, arrays)


def load_featurized(folder: Path) -> FeaturizedData:
    """Read featurized training data written by :func:`save_featurized`."""
    meta, arrays = read_json_and_arrays(folder)
    counts = arrays["token_counts"]
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    starts, ends = arrays["token_starts"], arrays["token_ends"]
    sequences = unpack_sparse("sequence", arrays)
    sentences = unpack_sparse("sentence", arrays)
    n_texts = len(meta["token_texts"])
    example_indices = arrays["example_indices"].astype(np.int64)
    if not (len(sequences) == len(sentences) == len(counts) == n_texts
            and len(example_indices) in (0, n_texts)):
        raise ValueError("featurized data: message counts disagree")
    messages = []
    for index, texts in enumerate(meta["token_texts"]):
        lo, hi = bounds[index], bounds[index + 1]
        tokens = tuple(
            Token(text, int(s), int(e))
            for text, s, e in zip(texts, starts[lo:hi], ends[lo:hi], strict=True)
        )
        messages.append(MessageFeatures(tokens, sequences[index], sentences[index]))
    tag_ids = {
        kind: tuple(arrays[f"tags_{kind}"][lo:hi].astype(np.int64)
                    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True))
        for kind in meta["tag_names"]
    }
    return FeaturizedData(
        messages=tuple(messages),
        sequence_dim=int(meta["sequence_dim"]),
        sentence_dim=int(meta["sentence_dim"]),
        intent_names=tuple(meta["intent_names"]),
        intent_ids=arrays["intent_ids"].astype(np.int64),
        label_features=tuple(unpack_sparse("label", arrays)),
        label_dim=int(meta["label_dim"]),
        tag_names={kind: tuple(names) for kind, names in meta["tag_names"].items()},
        tag_ids=tag_ids,
        texts=tuple(meta["texts"]),
        example_indices=example_indices,
        bilou=bool(meta["bilou"]),
        warnings=tuple(FeaturizationWarning(**w) for w in meta["warnings"]),
    )
