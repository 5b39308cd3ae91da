"""DIET's forward pass for parsing a few messages, straight from their features.

A parse is a short message (pizza: ~8 tokens) run through a 2-block transformer:
about 2 ms of CPU in :meth:`DietModel.predict`, a good part of it the fixed cost of
~150 small torch calls (module dispatch, packing bookkeeping, CSR weights, padding
grids) rather than arithmetic. :class:`ParseForward` computes the same encoder for up
to :data:`MAX_MESSAGES` messages on their packed rows: one dense ``linear`` per layer
on the model's own weight tensors (with one thread dense is faster than the CSR
copies the model uses for few rows), one attention call for all messages padded
to the longest with the padding keys masked, and the sparse inputs bagged straight
from each message's COO features (no collation). The intent and tag heads are the
model's own modules, so only the encoder is re-expressed here;
``tests/nlu/test_parse_forward.py`` checks it against ``DietModel.predict`` (same
tags; confidences and embeddings within 1e-5).

Models it does not cover (relative or unidirectional attention, dense features with
a concat layer, weights off the CPU or not float32) return None from
:meth:`ParseForward.build`, and the predictor keeps using ``DietModel.predict``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from workbench.nlu.features import MessageFeatures

MAX_MESSAGES = 16  # larger batches (evaluation) take DietModel.predict's padded path


@dataclass(frozen=True)
class _Dense:
    """A dense layer on the model's own weight (a view: in-place updates show)."""

    weight: torch.Tensor  # (out, in), masked-out connections already zero
    bias: torch.Tensor | None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)  # (N, in) -> (N, out)


@dataclass(frozen=True)
class _Block:
    ln_attention: nn.LayerNorm
    qkv: _Dense
    out: _Dense
    ln_ffn: nn.LayerNorm
    ffn_in: _Dense
    ffn_out: _Dense
    heads: int


def _dense(layer: nn.Module) -> _Dense:
    """A RandomlyConnectedDense / Embed as a plain dense layer (no copy)."""
    bias = layer.bias.detach() if layer.bias is not None else None
    return _Dense(layer.weight.detach(), bias)


class _Grid:
    """Where each message's packed rows sit in a (batch, longest) padded grid.

    One message needs no grid (its rows are the grid): every index is None then.
    """

    def __init__(self, sizes: np.ndarray, starts: np.ndarray) -> None:
        self.n_batch = len(sizes)
        self.longest = int(sizes.max())
        self.within: torch.Tensor | None = None  # packed row -> position in message
        self.cells: torch.Tensor | None = None  # packed row -> padded cell
        self.keys: torch.Tensor | None = None  # (B, 1, 1, P) True on real keys
        if self.n_batch > 1:
            within = np.arange(int(sizes.sum())) - np.repeat(starts, sizes)
            cells = np.repeat(np.arange(self.n_batch) * self.longest, sizes) + within
            self.within = torch.from_numpy(within)
            self.cells = torch.from_numpy(cells)
            real = np.arange(self.longest)[None, :] < sizes[:, None]  # (B, P)
            self.keys = torch.from_numpy(real[:, None, None, :])

    def unpack(self, x: torch.Tensor) -> torch.Tensor:
        """Packed (N, D) -> (B, P, D) with zeros on padding."""
        if self.cells is None:
            return x.view(1, self.longest, -1)
        out = x.new_zeros(self.n_batch * self.longest, x.shape[1])
        return out.index_copy_(0, self.cells, x).view(self.n_batch, self.longest, -1)

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """(B * P, D) -> packed (N, D): the rows of real positions."""
        return x if self.cells is None else x.index_select(0, self.cells)


class ParseForward:
    """The encoder of a loaded :class:`DietModel` as a lean function of messages."""

    def __init__(self, model: nn.Module) -> None:
        encoder = model.encoder
        inputs = encoder.inputs
        self.model = model
        self.has_sentence = bool(inputs.has_sentence)
        self.seq_bag = inputs.sequence.bag.weight.detach()  # (sequence_dim, dense)
        self.seq_bias = _bias(inputs.sequence)
        self.sent_bag = (inputs.sentence.bag.weight.detach()
                         if inputs.sentence is not None else None)
        self.sent_bias = _bias(inputs.sentence) if inputs.sentence is not None else None
        self.ffn = [_dense(layer) for layer in encoder.ffn.layers
                    if hasattr(layer, "weight")]
        transformer = encoder.transformer
        self.transformer = transformer is not None
        if transformer is not None:
            self.width = transformer.width
            self.project = _dense(transformer.project)
            self.positions = transformer.positions.detach()  # (64+, H)
            self.blocks = [
                _Block(b.ln_attention, _dense(b.attention.qkv), _dense(b.attention.out),
                       b.ln_ffn, _dense(b.ffn_in), _dense(b.ffn_out),
                       b.attention.heads)
                for b in transformer.blocks]
            self.ln_final = transformer.ln_final

    @classmethod
    def build(cls, model: nn.Module) -> ParseForward | None:
        """The lean forward of ``model``, or None where it does not apply."""
        try:
            encoder = model.encoder
            parameter = next(model.parameters())
        except (AttributeError, StopIteration):
            return None
        if parameter.device.type != "cpu" or parameter.dtype != torch.float32:
            return None
        if not isinstance(encoder.inputs.unify_seq, nn.Identity):
            return None  # dense features with a concat FFN: not covered
        for layer in encoder.ffn.layers:
            if not hasattr(layer, "weight") and not isinstance(layer, nn.GELU) and (
                    type(layer).__name__ != "Dropout"):
                return None
        transformer = encoder.transformer
        if transformer is not None:
            for block in transformer.blocks:
                attention = block.attention
                if (attention.unidirectional or attention.key_rel is not None
                        or attention.value_rel is not None):
                    return None
        return cls(model)

    @torch.inference_mode()
    def encode(self, messages: Sequence[MessageFeatures], sentence_only: bool = False,
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode messages as :class:`TextEncoder` does in eval mode.

        Args:
            messages: The messages.
            sentence_only: Return only the sentence slots' encodings, as
                ``TextEncoder.sentence_vectors`` (the last block then runs only there);
                needs sentence features.

        Returns:
            h: (batch, P, H) encodings, zeros on padding (P: longest message's
                tokens, plus one for the sentence slot); (batch, H) with
                ``sentence_only``.
            lengths: (batch,) int64 tokens per message.
        """
        slot = 1 if self.has_sentence else 0
        n_tokens = np.fromiter((len(m.tokens) for m in messages), np.int64,
                               len(messages))
        sizes = n_tokens + slot  # packed rows per message
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        n_rows = int(sizes.sum())
        x = self._bags([m.sequence for m in messages], starts, n_rows,
                       self.seq_bag, self.seq_bias)  # (N, dense)
        if self.has_sentence:
            sent = self._bags([m.sentence for m in messages],
                              np.arange(len(messages)), len(messages),
                              self.sent_bag, self.sent_bias)  # (B, dense)
            slot_rows = torch.from_numpy(starts + n_tokens)
            x = x.index_copy(0, slot_rows, sent)  # sentence at position T
        for layer in self.ffn:
            x = F.gelu(layer(x))  # (N, ffn)
        grid = _Grid(sizes, starts)
        if sentence_only:
            slot_rows = torch.from_numpy(starts + n_tokens)
            if self.transformer:
                return (F.gelu(self._transformer(x, grid, slot_rows)),
                        torch.from_numpy(n_tokens))  # (B, H)
            return x.index_select(0, slot_rows), torch.from_numpy(n_tokens)
        if self.transformer:
            x = F.gelu(self._transformer(x, grid))  # (N, H)
        return grid.unpack(x), torch.from_numpy(n_tokens)

    @staticmethod
    def _bags(parts: Sequence, starts: np.ndarray, n_bags: int,
              weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """Sum ``vals``-weighted rows of ``weight`` per bag: (n_bags, dense)."""
        if len(parts) == 1:
            rows, cols, vals = parts[0].rows, parts[0].cols, parts[0].vals
        else:
            counts = [p.nnz for p in parts]
            rows = np.concatenate([p.rows for p in parts]) + np.repeat(starts, counts)
            cols = np.concatenate([p.cols for p in parts])
            vals = np.concatenate([p.vals for p in parts])
        counts = np.bincount(rows, minlength=n_bags)[:n_bags]
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        out = F.embedding_bag(torch.from_numpy(np.asarray(cols, np.int64)), weight,
                              torch.from_numpy(offsets.astype(np.int64)), mode="sum",
                              per_sample_weights=torch.from_numpy(
                                  np.asarray(vals, np.float32)))  # (n_bags, dense)
        return out if bias is None else out + bias

    def _transformer(self, x: torch.Tensor, grid: _Grid,
                     rows: torch.Tensor | None = None) -> torch.Tensor:
        positions = self.positions
        if grid.longest > positions.shape[0]:
            from workbench.nlu.diet.transformer import sinusoidal_positions

            positions = sinusoidal_positions(2 * grid.longest, self.width)
        if grid.within is None:
            pe = positions[:grid.longest]  # (N, H)
        else:
            pe = positions.index_select(0, grid.within)  # (N, H)
        x = self.project(x) * math.sqrt(self.width) + pe  # (N, H)
        for number, block in enumerate(self.blocks, start=1):
            if rows is not None and number == len(self.blocks):
                a = self._attend_rows(block, block.ln_attention(x), grid, rows)
                x = x.index_select(0, rows) + block.out(a)  # (B, H)
            else:
                x = x + block.out(self._attend(block, block.ln_attention(x), grid))
            f = F.gelu(block.ffn_in(block.ln_ffn(x)))  # (N, 4H)
            x = x + block.ffn_out(f)
        if rows is not None and not self.blocks:
            x = x.index_select(0, rows)
        return self.ln_final(x)

    @staticmethod
    def _attend_rows(block: _Block, x: torch.Tensor, grid: _Grid,
                     rows: torch.Tensor) -> torch.Tensor:
        """Self-attention from one query row per message (its sentence slot):
        (N, H) -> (B, H); keys and values of every row, queries of ``rows`` only."""
        width = x.shape[1]
        weight = block.qkv.weight  # (3H, H): Q, K, V; no bias
        depth = width // block.heads
        q = F.linear(x.index_select(0, rows), weight[:width])  # (B, H)
        cube = grid.unpack(F.linear(x, weight[width:])).view(
            grid.n_batch, grid.longest, 2, block.heads, depth)
        k, v = cube.permute(2, 0, 3, 1, 4)  # each (B, h, P, d)
        q = q.view(grid.n_batch, block.heads, 1, depth)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=grid.keys)
        return a.reshape(grid.n_batch, width)

    @staticmethod
    def _attend(block: _Block, x: torch.Tensor, grid: _Grid) -> torch.Tensor:
        """Self-attention within each message's rows: (N, H) -> (N, H).

        Several messages go through one attention call, padded to the longest, with
        the padded keys masked (their queries' outputs are dropped again).
        """
        qkv = block.qkv(x)  # (N, 3H)
        width = x.shape[1]
        cube = grid.unpack(qkv).view(grid.n_batch, grid.longest, 3, block.heads,
                                     width // block.heads)
        q, k, v = cube.permute(2, 0, 3, 1, 4)  # each (B, h, P, d)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=grid.keys)
        return grid.pack(a.transpose(1, 2).reshape(-1, width))  # (N, H)

    @torch.inference_mode()
    def predict(self, messages: Sequence[MessageFeatures]) -> object:
        """What ``DietModel.predict`` returns for these messages (a DietPrediction)."""
        from workbench.nlu.diet.model import DietPrediction

        model = self.model
        if model.sentence_slots_only():
            # Nothing reads the tokens' encodings: encode the sentence slots only.
            cls, lengths = self.encode(messages, sentence_only=True)  # (B, H)
            sims, conf, emb = model.intent.predict(cls)
            return DietPrediction(sims, conf, emb, {}, lengths)
        h, lengths = self.encode(messages)  # (B, P, H), (B,)
        sims = conf = emb = None
        if model.intent is not None:
            sims, conf, emb = model.intent.predict(model.cls(h, lengths))
        tags: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        entity_tags = None
        for kind, head in model.tag_heads.items():
            ids, tag_conf = head.crf.decode(head.unaries(h, entity_tags), lengths)
            if kind == "entity":
                entity_tags = ids  # role/group heads see the predicted entity tags
            tags[kind] = (ids, tag_conf)
        return DietPrediction(sims, conf, emb, tags, lengths)


def _bias(layer: nn.Module) -> torch.Tensor | None:
    bias = getattr(layer, "bias", None)
    return bias.detach() if bias is not None else None
