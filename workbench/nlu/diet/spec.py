"""ModelSpec: the data-dependent sizes and names a DietModel is built for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelSpec:
    """Everything besides DietConfig needed to rebuild a model before loading weights.

    Attributes:
        sequence_dim: Width of the sparse sequence features.
        sentence_dim: Width of the sparse sentence features (0 = none).
        label_dim: Width of the label features.
        intent_names: Label names, index = label id (empty without intent head).
        tag_names: Tag kind -> tag names, index = tag id (only kinds with a CRF head).
    """

    sequence_dim: int
    sentence_dim: int
    label_dim: int
    intent_names: tuple[str, ...] = ()
    tag_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-able data."""
        return {"sequence_dim": self.sequence_dim, "sentence_dim": self.sentence_dim,
                "label_dim": self.label_dim, "intent_names": list(self.intent_names),
                "tag_names": {k: list(v) for k, v in self.tag_names.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(int(data["sequence_dim"]), int(data["sentence_dim"]),
                   int(data["label_dim"]), tuple(data.get("intent_names", ())),
                   {k: tuple(v) for k, v in data.get("tag_names", {}).items()})
