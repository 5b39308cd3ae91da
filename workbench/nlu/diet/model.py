"""DietModel: sparse inputs -> transformer -> intent and entity heads.

Read top to bottom: :class:`TextEncoder` builds the sequence (§4.3-§4.6),
:class:`DietModel.forward` computes the training losses and metrics, and
:meth:`DietModel.predict` what the predictor needs. Optional parts (entity heads,
masked LM) are decided by :mod:`workbench.nlu.diet.builder`, which passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn import functional as F

from workbench.nlu.diet.batching import Batch
from workbench.nlu.diet.heads import IntentHead, TagHead, tag_counts
from workbench.nlu.diet.layers import Ffnn
from workbench.nlu.diet.packing import Packing
from workbench.nlu.diet.sparse_input import SparseSequenceInput
from workbench.nlu.diet.spec import ModelSpec
from workbench.nlu.diet.transformer import TransformerEncoder

if TYPE_CHECKING:
    from workbench.nlu.diet.masked_lm import MaskedLanguageModel


class TextEncoder(nn.Module):
    """Input layer, hidden FFN, optional MLM masking, transformer + GELU."""

    def __init__(self, inputs: SparseSequenceInput, ffn: Ffnn,
                 transformer: TransformerEncoder | None,
                 masked_lm: MaskedLanguageModel | None = None) -> None:
        super().__init__()
        self.inputs = inputs
        self.ffn = ffn
        self.transformer = transformer
        self.masked_lm = masked_lm
        self.out_dim = transformer.width if transformer is not None else ffn.out_dim

    def forward(self, batch: Batch) -> tuple[
            torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """Return encodings (B, P, out_dim), mask (B, P), (MLM loss, m_acc) or None.

        Per-position layers run on the packed real positions only (see
        :mod:`workbench.nlu.diet.packing`); padding rows of the result are zero.
        """
        x, mask = self.inputs(batch)  # (N, dim) packed, (B, P)
        packing = Packing(mask)
        x = self.ffn(x)  # (N, ffn_dim)
        mlm_targets = None
        if self.masked_lm is not None and self.training:
            x, mlm_targets = self.masked_lm.mask_inputs(x, packing, batch)
        if self.transformer is None:
            return packing.unpack(x), mask, None
        h = F.gelu(self.transformer(x, packing))  # (N, H): Rasa's extra GELU
        mlm_loss = (self.masked_lm.loss(h, mlm_targets)
                    if self.masked_lm is not None and mlm_targets is not None
                    else None)
        return packing.unpack(h), mask, mlm_loss

    def sentence_vectors(self, batch: Batch) -> torch.Tensor:
        """Encodings of the sentence slots only: (B, out_dim).

        Equal to ``forward(batch)[0][b, lengths[b]]`` up to float rounding (MLM masking
        is not applied: call it where no MLM loss is wanted). The transformer's last
        block computes only the slot rows. Needs sentence features (every example then
        has a slot row).
        """
        x, mask = self.inputs(batch)  # (N, dim) packed, (B, P)
        x = self.ffn(x)  # (N, ffn_dim)
        if self.transformer is None:
            return x.index_select(0, batch.slot_rows)
        return F.gelu(self.transformer(x, Packing(mask), rows=batch.slot_rows))


@dataclass
class DietOutput:
    """Training-step result: tensors to back-propagate and metric inputs."""

    losses: dict[str, torch.Tensor] = field(default_factory=dict)
    accuracies: dict[str, torch.Tensor] = field(default_factory=dict)
    tag_counts: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass
class DietPrediction:
    """What :meth:`DietModel.predict` returns (tensors on the model's device).

    Attributes:
        intent_similarities: (B, L) raw similarities (None without intent head).
        intent_confidences: (B, L) confidences over all labels (softmax by default).
        sentence_embeddings: (B, E) Embed(text) of the sentence slot (None w/o intents).
        tags: kind -> ((B, P) tag ids, (B, P) confidences); P covers tokens + padding.
        lengths: (B,) tokens per message.
    """

    intent_similarities: torch.Tensor | None
    intent_confidences: torch.Tensor | None
    sentence_embeddings: torch.Tensor | None
    tags: dict[str, tuple[torch.Tensor, torch.Tensor]]
    lengths: torch.Tensor


class DietModel(nn.Module):
    """The DIET model; build it with :func:`workbench.nlu.diet.builder.build_model`.

    Args:
        spec: Input sizes and label/tag names the model was built for.
        encoder: The text encoder.
        intent: The intent head (None when intent classification is off).
        tag_heads: Tag heads by kind ("entity" first, then "role", "group").
    """

    def __init__(self, spec: ModelSpec, encoder: TextEncoder, intent: IntentHead | None,
                 tag_heads: dict[str, TagHead]) -> None:
        super().__init__()
        self.spec = spec
        self.encoder = encoder
        self.intent = intent
        self.tag_heads = nn.ModuleDict(tag_heads)

    def cls(self, h: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Pick the sentence slot (index T), else the last real token: (B, H)."""
        index = lengths if self.spec.sentence_dim > 0 else (lengths - 1).clamp(min=0)
        return h[torch.arange(h.shape[0], device=h.device), index]

    def sentence_slots_only(self) -> bool:
        """Whether only the intent head reads the encoder, so only the sentence slots'
        encodings are needed (no tag heads, no MLM loss this call, a slot row in every
        example); the lean parse forward asks the same."""
        return (self.intent is not None and self.spec.sentence_dim > 0
                and not self.tag_heads
                and not (self.training and self.encoder.masked_lm is not None))

    def forward(self, batch: Batch) -> DietOutput:
        """Compute the training losses of one batch (call in train mode)."""
        out = DietOutput()
        if self.sentence_slots_only():
            out.losses["i_loss"], out.accuracies["i_acc"] = self.intent(
                self.encoder.sentence_vectors(batch), batch.labels)
            return out
        h, _, mlm_loss = self.encoder(batch)  # (B, P, H)
        if mlm_loss is not None:
            out.losses["m_loss"], out.accuracies["m_acc"] = mlm_loss
        if self.intent is not None:
            out.losses["i_loss"], out.accuracies["i_acc"] = self.intent(
                self.cls(h, batch.lengths), batch.labels)
        entity_tags = batch.tags.get("entity")
        for kind, head in self.tag_heads.items():
            gold = batch.tags[kind]  # (B, P)
            unaries = head.unaries(h, entity_tags)  # teacher forcing for role/group
            out.losses[f"{kind[0]}_loss"] = head.loss(unaries, gold, batch.lengths)
            pred, _ = head.crf.decode(unaries.detach(), batch.lengths)
            out.tag_counts[f"{kind[0]}_f1"] = tag_counts(pred, gold, batch.lengths)
        return out

    @torch.no_grad()
    def predict(self, batch: Batch) -> DietPrediction:
        """Predict intents and tags of a collated batch (call in eval mode)."""
        if self.sentence_slots_only():
            sims, conf, emb = self.intent.predict(self.encoder.sentence_vectors(batch))
            return DietPrediction(sims, conf, emb, {}, batch.lengths)
        h, _, _ = self.encoder(batch)  # (B, P, H)
        sims = conf = emb = None
        if self.intent is not None:
            sims, conf, emb = self.intent.predict(self.cls(h, batch.lengths))
        tags: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        entity_tags = None
        for kind, head in self.tag_heads.items():
            ids, tag_conf = head.crf.decode(head.unaries(h, entity_tags), batch.lengths)
            if kind == "entity":
                entity_tags = ids  # role/group heads see the predicted entity tags
            tags[kind] = (ids, tag_conf)
        return DietPrediction(sims, conf, emb, tags, batch.lengths)

    def sentence_embeddings(self, batch: Batch) -> torch.Tensor:
        """Embed the sentences of a collated batch: (B, E); no tag decoding.

        Raises:
            ValueError: The model has no intent head (``intent_classification`` off).
        """
        if self.intent is None:
            raise ValueError("this model has no sentence embeddings: it was trained "
                             "with intent_classification: false")
        if self.spec.sentence_dim > 0:
            cls = self.encoder.sentence_vectors(batch)
        else:
            h, _, _ = self.encoder(batch)  # (B, P, H)
            cls = self.cls(h, batch.lengths)
        _, _, emb = self.intent.predict(cls)
        return emb

    @torch.no_grad()
    def apply_connection_masks_(self) -> None:
        """Re-zero every randomly connected layer's masked weights (after each step)."""
        for module in self.modules():
            apply = getattr(module, "apply_mask_", None)
            if apply is not None:
                apply()
