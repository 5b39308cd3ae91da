"""Rasa's transformer encoder (§4.6): pre-LN blocks of randomly connected layers.

Input projection, ``* sqrt(H)``, sinusoidal positions, dropout, ``num_layers`` pre-LN
blocks (LayerNorm eps 1e-6, exact GELU), final LayerNorm. Q/K/V have no bias; every
dense layer is a :class:`RandomlyConnectedDense`. Relative key/value attention (Shaw et
al.) and Rasa's attention-link dropout take a slower path; otherwise attention runs
through ``scaled_dot_product_attention``.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from workbench.nlu.diet.layers import Dropout, RandomlyConnectedDense, glorot_uniform_
from workbench.nlu.diet.packing import Packing

_LN_EPS = 1e-6  # Keras LayerNormalization epsilon used by Rasa
_NEG = -1e9  # Rasa's additive mask value


def sinusoidal_positions(n_pos: int, width: int) -> torch.Tensor:
    """Return the absolute positional encoding (n_pos, width): sin even, cos odd."""
    pos = torch.arange(n_pos, dtype=torch.float64)[:, None]  # (P, 1)
    i = torch.arange(width, dtype=torch.float64)[None, :]  # (1, H)
    angles = pos / torch.pow(10000.0, (2 * (i // 2)) / width)  # (P, H)
    out = torch.empty_like(angles)
    out[:, 0::2] = torch.sin(angles[:, 0::2])
    out[:, 1::2] = torch.cos(angles[:, 1::2])
    return out.float()


class RelativePositions(nn.Module):
    """Per-head relative-position embeddings for keys or values (clipped at ``max``)."""

    def __init__(self, heads: int, depth: int, max_position: int,
                 unidirectional: bool) -> None:
        super().__init__()
        self.max_position = max_position
        self.unidirectional = unidirectional
        rows = max_position + 1 if unidirectional else 2 * max_position + 1
        self.table = nn.Parameter(torch.empty(heads, rows, depth))  # (h, R, d)
        glorot_uniform_(self.table, rows, depth)

    def index(self, n_pos: int, device: torch.device) -> torch.Tensor:
        """Return (P, P) row ids for each (query, key) pair."""
        pos = torch.arange(n_pos, device=device)
        rel = pos[None, :] - pos[:, None]  # (P, P): key - query
        if self.unidirectional:
            # Future offsets are clipped to 0; they are masked by look-ahead anyway.
            return rel.clamp(-self.max_position, 0) + self.max_position
        return rel.clamp(-self.max_position, self.max_position) + self.max_position

    def one_hot(self, n_pos: int, device: torch.device) -> torch.Tensor:
        """(P, P, R) one-hot of :meth:`index`, float."""
        return F.one_hot(self.index(n_pos, device), self.table.shape[1]).float()


class MultiHeadAttention(nn.Module):
    """Rasa's multi-head attention with optional relative positions."""

    def __init__(self, width: int, heads: int, density: float, attention_dropout: float,
                 unidirectional: bool, key_relative: bool, value_relative: bool,
                 max_relative_position: int) -> None:
        super().__init__()
        self.heads, self.depth = heads, width // heads
        self.qkv = RandomlyConnectedDense(width, width, density, bias=False, parts=3)
        self.out = RandomlyConnectedDense(width, width, density)
        self.attention_dropout = attention_dropout
        self.unidirectional = unidirectional
        self.key_rel = (RelativePositions(heads, self.depth, max_relative_position,
                                          unidirectional) if key_relative else None)
        self.value_rel = (RelativePositions(heads, self.depth, max_relative_position,
                                            unidirectional) if value_relative else None)

    def forward(self, x: torch.Tensor, packing: Packing) -> torch.Tensor:
        """Attend over real positions.

        Args:
            x: (N, H) packed real positions.
            packing: Where the packed rows sit in the (batch, P) grid.

        Returns:
            (N, H).
        """
        width = x.shape[-1]
        # Attention itself runs in float32: under CPU bfloat16 autocast the flash
        # attention backward is ~10x slower than in float32 (measured), while the
        # projections around it gain ~3x from bfloat16.
        qkv = self.qkv(x).float()  # (N, 3H)
        parts = []
        for group in packing.attention_groups():
            grid = group.unpack(qkv).view(group.n_batch, group.n_pos, 3, self.heads,
                                          self.depth)
            q, k, v = grid.permute(2, 0, 3, 1, 4)  # each (b, h, p, d)
            with torch.autocast(x.device.type, enabled=False):
                a = self._attend(q, k, v, ~group.mask)  # (b, h, p, d) float32
            a = a.transpose(1, 2).reshape(group.n_batch, group.n_pos, width)
            parts.append(group.pack(a))  # (n, H)
        return self.out(packing.merge(parts))  # (N, H)

    def forward_rows(self, x: torch.Tensor, packing: Packing,
                     rows: torch.Tensor) -> torch.Tensor:
        """Attend from one query row per example, the example's last real position.

        Equal to ``forward(x, packing)[rows]`` up to float rounding, with less
        work: keys and values are projected for every row, queries and the output
        projection only for ``rows``. The query sits at the last real position, so a
        look-ahead mask would hide only padding.

        Args:
            x: (N, H) packed real positions.
            packing: Where they sit in the (batch, P) grid.
            rows: (B,) packed row of each example's last real position.

        Returns:
            (B, H).
        """
        if (self.key_rel is not None or self.value_rel is not None
                or (self.training and self.attention_dropout > 0)):
            return self.forward(x, packing).index_select(0, rows)
        width = x.shape[-1]
        weight = self.qkv.weight  # (3H, H): Q, K, V stacked; no bias
        q = F.linear(x.index_select(0, rows), weight[:width]).float()  # (B, H)
        kv = packing.unpack(F.linear(x, weight[width:]).float())  # (B, P, 2H)
        kv = kv.view(packing.n_batch, packing.n_pos, 2, self.heads, self.depth)
        k, v = kv.permute(2, 0, 3, 1, 4)  # each (B, h, P, d)
        q = q.view(packing.n_batch, self.heads, 1, self.depth)  # (B, h, 1, d)
        with torch.autocast(x.device.type, enabled=False):
            a = F.scaled_dot_product_attention(
                q, k, v, attn_mask=packing.mask[:, None, None, :])  # (B, h, 1, d)
        return self.out(a.reshape(packing.n_batch, width))

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                pad: torch.Tensor) -> torch.Tensor:
        n_pos = q.shape[2]
        slow = (self.key_rel is not None or self.value_rel is not None
                or (self.training and self.attention_dropout > 0))
        if slow:
            return self._attend_slow(q, k, v, pad)
        allowed = ~pad[:, None, None, :]  # (B, 1, 1, P)
        if self.unidirectional:
            causal = torch.ones(n_pos, n_pos, dtype=torch.bool, device=q.device).tril()
            allowed = allowed & causal  # (B, 1, P, P)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)

    def _attend_slow(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     pad: torch.Tensor) -> torch.Tensor:
        n_pos = q.shape[2]
        q = q * self.depth ** -0.5
        logits = q @ k.transpose(-1, -2)  # (B, h, P, P)
        if self.key_rel is not None:
            rel = torch.einsum("bhqd,hrd->bhqr", q, self.key_rel.table)  # (B, h, P, R)
            idx = self.key_rel.index(n_pos, q.device)  # (P, P)
            logits = logits + torch.gather(
                rel, 3, idx.expand(*rel.shape[:2], n_pos, n_pos))  # (B, h, P, P)
        mask = pad[:, None, None, :].float()  # (B, 1, 1, P)
        if self.unidirectional:
            ahead = 1.0 - torch.ones(n_pos, n_pos, device=q.device).tril()  # (P, P)
            mask = torch.maximum(mask, ahead)  # (B, 1, P, P)
        logits = logits + _NEG * mask
        if self.training and self.attention_dropout > 0:
            # Rasa drops whole links before the softmax, never padded ones.
            u = torch.rand_like(logits) + mask
            logits = logits + _NEG * (u < self.attention_dropout).float()
        weights = torch.softmax(logits, dim=-1)  # (B, h, P, P)
        out = weights @ v  # (B, h, P, d)
        if self.value_rel is not None:
            onehot = self.value_rel.one_hot(n_pos, q.device)  # (P, P, R)
            per_offset = torch.einsum("bhqk,qkr->bhqr", weights, onehot)  # (B, h, P, R)
            out = out + torch.einsum("bhqr,hrd->bhqd", per_offset, self.value_rel.table)
        return out


class TransformerBlock(nn.Module):
    """Pre-LN block: ``x + Drop(MHA(LN x))``, then ``x + Drop(FFN(LN x))``."""

    def __init__(self, width: int, attention: MultiHeadAttention, density: float,
                 drop_rate: float) -> None:
        super().__init__()
        self.ln_attention = nn.LayerNorm(width, eps=_LN_EPS)
        self.attention = attention
        self.ln_ffn = nn.LayerNorm(width, eps=_LN_EPS)
        self.ffn_in = RandomlyConnectedDense(width, 4 * width, density)
        self.ffn_out = RandomlyConnectedDense(4 * width, width, density)
        self.dropout = Dropout(drop_rate)

    def forward(self, x: torch.Tensor, packing: Packing,
                rows: torch.Tensor | None = None) -> torch.Tensor:
        """(N, H) packed -> (N, H), or (B, H) for ``rows`` only (see
        :meth:`MultiHeadAttention.forward_rows`)."""
        if rows is not None:
            a = self.attention.forward_rows(self.ln_attention(x), packing, rows)
            x = x.index_select(0, rows) + self.dropout(a)
        else:
            x = x + self.dropout(self.attention(self.ln_attention(x), packing))
        f = self.dropout(F.gelu(self.ffn_in(self.ln_ffn(x))))  # (N, 4H)
        return x + self.dropout(self.ffn_out(f))


class TransformerEncoder(nn.Module):
    """Rasa's ``TransformerEncoder``; see module docstring.

    Args:
        n_in: Input width.
        width: ``transformer_size`` H.
        blocks: The encoder blocks (built by :mod:`workbench.nlu.diet.builder`).
        density: ``connection_density`` of the input projection.
        drop_rate: Dropout after adding positions.
    """

    def __init__(self, n_in: int, width: int, blocks: list[TransformerBlock],
                 density: float, drop_rate: float) -> None:
        super().__init__()
        self.width = width
        self.project = RandomlyConnectedDense(n_in, width, density)
        self.project.l2_regularized = True  # Rasa regularises the input projection only
        self.dropout = Dropout(drop_rate)
        self.blocks = nn.ModuleList(blocks)
        self.ln_final = nn.LayerNorm(width, eps=_LN_EPS)
        self.register_buffer("positions", sinusoidal_positions(64, width),
                             persistent=False)

    def forward(self, x: torch.Tensor, packing: Packing,
                rows: torch.Tensor | None = None) -> torch.Tensor:
        """Encode.

        Args:
            x: (N, n_in) packed real positions.
            packing: Where they sit in the (batch, P) grid.
            rows: (B,) packed row of each example's last real position: return only
                those rows, and run the last block only where they need it (an intent
                classifier reads nothing else: the last block costs ~1/6 as much).

        Returns:
            (N, H), or (B, H) with ``rows``.
        """
        if packing.n_pos > self.positions.shape[0]:
            longer = sinusoidal_positions(2 * packing.n_pos, self.width)
            self.positions = longer.to(x.device)
        pe = self.positions.index_select(0, packing.positions)  # (N, H)
        x = self.dropout(self.project(x) * math.sqrt(self.width) + pe)  # (N, H)
        for number, block in enumerate(self.blocks, start=1):
            x = block(x, packing, rows if number == len(self.blocks) else None)
        if rows is not None and not self.blocks:
            x = x.index_select(0, rows)
        return self.ln_final(x)
