"""Build a DietModel from a DietConfig and the shapes/names of the training data.

Optional parts (transformer, intent head, entity/role/group heads, masked LM) are
decided here once and passed in, so the model's ``forward`` does not branch on config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from workbench.nlu.diet.config import DietConfig
from workbench.nlu.diet.heads import IntentHead, LabelEncoder, TagHead
from workbench.nlu.diet.layers import Ffnn
from workbench.nlu.diet.losses import dot_product_loss
from workbench.nlu.diet.model import DietModel, TextEncoder
from workbench.nlu.diet.sparse_input import SparseSequenceInput
from workbench.nlu.diet.spec import ModelSpec
from workbench.nlu.diet.transformer import (
    MultiHeadAttention,
    TransformerBlock,
    TransformerEncoder,
)

if TYPE_CHECKING:
    from workbench.nlu.features import FeaturizedData

TAG_KINDS = ("entity", "role", "group")  # Rasa's fixed order


def spec_from_data(data: FeaturizedData, config: DietConfig) -> ModelSpec:
    """Read sizes and names from a ``FeaturizedData``; keep only heads that can train.

    Entity heads exist only with ``entity_recognition`` and at least one non-"O" tag;
    role/group heads only alongside an entity head.
    """
    tag_names: dict[str, tuple[str, ...]] = {}
    if config.entity_recognition:
        for kind in TAG_KINDS:
            names = tuple(data.tag_names.get(kind, ()))
            if len(names) > 1 and (kind == "entity" or "entity" in tag_names):
                tag_names[kind] = names
    intents = tuple(data.intent_names) if config.intent_classification else ()
    return ModelSpec(sequence_dim=int(data.sequence_dim),
                     sentence_dim=int(data.sentence_dim),
                     label_dim=int(data.label_dim), intent_names=intents,
                     tag_names=tag_names)


def label_matrix_from_data(data: FeaturizedData) -> torch.Tensor:
    """Densify the per-intent label features: (L, label_dim) float32."""
    n_labels = len(data.label_features)
    out = np.zeros((n_labels, int(data.label_dim)), dtype=np.float32)
    for i, rows in enumerate(data.label_features):
        np.add.at(out[i], np.asarray(rows.cols, dtype=np.int64),
                  np.asarray(rows.vals, dtype=np.float32))
    return torch.from_numpy(out)


def build_model(config: DietConfig, spec: ModelSpec,
                label_matrix: torch.Tensor | None = None) -> DietModel:
    """Create a freshly initialised model (uses torch's global RNG: seed it first).

    Args:
        config: Hyper-parameters.
        spec: Input sizes and label/tag names.
        label_matrix: (L, label_dim) label features; identity if None (loading a saved
            model overwrites it from the state dict).
    """
    encoder = _build_encoder(config, spec)
    intent = None
    if spec.intent_names:
        if label_matrix is None:
            label_matrix = torch.zeros(len(spec.intent_names), spec.label_dim)
        intent = _build_intent_head(config, encoder.out_dim, label_matrix)
    heads: dict[str, TagHead] = {}
    n_entity_tags = len(spec.tag_names.get("entity", ()))
    for kind, names in spec.tag_names.items():
        condition = n_entity_tags if kind != "entity" else 0
        heads[kind] = TagHead(encoder.out_dim, len(names), config.embedding_dimension,
                              condition, config.scale_loss)
    return DietModel(spec, encoder, intent, heads)


def _build_encoder(config: DietConfig, spec: ModelSpec) -> TextEncoder:
    drop, density = config.drop_rate, config.connection_density
    inputs = SparseSequenceInput(
        spec.sequence_dim, spec.sentence_dim, config.dense_dimension["text"],
        config.concat_dimension["text"], drop,
        sparse_dropout=config.use_sparse_input_dropout,
        dense_dropout=config.use_dense_input_dropout, density=density)
    ffn = Ffnn(inputs.out_dim, tuple(config.hidden_layers_sizes["text"]), density, drop)
    transformer = None
    width = config.transformer_size
    if config.number_of_transformer_layers > 0:
        blocks = [
            TransformerBlock(
                width,
                MultiHeadAttention(
                    width, config.number_of_attention_heads, density,
                    config.drop_rate_attention, config.unidirectional_encoder,
                    config.use_key_relative_attention,
                    config.use_value_relative_attention, config.max_relative_position),
                density, drop)
            for _ in range(config.number_of_transformer_layers)
        ]
        transformer = TransformerEncoder(ffn.out_dim, width, blocks, density, drop)
    masked_lm = None
    if config.use_masked_language_model and transformer is not None:
        from workbench.nlu.diet.masked_lm import MaskedLanguageModel

        masked_lm = MaskedLanguageModel(
            ffn.out_dim, width, spec.sequence_dim, config.embedding_dimension,
            dot_product_loss(config, scale=False))
    return TextEncoder(inputs, ffn, transformer, masked_lm)


def _build_intent_head(config: DietConfig, n_in: int,
                       label_matrix: torch.Tensor) -> IntentHead:
    dense = config.dense_dimension["label"]
    label_ffn = Ffnn(dense, tuple(config.hidden_layers_sizes["label"]),
                     config.connection_density, config.drop_rate)
    labels = LabelEncoder(label_matrix, dense, label_ffn, config.embedding_dimension)
    loss = dot_product_loss(config, scale=config.scale_loss)
    return IntentHead(n_in, config.embedding_dimension, labels, loss, config.similarity,
                      config.model_confidence)
