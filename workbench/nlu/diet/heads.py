"""DIET's task heads: intent (label embeddings + dot-product loss) and CRF tag heads."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from workbench.nlu.diet.crf import CRF
from workbench.nlu.diet.layers import Embed, Ffnn
from workbench.nlu.diet.losses import DotProductLoss, scale_factor, similarity
from workbench.nlu.diet.sparse_input import DenseForSparse


class LabelEncoder(nn.Module):
    """Embed every label from its features (§4.8): projection, sum pooling, FFN, Embed.

    Args:
        label_matrix: (L, label_dim) dense label features (one row per label).
        dense_dim: ``dense_dimension[label]``.
        ffn: The label hidden layers.
        embed_dim: E.
    """

    def __init__(self, label_matrix: torch.Tensor, dense_dim: int, ffn: Ffnn,
                 embed_dim: int) -> None:
        super().__init__()
        self.register_buffer("label_matrix", label_matrix.float())  # (L, label_dim)
        self.project = DenseForSparse(label_matrix.shape[1], dense_dim)
        self.ffn = ffn
        self.embed = Embed(ffn.out_dim, embed_dim)

    def forward(self) -> torch.Tensor:
        """Return all label embeddings (L, E); labels never get input dropout."""
        # One feature row per label, so the sum over the time axis is the row itself.
        return self.embed(self.ffn(self.project.dense(self.label_matrix)))


class IntentHead(nn.Module):
    """CLS -> Embed(text); labels -> LabelEncoder; dot-product loss against them."""

    def __init__(self, n_in: int, embed_dim: int, labels: LabelEncoder,
                 loss: DotProductLoss, similarity_kind: str, confidence: str) -> None:
        super().__init__()
        self.embed_text = Embed(n_in, embed_dim)
        self.labels = labels
        self.loss = loss
        self.similarity_kind = similarity_kind
        self.confidence = confidence

    def forward(self, cls: torch.Tensor, label_ids: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, H) CLS vectors, (batch,) gold ids -> (loss, accuracy)."""
        x = self.embed_text(cls).float()  # (B, E); float32 even under autocast
        all_y = self.labels().float()  # (L, E)
        return self.loss(x, all_y[label_ids], all_y, label_ids)

    def predict(self, cls: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return similarities (B, L), confidences (B, L) and embeddings (B, E)."""
        x = self.embed_text(cls).float()  # (B, E)
        all_y = self.labels().float()  # (L, E)
        sims = similarity(x[:, None], all_y[None], self.similarity_kind)  # (B, L)
        if self.confidence == "softmax":
            conf = torch.softmax(sims, dim=-1)
        elif self.confidence == "linear_norm":  # Rasa 2.x, deprecated
            pos = F.relu(sims)
            conf = pos / pos.sum(dim=-1, keepdim=True).clamp_min(1e-12)
        else:  # "auto" (margin loss): raw cosine similarities
            conf = sims
        return sims, conf, x


class TagHead(nn.Module):
    """Unary logits + CRF for one tag kind; optionally conditioned on entity tags.

    Args:
        n_in: Width of the text encoding.
        n_tags: Tags of this kind (0 = "O").
        embed_dim: E (size of the conditioning tag embedding).
        condition_tags: Number of entity-type tags to condition on (role/group), or 0.
        scale: ``scale_loss``.
    """

    def __init__(self, n_in: int, n_tags: int, embed_dim: int, condition_tags: int,
                 scale: bool) -> None:
        super().__init__()
        self.condition_tags = condition_tags
        self.condition = Embed(condition_tags, embed_dim) if condition_tags else None
        self.logits = Embed(n_in + (embed_dim if condition_tags else 0), n_tags)
        self.crf = CRF(n_tags)
        self.scale = scale

    def unaries(self, h: torch.Tensor,
                entity_tags: torch.Tensor | None) -> torch.Tensor:
        """(B, P, H) encodings (+ (B, P) entity tag ids) -> (B, P, n_tags) logits."""
        if self.condition is not None:
            one_hot = F.one_hot(entity_tags, self.condition_tags).to(h.dtype)  # (B,P,N)
            h = torch.cat([h, self.condition(one_hot)], dim=-1)  # (B, P, H+E)
        return self.logits(h)

    def loss(self, unaries: torch.Tensor, tags: torch.Tensor,
             lengths: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood (with Rasa's optional scale factor)."""
        nll = -self.crf.log_likelihood(unaries, tags, lengths)  # (B,)
        if self.scale:
            nll = nll * scale_factor(nll)
        return nll.mean()


def tag_counts(pred: torch.Tensor, gold: torch.Tensor,
               lengths: torch.Tensor) -> torch.Tensor:
    """Return [true positives, predicted non-O, gold non-O] on real tokens (3,)."""
    real = torch.arange(pred.shape[1], device=pred.device)[None, :] < lengths[:, None]
    pred_pos = (pred != 0) & real
    gold_pos = (gold != 0) & real
    tp = (pred_pos & (pred == gold)).sum()
    return torch.stack([tp, pred_pos.sum(), gold_pos.sum()])
