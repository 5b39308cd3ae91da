"""Tiny synthetic FeaturizedData and a tiny DIET config for fast model tests."""

from __future__ import annotations

import random

import numpy as np

from workbench.nlu.diet.config import DietConfig
from workbench.nlu.features import FeaturizedData, MessageFeatures
from workbench.nlu.sparse import SparseRows
from workbench.nlu.tokenizers import Token

# intent -> templates; "{city}" is an entity slot (tag type "city", role "to"/"from").
TEMPLATES = {
    "book": [
        "book a flight to {city}",
        "fly me to {city}",
        "i want to go to {city} now",
        "ticket from {city_from} to {city}",
    ],
    "bye": ["bye", "goodbye", "see you later", "bye bye"],
    "greet": ["hi", "hello there", "hey", "good morning"],
    "weather": ["weather in {city}", "is it raining in {city}", "forecast for {city}"],
}
CITIES = ["paris", "berlin", "new york", "rome", "san francisco"]


def make_data(intents: tuple[str, ...] = ("book", "bye", "greet", "weather"),
              n_per_intent: int = 8, seed: int = 0, with_roles: bool = False,
              vocab: list[str] | None = None) -> FeaturizedData:
    """Build a FeaturizedData following the contract (docs/internal-interfaces.md).

    Sequence features: one-hot word id + a constant column; sentence: bag of words.
    Entity tags use BILOU ids for the single type "city"; roles "from"/"to" optional.
    """
    rng = random.Random(seed)
    texts, spans = [], []
    for intent in intents:
        for i in range(n_per_intent):
            template = TEMPLATES[intent][i % len(TEMPLATES[intent])]
            words, ents = [], []
            for part in template.split():
                if part in ("{city}", "{city_from}"):
                    city = rng.choice(CITIES).split()
                    ents.append((len(words), len(words) + len(city),
                                 "from" if part == "{city_from}" else "to"))
                    words += city
                else:
                    words.append(part)
            texts.append((intent, words))
            spans.append(ents)
    vocab = vocab or sorted({w for _, ws in texts for w in ws} | {"unknown"})
    dim = len(vocab) + 1
    names = tuple(sorted(set(intents)))
    messages, ids, entity_tags, role_tags = [], [], [], []
    for (intent, words), ents in zip(texts, spans, strict=True):
        tokens, start = [], 0
        for w in words:
            tokens.append(Token(w, start, start + len(w)))
            start += len(w) + 1
        word_ids = [
            vocab.index(w) if w in vocab else vocab.index("unknown") for w in words
        ]
        n = len(words)
        rows = np.repeat(np.arange(n), 2)
        cols = np.array([[c, dim - 1] for c in word_ids]).reshape(-1)
        seq = SparseRows((n, dim), rows.astype(np.int64), cols.astype(np.int64),
                         np.ones(2 * n, dtype=np.float32))
        bag = np.bincount(word_ids, minlength=dim).astype(np.float32)
        nz = np.flatnonzero(bag)
        sent = SparseRows(
            (1, dim), np.zeros(len(nz), dtype=np.int64), nz.astype(np.int64), bag[nz]
        )
        messages.append(MessageFeatures(tuple(tokens), seq, sent))
        ids.append(names.index(intent))
        ent = np.zeros(n, dtype=np.int64)
        role = np.zeros(n, dtype=np.int64)
        for s, e, r in ents:
            bilou = [4] if e - s == 1 else [1] + [2] * (e - s - 2) + [3]
            ent[s:e] = bilou
            role[s:e] = [b + (4 if r == "to" else 0) for b in bilou]
        entity_tags.append(ent)
        role_tags.append(role)
    tag_names = {"entity": ("O", "B-city", "I-city", "L-city", "U-city")}
    tag_ids = {"entity": tuple(entity_tags)}
    if with_roles:
        tag_names["role"] = ("O", "B-from", "I-from", "L-from", "U-from",
                             "B-to", "I-to", "L-to", "U-to")
        tag_ids["role"] = tuple(role_tags)
    label_features = tuple(SparseRows((1, len(names)), np.zeros(1, dtype=np.int64),
                                      np.array([i], dtype=np.int64),
                                      np.ones(1, dtype=np.float32))
                           for i in range(len(names)))
    return FeaturizedData(
        messages=tuple(messages),
        sequence_dim=dim,
        sentence_dim=dim,
        intent_names=names,
        intent_ids=np.array(ids, dtype=np.int64),
        label_features=label_features,
        label_dim=len(names),
        tag_names=tag_names,
        tag_ids=tag_ids,
        texts=tuple(" ".join(w) for _, w in texts),
    )


def tiny_config(**overrides: object) -> DietConfig:
    """A DIET small enough for unit tests (a few ms per step)."""
    values = dict(
        transformer_size=16,
        number_of_attention_heads=2,
        number_of_transformer_layers=1,
        embedding_dimension=8,
        dense_dimension={"text": 16, "label": 8},
        concat_dimension={"text": 16, "label": 8},
        number_of_negative_examples=3,
        epochs=2,
        batch_size=(8, 16),
    )
    values.update(overrides)
    return DietConfig(**values)
