"""Masked language model auxiliary loss (``use_masked_language_model``, §4.12).

Works on the packed pre-transformer rows (see :mod:`workbench.nlu.diet.packing`). Each
real token (never the sentence slot) is selected with probability 0.15; selected rows
become a trainable mask vector (70 %), a random row of the batch (10 %; padding counts
as uniform noise in ``[min x, max x]``, as in Rasa's shuffled batch), or stay (20 %).
The transformer output at selected rows must pick out the embedding of the original
row among the other selected tokens, with the intent loss's dot-product machinery;
tokens with identical "token ids" (a frozen random 2-d projection of their sparse
features) are not used as negatives of each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from workbench.nlu.diet.layers import Embed, glorot_uniform_
from workbench.nlu.diet.losses import DotProductLoss
from workbench.nlu.diet.packing import Packing
from workbench.nlu.diet.sparse_input import DenseForSparse

if TYPE_CHECKING:
    from workbench.nlu.diet.batching import Batch

_SELECT = 0.15
_MASK_VECTOR = 0.7
_RANDOM_TOKEN = 0.1


@dataclass
class MaskedTargets:
    """What the loss needs: selected packed rows, their clean inputs and token ids."""

    rows: torch.Tensor  # (M,) packed row ids
    clean: torch.Tensor  # (M, dim) unmasked inputs
    token_ids: torch.Tensor  # (M,) integer id per distinct token-id vector


class MaskedLanguageModel(nn.Module):
    """Masking of the inputs plus the MLM loss.

    Args:
        n_in: Width of the pre-transformer rows.
        width: Transformer width H.
        sequence_dim: Width of the sparse sequence features (for token ids).
        embedding_dimension: Width E of the compared embeddings.
        loss_fn: The dot-product loss (built by ``losses.dot_product_loss``).
    """

    def __init__(self, n_in: int, width: int, sequence_dim: int,
                 embedding_dimension: int, loss_fn: DotProductLoss) -> None:
        super().__init__()
        self.mask_vector = nn.Parameter(torch.empty(n_in))
        glorot_uniform_(self.mask_vector.view(1, -1), 1, n_in)
        self.token_projection = DenseForSparse(sequence_dim, 2, bias=False)
        self.token_projection.requires_grad_(False)  # frozen random projection
        self.token_projection.l2_regularized = False
        self.embed_output = Embed(width, embedding_dimension)
        self.embed_target = Embed(n_in, embedding_dimension)
        self.loss_fn = loss_fn

    def mask_inputs(self, x: torch.Tensor, packing: Packing,
                    batch: Batch) -> tuple[torch.Tensor, MaskedTargets]:
        """Mask some real token rows of ``x`` (N, dim); return new rows + targets."""
        example = packing.index // packing.n_pos  # (N,)
        is_token = packing.positions < batch.lengths[example]  # (N,) not the CLS slot
        u = torch.rand(x.shape[0], device=x.device)
        selected = is_token & (u < _SELECT)
        if not bool(selected.any()):  # Rasa forces position (0, 0)
            selected = torch.zeros_like(selected)
            selected[int(torch.argmax(is_token.int()))] = True
        rows = selected.nonzero().squeeze(1)  # (M,)
        with torch.no_grad():
            ids = self.token_projection(batch.seq_cols, batch.seq_vals,
                                        batch.seq_offsets)[rows]  # (M, 2)
            token_ids = torch.unique(ids, dim=0, return_inverse=True)[1]  # (M,)
            noise = torch.empty(packing.n_batch * packing.n_pos, x.shape[1],
                                device=x.device)
            noise.uniform_(float(x.min()), float(x.max()))
            noise[packing.index] = x.detach()
            random_rows = noise[torch.randint(noise.shape[0], (len(rows),),
                                              device=x.device)]  # (M, dim)
        choice = torch.rand(len(rows), 1, device=x.device)
        kept = torch.where(choice < _MASK_VECTOR + _RANDOM_TOKEN, random_rows, x[rows])
        replaced = torch.where(choice < _MASK_VECTOR,
                               self.mask_vector.expand_as(kept), kept)
        masked = x.index_copy(0, rows, replaced)
        return masked, MaskedTargets(rows, x[rows], token_ids)

    def loss(self, h: torch.Tensor,
             targets: MaskedTargets) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, H) transformer outputs -> (MLM loss, m_acc)."""
        predicted = self.embed_output(h[targets.rows]).float()  # (M, E)
        wanted = self.embed_target(targets.clean).float()  # (M, E)
        return self.loss_fn(predicted, wanted, wanted, targets.token_ids,
                            pool_ids=targets.token_ids)
