"""Pack the real positions of a padded batch so per-position layers skip padding.

Utterances are short and padded to the longest one in the batch (financial_demo: mean
5.5 positions, padded to ~18), so running dense layers, LayerNorm, GELU and dropout on
the padded grid wastes most of the work. Everything except attention is per-position,
so the encoder works on packed ``(n_real, dim)`` rows and scatters them to the padded
grid only for attention. Outputs at real positions are unchanged (padding never
influences real positions in Rasa's model either).
"""

from __future__ import annotations

import torch


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

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """(B, P, D) -> (N, D)."""
        return x.reshape(self.n_batch * self.n_pos, -1).index_select(0, self.index)

    def unpack(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (B, P, D) with zeros on padding."""
        out = x.new_zeros(self.n_batch * self.n_pos, x.shape[-1])
        out = out.index_copy(0, self.index, x)
        return out.view(self.n_batch, self.n_pos, -1)
