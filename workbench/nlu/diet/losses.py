"""Rasa's ``SingleLabelDotProductLoss`` (§4.9) and the ``scale_loss`` factor.

Negatives are sampled uniformly with replacement (labels from all ``L`` labels, inputs
from the batch); collisions with the positive are masked with ``-1e9`` rather than
re-sampled, exactly as Rasa does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn import functional as F

if TYPE_CHECKING:
    from workbench.nlu.diet.config import DietConfig

_NEG = -1e9


@dataclass(frozen=True)
class Similarities:
    """The five similarity terms of one batch.

    Attributes:
        pos: (B, 1) ``sim(x_b, y_b)``.
        il: (B, K) input vs negative labels (bad ones at -1e9).
        ll: (B, K) positive label vs negative labels.
        ii: (B, K) input vs negative inputs.
        li: (B, K) positive label vs negative inputs.
    """

    pos: torch.Tensor
    il: torch.Tensor
    ll: torch.Tensor
    ii: torch.Tensor
    li: torch.Tensor


def similarity(a: torch.Tensor, b: torch.Tensor, kind: str) -> torch.Tensor:
    """``sum(a * b, -1)`` after L2-normalising both for ``cosine``."""
    if kind == "cosine":
        a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    return (a * b).sum(-1)


def sample_negatives(labels: torch.Tensor, n_labels: int, k: int,
                     generator: torch.Generator | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw K negative label ids and K negative in-batch input indices per example.

    Args:
        labels: (B,) gold label ids.
        n_labels: Number of labels L.
        k: Negatives per example.

    Returns:
        label_ids: (B, K) in ``[0, L)``; input_ids: (B, K) in ``[0, B)``.
    """
    n_batch = labels.shape[0]
    label_ids = torch.randint(n_labels, (n_batch, k), device=labels.device,
                              generator=generator)
    input_ids = torch.randint(n_batch, (n_batch, k), device=labels.device,
                              generator=generator)
    return label_ids, input_ids


def similarities(x: torch.Tensor, y: torch.Tensor, all_y: torch.Tensor,
                 labels: torch.Tensor, neg_labels: torch.Tensor,
                 neg_inputs: torch.Tensor, kind: str,
                 pool_ids: torch.Tensor | None = None) -> Similarities:
    """Compute the five terms with ``-1e9`` on bad negatives.

    Args:
        x: (B, E) input embeddings.
        y: (B, E) positive label embeddings.
        all_y: (L, E) all label embeddings.
        labels: (B,) gold label ids.
        neg_labels: (B, K) sampled label ids.
        neg_inputs: (B, K) sampled in-batch indices.
        kind: "inner" or "cosine".
        pool_ids: (L,) label id of each row of ``all_y`` (default: its index); the
            masked LM uses token ids so identical tokens are not negatives.
    """
    y_neg = all_y[neg_labels]  # (B, K, E)
    x_neg = x[neg_inputs]  # (B, K, E)
    neg_ids = neg_labels if pool_ids is None else pool_ids[neg_labels]  # (B, K)
    bad_label = (neg_ids == labels[:, None]).to(x.dtype) * _NEG  # (B, K)
    bad_input = (labels[neg_inputs] == labels[:, None]).to(x.dtype) * _NEG  # (B, K)
    return Similarities(
        pos=similarity(x, y, kind)[:, None],
        il=similarity(x[:, None], y_neg, kind) + bad_label,
        ll=similarity(y[:, None], y_neg, kind) + bad_label,
        ii=similarity(x[:, None], x_neg, kind) + bad_input,
        li=similarity(y[:, None], x_neg, kind) + bad_input,
    )


def scale_factor(loss: torch.Tensor) -> torch.Tensor:
    """Rasa's focal-style constant factor: ``((1-p)/0.5)^4`` if max p > 0.5, else 1.

    Args:
        loss: (B,) per-example negative log-likelihoods.
    """
    p = torch.exp(-loss).detach()  # (B,)
    factor = torch.pow((1 - p) / 0.5, 4)
    return torch.where(p.max() > 0.5, factor, torch.ones_like(factor))


class DotProductLoss(nn.Module):
    """Cross-entropy (optionally constrained) or margin loss over the five terms.

    Args:
        k: ``number_of_negative_examples``.
        kind: Similarity ("inner"/"cosine").
        loss_type: "cross_entropy" or "margin".
        constrain: ``constrain_similarities``.
        scale: ``scale_loss``.
        mu_pos, mu_neg, use_max_neg, neg_scale: margin-loss settings.
    """

    def __init__(self, k: int, kind: str, loss_type: str, *, constrain: bool,
                 scale: bool, mu_pos: float = 0.8, mu_neg: float = -0.4,
                 use_max_neg: bool = True, neg_scale: float = 0.8) -> None:
        super().__init__()
        self.k, self.kind, self.loss_type = k, kind, loss_type
        self.constrain, self.scale = constrain, scale
        self.mu_pos, self.mu_neg = mu_pos, mu_neg
        self.use_max_neg, self.neg_scale = use_max_neg, neg_scale

    def forward(self, x: torch.Tensor, y: torch.Tensor, all_y: torch.Tensor,
                labels: torch.Tensor, pool_ids: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (mean loss, accuracy); shapes as in :func:`similarities`."""
        neg_labels, neg_inputs = sample_negatives(labels, all_y.shape[0], self.k)
        sims = similarities(x, y, all_y, labels, neg_labels, neg_inputs, self.kind,
                            pool_ids)
        return self.loss(sims), accuracy(sims)

    def loss(self, s: Similarities) -> torch.Tensor:
        """Mean loss of a batch from its similarity terms."""
        if self.loss_type == "margin":
            return margin_loss(s, self.mu_pos, self.mu_neg, self.use_max_neg,
                               self.neg_scale)
        per_example = cross_entropy_loss(s, self.constrain)  # (B,)
        if self.scale:
            per_example = per_example * scale_factor(per_example)
        return per_example.mean()


def dot_product_loss(config: DietConfig, *, scale: bool) -> DotProductLoss:
    """Build the similarity loss of the intent head or the masked LM from ``config``.

    Args:
        config: Supplies K, similarity, loss type, constraint and margin settings.
        scale: Apply Rasa's ``scale_loss`` factor (the intent head follows the config;
            Rasa's masked LM never scales).
    """
    return DotProductLoss(
        config.number_of_negative_examples, config.similarity, config.loss_type,
        constrain=config.constrain_similarities, scale=scale,
        mu_pos=config.maximum_positive_similarity,
        mu_neg=config.maximum_negative_similarity,
        use_max_neg=config.use_maximum_negative_similarity,
        neg_scale=config.negative_margin_scale)


def cross_entropy_loss(s: Similarities, constrain: bool) -> torch.Tensor:
    """Per-example softmax CE with target index 0 (+ sigmoid BCE if constrained)."""
    if constrain:
        z = torch.cat([s.pos, s.il, s.li], dim=1)  # (B, 1+2K)
    else:
        z = torch.cat([s.pos, s.il, s.li, s.ii, s.ll], dim=1)  # (B, 1+4K)
    loss = torch.logsumexp(z, dim=1) - s.pos[:, 0]  # (B,)
    if constrain:
        every = torch.cat([s.pos, s.il, s.ll, s.ii, s.li], dim=1)  # (B, 1+4K)
        target = torch.zeros_like(every)
        target[:, 0] = 1.0
        bce = F.binary_cross_entropy_with_logits(every, target, reduction="none")
        loss = loss + bce.mean(dim=1)
    return loss


def margin_loss(s: Similarities, mu_pos: float, mu_neg: float, use_max: bool,
                alpha: float) -> torch.Tensor:
    """Rasa's margin loss (mean over the batch)."""
    loss = F.relu(mu_pos - s.pos[:, 0])  # (B,)
    if use_max:
        loss = loss + F.relu(mu_neg + s.il.max(dim=1).values)
    else:
        loss = loss + F.relu(mu_neg + s.il).sum(dim=1)
    for term in (s.ll, s.ii, s.li):
        loss = loss + alpha * F.relu(mu_neg + term.max(dim=1).values)
    return loss.mean()


def accuracy(s: Similarities) -> torch.Tensor:
    """Fraction of examples whose positive similarity beats every negative label."""
    return (s.pos[:, 0] >= s.il.max(dim=1).values).float().mean()
