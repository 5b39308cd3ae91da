"""Prediction results as plain, torch-free dataclasses (imported eagerly by the GUI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class IntentScore:
    """One intent with its confidence."""

    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class EntityPrediction:
    """One extracted entity (character offsets into the parsed text)."""

    entity: str
    start: int
    end: int
    value: str  # after synonym mapping
    confidence: float  # confidence_entity
    text: str = ""  # the surface text (before synonym mapping)
    role: str | None = None
    role_confidence: float | None = None
    group: str | None = None
    group_confidence: float | None = None
    processors: tuple[str, ...] = ()
    extractor: str = "DIETClassifier"

    def to_rasa(self) -> dict[str, Any]:
        """The entity in Rasa's parse shape."""
        out: dict[str, Any] = {
            "entity": self.entity, "start": self.start, "end": self.end,
            "confidence_entity": self.confidence,
        }
        if self.role is not None:
            out["role"] = self.role
            out["confidence_role"] = self.role_confidence
        if self.group is not None:
            out["group"] = self.group
            out["confidence_group"] = self.group_confidence
        out["value"] = self.value
        out["extractor"] = self.extractor
        if self.processors:
            out["processors"] = list(self.processors)
        return out


@dataclass(frozen=True, slots=True)
class TokenTag:
    """A token with the tag predicted for it per tag kind."""

    text: str
    start: int
    end: int
    tags: dict[str, str] = field(default_factory=dict)  # kind -> tag, e.g. "U-city"
    confidences: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Prediction:
    """Everything the message tester shows for one text.

    Attributes:
        text: the parsed text.
        intent: the top intent (None for empty text or a model without intents).
        ranking: intents by confidence (``ranking_length`` entries; 0 -> all).
        entities: extracted entities (synonyms applied).
        tokens: tokens with their predicted non-O tags (every tag kind's tag and
            confidence, O included, when predicted with ``all_tags=True``).
        embedding: float32 ``(embedding_dimension,)`` sentence embedding (or empty).
        truncated: True if the text was longer than the model reads and was cut.
    """

    text: str
    intent: IntentScore | None
    ranking: tuple[IntentScore, ...]
    entities: tuple[EntityPrediction, ...]
    tokens: tuple[TokenTag, ...] = ()
    embedding: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    truncated: bool = False

    def to_rasa(self) -> dict[str, Any]:
        """Rasa's ``parse`` output: text, intent, intent_ranking, entities."""
        intent = ({"name": self.intent.name, "confidence": self.intent.confidence}
                  if self.intent is not None else {"name": None, "confidence": 0.0})
        return {
            "text": self.text,
            "intent": intent,
            "intent_ranking": [{"name": s.name, "confidence": s.confidence}
                               for s in self.ranking],
            "entities": [e.to_rasa() for e in self.entities],
        }
