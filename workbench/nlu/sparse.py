"""A tiny COO sparse-matrix record shared by the featurizers and DIET's batching."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SparseRows:
    """COO sparse matrix with float32 values (duplicates are not allowed).

    Attributes:
        shape: ``(rows, columns)``.
        rows: int64 ``(nnz,)`` row index of each stored value.
        cols: int64 ``(nnz,)`` column index of each stored value.
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
        zero_i = np.zeros(0, dtype=np.int64)
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
        counts = np.fromiter(map(len, cols), np.int64, len(cols))
        col_arr = np.fromiter(itertools.chain.from_iterable(cols), np.int64,
                              int(counts.sum()))
        val_arr = (np.ones(len(col_arr), dtype=np.float32) if vals is None else
                   np.fromiter(itertools.chain.from_iterable(vals), np.float32,
                               len(col_arr)))
        rows = np.repeat(np.arange(len(cols), dtype=np.int64), counts)
        return cls((len(cols), n_cols), rows, col_arr, val_arr)

    @classmethod
    def from_dense(cls, dense: np.ndarray) -> SparseRows:
        """Build from a 2-D dense array (zeros are not stored)."""
        dense = np.asarray(dense, dtype=np.float32)
        rows, cols = np.nonzero(dense)
        return cls(
            (int(dense.shape[0]), int(dense.shape[1])),
            rows.astype(np.int64),
            cols.astype(np.int64),
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
            (1, self.shape[1]), np.zeros(len(starts), dtype=np.int64), cols[starts],
            sums,
        )


def hstack(parts: Iterable[SparseRows], n_rows: int) -> SparseRows:
    """Concatenate matrices with ``n_rows`` rows side by side (column offsets added)."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    offset = 0
    for part in parts:
        if part.shape[0] != n_rows:
            raise ValueError(
                f"hstack: part has {part.shape[0]} rows, expected {n_rows}"
            )
        rows.append(part.rows)
        cols.append(part.cols + offset)
        vals.append(part.vals)
        offset += part.shape[1]
    if not rows:
        return SparseRows.empty(n_rows, 0)
    row_arr = np.concatenate(rows)
    col_arr = np.concatenate(cols)
    order = np.lexsort((col_arr, row_arr))  # row-major order, like scipy's tocsr
    return SparseRows(
        (n_rows, offset), row_arr[order], col_arr[order], np.concatenate(vals)[order]
    )
