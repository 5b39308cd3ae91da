"""From sparse COO features to a dense sequence: Rasa's input layers (§4.3).

A batch arrives as "bags": every real position (tokens and the sentence slot, packed
row-major, see :mod:`workbench.nlu.diet.packing`) is a bag of (column, value) entries,
so the sparse->dense projection is one ``EmbeddingBag(mode="sum",
per_sample_weights=...)`` call and padding is never materialised. Measured forward +
backward for 800 rows x 28k non-zeros (2984 -> 128, one thread): EmbeddingBag 3.7 ms,
``torch.sparse.mm`` on COO 4.5 ms (CSR 3.8 ms plus a conversion per batch), gather +
``index_add`` 14.3 ms.

In training the kernel's gradient is row-sparse: only the columns a batch uses get one.
A dense gradient costs a freshly allocated, zero-filled kernel-sized buffer per step and
a kernel-sized L2 pass (SNIPS: 2 x 39,850 x 128 floats, ~40 MB; the regulariser alone
was a fifth of a SNIPS step at batch 64). :class:`DenseForSparse` accumulates its
gradient into one buffer it keeps, zeroes only the rows the last step wrote, and applies
Rasa's L2 rule to the touched rows only (:meth:`DenseForSparse.add_l2_gradient_`; rows
without a gradient get none from the rule either, so the result is the same). Adam still
updates every row, as Rasa's dense Adam does.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from workbench.nlu.diet.layers import Dropout, Ffnn, glorot_uniform_, keep_mask


class SparseDropout(nn.Module):
    """Drop stored non-zero entries with probability ``rate``; no rescaling (Rasa)."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, vals: torch.Tensor) -> torch.Tensor:
        """(nnz,) -> (nnz,) with dropped entries set to zero (training only)."""
        if not self.training or self.rate <= 0:
            return vals
        return vals * keep_mask(vals.shape, self.rate, vals.device)


class _RowSparseBag(torch.autograd.Function):
    """``embedding_bag`` whose kernel gradient goes to the layer's own buffer.

    Autograd sees no gradient for the kernel (``None``); :meth:`backward` hands the
    gradient rows of the columns in the batch to
    :meth:`DenseForSparse._accumulate_rows` instead.
    """

    @staticmethod
    def forward(ctx: object, weight: torch.Tensor, cols: torch.Tensor,
                vals: torch.Tensor, offsets: torch.Tensor,
                layer: DenseForSparse) -> torch.Tensor:
        ctx.save_for_backward(cols, vals, offsets)
        ctx.layer = layer
        return F.embedding_bag(cols, weight, offsets, mode="sum",
                               per_sample_weights=vals)  # (n_bags, out)

    @staticmethod
    def backward(ctx: object, grad_out: torch.Tensor) -> tuple[None, ...]:
        cols, vals, offsets = ctx.saved_tensors
        n_bags, nnz = offsets.shape[0], cols.shape[0]
        counts = torch.diff(offsets, append=offsets.new_tensor([nnz]))  # (n_bags,)
        bag = torch.repeat_interleave(
            torch.arange(n_bags, device=offsets.device), counts)  # (nnz,)
        # dW[rows] = S^T grad_out over the distinct columns only, S^T as a sparse
        # (rows, n_bags) matrix: ~2x faster than scaling and scattering nnz copies of
        # grad_out rows (SNIPS, 48k entries x 128: 3.6 vs 6.7 ms).
        rows, inverse = torch.unique(cols, return_inverse=True)  # (R,), (nnz,)
        s_t = torch.sparse_coo_tensor(torch.stack([inverse, bag]),
                                      vals.to(grad_out.dtype), (len(rows), n_bags),
                                      check_invariants=False)
        ctx.layer._accumulate_rows(rows, torch.sparse.mm(s_t, grad_out))  # (R, out)
        return None, None, None, None, None


class DenseForSparse(nn.Module):
    """Linear layer ``x W + b`` applied to sparse rows given as bags of entries.

    Glorot-uniform ``W`` of shape ``(in, out)`` (Rasa's layout), zero bias, no
    activation; ``W`` is L2-regularised. In training, the kernel's gradient is
    accumulated row-sparsely into a buffer the layer keeps (see the module docstring);
    ``weight.grad`` is that buffer, zero outside the rows of the current step.
    """

    l2_regularized = True

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(n_in, n_out, mode="sum")
        glorot_uniform_(self.bag.weight, n_in, n_out)
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None
        self._grad_buffer: torch.Tensor | None = None
        # Row ids written into the buffer since it was last cleared (None: the current
        # gradient is not the buffer, e.g. it came from :meth:`dense`).
        self._touched: list[torch.Tensor] | None = None

    def _accumulate_rows(self, cols: torch.Tensor, contrib: torch.Tensor) -> None:
        """Add ``contrib`` (R, out) into the distinct rows ``cols`` of the gradient."""
        weight = self.bag.weight
        buffer = self._grad_buffer
        if weight.grad is None:  # first gradient since zero_grad(set_to_none=True)
            if (buffer is None or buffer.shape != weight.shape
                    or buffer.dtype != weight.dtype or buffer.device != weight.device):
                buffer = self._grad_buffer = torch.zeros_like(weight)
            elif self._touched:
                buffer.index_fill_(0, torch.cat(self._touched), 0.0)
            self._touched = []
            weight.grad = buffer
        elif weight.grad is not buffer:  # a dense gradient from elsewhere: add to it
            self._touched = None
            weight.grad.index_add_(0, cols, contrib.to(weight.grad.dtype))
            return
        elif self._touched is None:  # zero_grad(set_to_none=False) zeroed the buffer
            self._touched = []
        buffer.index_add_(0, cols, contrib.to(buffer.dtype))
        self._touched.append(cols)

    @torch.no_grad()
    def add_l2_gradient_(self, lam: float) -> None:
        """Rasa's L2 rule (``+2 lam W`` where the gradient is positive), rows touched.

        Same result as :func:`workbench.nlu.diet.regularization.
        add_regularization_gradients_` on the whole kernel: untouched rows have a zero
        gradient, where the rule adds nothing.
        """
        weight = self.bag.weight
        grad = weight.grad
        if lam <= 0 or grad is None:
            return
        if grad is not self._grad_buffer or self._touched is None:
            grad.add_(torch.where(grad > 0, weight, torch.zeros_like(weight)),
                      alpha=2 * lam)
            return
        if not self._touched:
            return
        rows = torch.unique(torch.cat(self._touched))  # (R,)
        part = grad.index_select(0, rows)  # (R, out)
        reg = weight.index_select(0, rows)
        part.add_(torch.where(part > 0, reg, torch.zeros_like(reg)), alpha=2 * lam)
        grad.index_copy_(0, rows, part)

    @property
    def weight(self) -> torch.Tensor:
        """The kernel, shape (in, out)."""
        return self.bag.weight

    def forward(self, cols: torch.Tensor, vals: torch.Tensor,
                offsets: torch.Tensor) -> torch.Tensor:
        """Project bags of entries.

        Args:
            cols: (nnz,) int64 column ids, grouped by bag in bag order.
            vals: (nnz,) float values.
            offsets: (n_bags,) int64 start of each bag in ``cols``.

        Returns:
            (n_bags, out); empty bags give the bias.
        """
        weight = self.bag.weight
        if (weight.requires_grad and torch.is_grad_enabled()
                and not vals.requires_grad):
            out = _RowSparseBag.apply(weight, cols, vals, offsets, self)
        else:
            out = self.bag(cols, offsets, per_sample_weights=vals)  # (n_bags, out)
        return out if self.bias is None else out + self.bias

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        """Project a dense input (..., in) -> (..., out) (used for small label data)."""
        out = x @ self.bag.weight
        return out if self.bias is None else out + self.bias


class SparseSequenceInput(nn.Module):
    """Rasa's text input: sparse dropout, projection, dense dropout, sentence slot.

    The sentence vector is added at position ``T`` of each example (right after its
    last real token, not at ``Tmax``), so the output is ``(batch, Tmax+1, dim)`` with a
    combined mask of length ``T+1``.

    Args:
        sequence_dim: Width of the sparse sequence features.
        sentence_dim: Width of the sparse sentence features (0 = none).
        dense_dim: ``dense_dimension`` of the attribute.
        concat_dim: ``concat_dimension`` used when the two widths differ.
        drop_rate: Dropout rate.
        sparse_dropout: Use sparse input dropout.
        dense_dropout: Use dense input dropout.
        density: ``connection_density`` for the concat FFN.
    """

    def __init__(self, sequence_dim: int, sentence_dim: int, dense_dim: int,
                 concat_dim: int, drop_rate: float, *, sparse_dropout: bool,
                 dense_dropout: bool, density: float) -> None:
        super().__init__()
        self.has_sentence = sentence_dim > 0
        self.sparse_dropout = SparseDropout(drop_rate if sparse_dropout else 0.0)
        self.dense_dropout = Dropout(drop_rate if dense_dropout else 0.0)
        self.sequence = DenseForSparse(sequence_dim, dense_dim)
        self.sentence = (DenseForSparse(sentence_dim, dense_dim) if self.has_sentence
                         else None)
        # Both parts are sparse and share dense_dim, so the widths only differ if a
        # dense featurizer is added; kept for that case (Rasa's concat FFN, §4.3 #6).
        seq_width = dense_dim
        sent_width = dense_dim if self.has_sentence else seq_width
        if seq_width != sent_width:  # pragma: no cover - needs dense features
            self.unify_seq = Ffnn(seq_width, (concat_dim,), density, drop_rate)
            self.unify_sent = Ffnn(sent_width, (concat_dim,), density, drop_rate)
        else:
            self.unify_seq = self.unify_sent = nn.Identity()
        self.out_dim = concat_dim if seq_width != sent_width else seq_width

    def forward(self, batch: object) -> tuple[torch.Tensor, torch.Tensor]:
        """Build the input rows of a collated batch.

        Returns:
            x: (N, dim) packed real positions: each example's tokens, then (with
                sentence features) its sentence vector at position T.
            mask: (batch, P) bool, true on those positions (P = Tmax + 1 with sentence
                features, else Tmax).
        """
        lengths = batch.lengths  # (B,)
        positions = torch.arange(batch.n_positions, device=lengths.device)  # (P,)
        vals = self.sparse_dropout(batch.seq_vals)
        seq = self.sequence(batch.seq_cols, vals, batch.seq_offsets)  # (N, dense)
        seq = self.unify_seq(self.dense_dropout(seq))  # (N, dim)
        if self.sentence is None:
            return seq, positions[None, :] < lengths[:, None]
        vals = self.sparse_dropout(batch.sent_vals)
        sent = self.sentence(batch.sent_cols, vals, batch.sent_offsets)  # (B, dense)
        sent = self.unify_sent(self.dense_dropout(sent))  # (B, dim)
        # The sentence slot replaces the (masked-out) sequence row at position T.
        x = seq.index_copy(0, batch.slot_rows, sent)  # (N, dim)
        return x, positions[None, :] <= lengths[:, None]
