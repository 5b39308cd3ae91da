"""Continue training an earlier model after intents or entity types were added.

Rasa's finetuning refuses new labels. Here :func:`expand_model` builds a model for the
new label/tag sets and copies every old weight into it; rows (and CRF columns) of labels
and tags are matched by NAME, so old intents keep their embeddings even when a new
intent shifts the alphabetical ids. New labels/tags keep their fresh initialisation.
"""

from __future__ import annotations

import torch

from workbench.nlu.diet.builder import build_model
from workbench.nlu.diet.config import DietConfig
from workbench.nlu.diet.model import DietModel
from workbench.nlu.diet.spec import ModelSpec


def expand_model(old: DietModel, config: DietConfig, spec: ModelSpec,
                 label_matrix: torch.Tensor) -> DietModel:
    """Return a new model for ``spec`` initialised from ``old`` wherever possible.

    Args:
        old: The earlier model (any device).
        config: The config to train with (architecture must match the old one).
        spec: Sizes and names of the new training data.
        label_matrix: (L_new, label_dim_new) label features of the new data.

    Raises:
        ValueError: The input features or the architecture differ from the old model's.
    """
    if (old.spec.sequence_dim, old.spec.sentence_dim) != (spec.sequence_dim,
                                                          spec.sentence_dim):
        raise ValueError(
            "Cannot finetune: the featurizers produce different feature sizes than the "
            f"old model was trained on (sequence {old.spec.sequence_dim} -> "
            f"{spec.sequence_dim}, sentence {old.spec.sentence_dim} -> "
            f"{spec.sentence_dim}). Reuse the old model's featurizers or train from "
            "scratch.")
    new = build_model(config, spec, label_matrix)
    old_state = {k: v.detach().cpu() for k, v in old.state_dict().items()}
    new_state = new.state_dict()
    maps = _axis_maps(old, spec, label_matrix)
    for key, target in new_state.items():
        if key not in old_state or key.endswith("label_matrix"):
            continue  # a new head, or data (the new label features)
        source = old_state[key]
        axes = maps.get(key, {})
        if not axes:
            if source.shape != target.shape:
                raise ValueError(f"Cannot finetune: weight '{key}' has shape "
                                 f"{tuple(source.shape)} in the old model and "
                                 f"{tuple(target.shape)} now; the architecture options "
                                 "must stay the same.")
            target.copy_(source)
            continue
        _copy_mapped(source, target, axes, key)
    new.load_state_dict(new_state)
    new.apply_connection_masks_()
    return new


def _pairs(old_names: tuple[str, ...], new_names: tuple[str, ...]
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """(new positions, old positions) of names present in both lists."""
    where = {name: i for i, name in enumerate(old_names)}
    pairs = [(j, where[name]) for j, name in enumerate(new_names) if name in where]
    if not pairs:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    new_pos, old_pos = zip(*pairs, strict=True)
    return torch.tensor(new_pos), torch.tensor(old_pos)


def _axis_maps(old: DietModel, spec: ModelSpec, label_matrix: torch.Tensor) -> dict:
    """Per state-dict key: axis -> (new positions, old positions)."""
    maps: dict[str, dict[int, tuple[torch.Tensor, torch.Tensor]]] = {}
    if (old.intent is not None and spec.intent_names
            and old.spec.label_dim != spec.label_dim):
        # One-hot label features grew with the intents: follow each shared intent's
        # active feature column. (Same width = same label featurizer: plain copy.)
        old_matrix = old.intent.labels.label_matrix.detach().cpu()
        new_pos, old_pos = _pairs(old.spec.intent_names, spec.intent_names)
        new_cols = label_matrix[new_pos].argmax(dim=1) if len(new_pos) else new_pos
        old_cols = old_matrix[old_pos].argmax(dim=1) if len(old_pos) else old_pos
        maps["intent.labels.project.bag.weight"] = {0: (new_cols, old_cols)}
    for kind, names in spec.tag_names.items():
        old_names = old.spec.tag_names.get(kind)
        if old_names is None:
            continue
        rows = _pairs(old_names, names)
        prefix = f"tag_heads.{kind}."
        maps[prefix + "logits.weight"] = {0: rows}
        maps[prefix + "logits.bias"] = {0: rows}
        maps[prefix + "crf.weight"] = {0: rows, 1: rows}
        if kind != "entity" and "entity" in old.spec.tag_names:
            entity_rows = _pairs(old.spec.tag_names["entity"], spec.tag_names["entity"])
            maps[prefix + "condition.weight"] = {1: entity_rows}
    return maps


def _copy_mapped(source: torch.Tensor, target: torch.Tensor, axes: dict,
                 key: str) -> None:
    for axis in range(source.dim()):
        if axis not in axes and source.shape[axis] != target.shape[axis]:
            raise ValueError(f"Cannot finetune: weight '{key}' changed size on an axis "
                             "that is not a label axis; keep the architecture options.")
    index_new = [slice(None)] * source.dim()
    index_old = [slice(None)] * source.dim()
    if len(axes) == 2:  # square CRF transitions: rows and columns by tag name
        new_pos, old_pos = axes[0]
        old_block = source[old_pos[:, None], old_pos[None, :]]
        target[new_pos[:, None], new_pos[None, :]] = old_block
        return
    axis, (new_pos, old_pos) = next(iter(axes.items()))
    index_new[axis] = new_pos
    index_old[axis] = old_pos
    target[tuple(index_new)] = source[tuple(index_old)]

