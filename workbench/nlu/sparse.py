"""A tiny COO sparse-matrix record shared by the featurizers and DIET's batching."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SparseRows:
    """COO sparse matrix with float32 values (duplicates are not allowed).

    The constructors below store ids as int32 (:func:`id_dtype`): a featurized
    training set keeps one of these per message, so 12 instead of 20 bytes per value
    is most of its memory. Other code may pass int64 ids; readers accept both.

    Attributes:
        shape: ``(rows, columns)``.
        rows: int32/int64 ``(nnz,)`` row index of each stored value.
        cols: int32/int64 ``(nnz,)`` column index of each stored value.
        vals: float32 ``(nnz,)`` the stored values.
    """

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray

    @property
    def nnz(self) -> int:
        """Number of stored values."""
        return int(self.vals.shape[0])

    @classmethod
    def empty(cls, n_rows: int, n_cols: int) -> SparseRows:
        """An all-zero matrix of the given shape."""
        zero_i = np.zeros(0, dtype=id_dtype(n_rows, n_cols))
        zero_f = np.zeros(0, dtype=np.float32)
        return cls((n_rows, n_cols), zero_i, zero_i.copy(), zero_f)

    @classmethod
    def from_row_dicts(
        cls, row_dicts: Sequence[dict[int, float]], n_cols: int
    ) -> SparseRows:
        """Build from one ``{column: value}`` dict per row (columns sorted per row)."""
        cols = [sorted(row) for row in row_dicts]
        vals = [[row[c] for c in columns] for row, columns in zip(row_dicts, cols,
                                                                   strict=True)]
        return cls.from_rows(cols, vals, n_cols)

    @classmethod
    def from_rows(
        cls, cols: Sequence[Sequence[int]], vals: Sequence[Sequence[float]] | None,
        n_cols: int,
    ) -> SparseRows:
        """Build from each row's sorted, distinct columns and their values.

        Args:
            cols: One sequence of columns per row, ascending, without repeats.
            vals: The values in the same layout; None means every value is 1.
            n_cols: Width of the matrix.
        """
        ids = id_dtype(len(cols), n_cols)
        counts = np.fromiter(map(len, cols), np.int64, len(cols))
        col_arr = np.fromiter(itertools.chain.from_iterable(cols), ids,
                              int(counts.sum()))
        val_arr = (np.ones(len(col_arr), dtype=np.float32) if vals is None else
                   np.fromiter(itertools.chain.from_iterable(vals), np.float32,
                               len(col_arr)))
        rows = np.repeat(np.arange(len(cols), dtype=ids), counts)
        return cls((len(cols), n_cols), rows, col_arr, val_arr)

    @classmethod
    def from_dense(cls, dense: np.ndarray) -> SparseRows:
        """Build from a 2-D dense array (zeros are not stored)."""
        dense = np.asarray(dense, dtype=np.float32)
        rows, cols = np.nonzero(dense)
        ids = id_dtype(*dense.shape)
        return cls(
            (int(dense.shape[0]), int(dense.shape[1])),
            rows.astype(ids),
            cols.astype(ids),
            dense[rows, cols].astype(np.float32),
        )

    def to_dense(self) -> np.ndarray:
        """Dense float32 array of ``shape``."""
        dense = np.zeros(self.shape, dtype=np.float32)
        dense[self.rows, self.cols] = self.vals
        return dense

    def column_sum(self) -> SparseRows:
        """The ``(1, columns)`` sum over rows."""
        if self.nnz == 0:
            return SparseRows.empty(1, self.shape[1])
        order = np.argsort(self.cols, kind="stable")
        cols = self.cols[order]
        starts = np.flatnonzero(np.concatenate([[True], cols[1:] != cols[:-1]]))
        sums = np.add.reduceat(self.vals[order], starts).astype(np.float32)
        return SparseRows(
            (1, self.shape[1]), np.zeros(len(starts), dtype=cols.dtype),
            cols[starts], sums,
        )


def id_dtype(n_rows: int, n_cols: int) -> type[np.signedinteger]:
    """int32 for the ids of an ``n_rows`` x ``n_cols`` matrix, int64 if too wide."""
    return np.int32 if max(n_rows, n_cols) <= 2**31 else np.int64


def hstack(parts: Iterable[SparseRows], n_rows: int) -> SparseRows:
    """Concatenate matrices with ``n_rows`` rows side by side (column offsets added)."""
    parts = list(parts)
    width = sum(part.shape[1] for part in parts)
    ids = id_dtype(n_rows, width)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    offset = 0
    for part in parts:
        if part.shape[0] != n_rows:
            raise ValueError(
                f"hstack: part has {part.shape[0]} rows, expected {n_rows}"
            )
        rows.append(part.rows)
        cols.append(part.cols + offset)  # int32 stays int32
        offset += part.shape[1]
    if not rows:
        return SparseRows.empty(n_rows, 0)
    row_arr = np.concatenate(rows).astype(ids, copy=False)
    col_arr = np.concatenate(cols).astype(ids, copy=False)
    order = np.lexsort((col_arr, row_arr))  # row-major order, like scipy's tocsr
    return SparseRows((n_rows, width), row_arr[order], col_arr[order],
                      np.concatenate([part.vals for part in parts])[order])
