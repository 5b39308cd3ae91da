"""Pack the real positions of a padded batch so per-position layers skip padding.

Utterances are short and padded to the longest one in the batch (financial_demo: mean
5.5 positions, padded to ~18), so running dense layers, LayerNorm, GELU and dropout on
the padded grid wastes most of the work. Everything except attention is per-position,
so the encoder works on packed ``(n_real, dim)`` rows and scatters them to a padded
grid only for attention. Outputs at real positions are unchanged (padding never
influences real positions in Rasa's model either).

Attention itself is per example, so on the CPU the batch is split into a few groups of
similar length (:meth:`Packing.attention_groups`), each padded only to its own longest
example: financial_demo batches of 128 fill ~730 real cells of a 128 x 20 grid, and
two or three groups cut the padded cells (zero-fill, copies, attention) by more than
half. Results are the same as with one grid: padded keys are masked either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

# Fixed cost of one more group, in the units of the cost estimate below (a group adds
# ~10 small ops forward and backward); calibrated on financial_demo with 2 threads.
_GROUP_OVERHEAD = 4000
_MAX_GROUPS = 4


@dataclass(frozen=True)
class AttentionGroup:
    """Examples of similar length laid out on their own padded grid.

    Attributes:
        rows: (n,) packed row ids of the group's real positions, grid order; None when
            the group is the whole batch in its own order (rows are then 0..N-1).
        cells: (n,) flat index of each of those rows in the ``(n_batch * n_pos)`` grid.
        mask: (n_batch, n_pos) bool, true on real positions.
    """

    rows: torch.Tensor | None
    cells: torch.Tensor
    mask: torch.Tensor

    @property
    def n_batch(self) -> int:
        return self.mask.shape[0]

    @property
    def n_pos(self) -> int:
        return self.mask.shape[1]

    def unpack(self, x: torch.Tensor) -> torch.Tensor:
        """Packed (N, D) -> this group's grid (n_batch, n_pos, D), zeros on padding."""
        part = x if self.rows is None else x.index_select(0, self.rows)
        out = x.new_zeros(self.n_batch * self.n_pos, x.shape[-1])
        out = out.index_copy(0, self.cells, part)
        return out.view(self.n_batch, self.n_pos, -1)

    def pack(self, grid: torch.Tensor) -> torch.Tensor:
        """Grid (n_batch, n_pos, D) -> (n, D) rows in the order of ``rows``."""
        return grid.reshape(self.n_batch * self.n_pos, -1).index_select(0, self.cells)


class Packing:
    """Index bookkeeping between a padded ``(B, P, ·)`` grid and packed rows.

    Args:
        mask: (B, P) bool, true on real positions (tokens and the sentence slot).
    """

    def __init__(self, mask: torch.Tensor) -> None:
        self.mask = mask
        self.n_batch, self.n_pos = mask.shape
        self.index = mask.reshape(-1).nonzero().squeeze(1)  # (N,) flat grid positions
        self.positions = self.index % self.n_pos  # (N,) time step of each packed row
        self._groups: tuple[list[AttentionGroup], torch.Tensor | None] | None = None

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """(B, P, D) -> (N, D)."""
        return x.reshape(self.n_batch * self.n_pos, -1).index_select(0, self.index)

    def unpack(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (B, P, D) with zeros on padding."""
        out = x.new_zeros(self.n_batch * self.n_pos, x.shape[-1])
        out = out.index_copy(0, self.index, x)
        return out.view(self.n_batch, self.n_pos, -1)

    def attention_groups(self) -> list[AttentionGroup]:
        """Split the batch into groups of similar length (one group off the CPU)."""
        if self._groups is None:
            self._groups = self._split()
        return self._groups[0]

    def merge(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """Per-group packed outputs (in :meth:`attention_groups` order) -> (N, D)."""
        groups, inverse = self._groups
        if inverse is None:
            return parts[0]
        return torch.cat(parts).index_select(0, inverse)

    def _split(self) -> tuple[list[AttentionGroup], torch.Tensor | None]:
        whole = AttentionGroup(None, self.index, self.mask)
        if self.mask.device.type != "cpu" or self.n_batch < 8:
            return [whole], None  # on a GPU the host round trip would cost more
        counts = self.mask.sum(1).numpy()  # (B,) real positions per example
        if not np.array_equal(self.mask.numpy(),
                              np.arange(self.n_pos)[None, :] < counts[:, None]):
            return [whole], None  # real positions are not a prefix of each row
        order = np.argsort(counts, kind="stable")
        sorted_counts = counts[order]
        bounds = _best_bounds(sorted_counts)
        if len(bounds) == 2:
            return [whole], None
        row_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        groups, all_rows = [], []
        device = self.mask.device
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
            members = order[lo:hi]
            sizes = counts[members]
            n_pos = int(sizes.max())
            total = int(sizes.sum())
            within = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            rows = np.repeat(row_start[members], sizes) + within
            cells = np.repeat(np.arange(len(members)) * n_pos, sizes) + within
            mask = np.arange(n_pos)[None, :] < sizes[:, None]
            groups.append(AttentionGroup(torch.from_numpy(rows).to(device),
                                         torch.from_numpy(cells).to(device),
                                         torch.from_numpy(mask).to(device)))
            all_rows.append(rows)
        inverse = np.empty(int(counts.sum()), dtype=np.int64)
        inverse[np.concatenate(all_rows)] = np.arange(len(inverse))
        return groups, torch.from_numpy(inverse).to(device)


def _best_bounds(sorted_counts: np.ndarray) -> list[int]:
    """Group boundaries over ascending lengths with the lowest estimated cost.

    Tries 1 to ``_MAX_GROUPS`` groups of equal size; a group of ``b`` examples padded to
    ``p`` costs ``b * p * (p + 8)`` (attention grows with p^2, copies with p) plus a
    fixed overhead. Returns ``[0, ..., B]``.
    """
    n = len(sorted_counts)
    best, best_cost = [0, n], None
    for k in range(1, _MAX_GROUPS + 1):
        bounds = sorted({round(i * n / k) for i in range(k + 1)})
        cost = 0.0
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
            p = float(sorted_counts[hi - 1])
            cost += (hi - lo) * p * (p + 8) + _GROUP_OVERHEAD
        if best_cost is None or cost < best_cost:
            best, best_cost = bounds, cost
    return best
