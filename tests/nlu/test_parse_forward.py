"""The lean parse forward (nlu/parse_forward.py) against DietModel.predict.

The network is the sample project's own pipeline and DIET configuration (2 blocks of
256, entities with roles and groups), seeded and untrained: random weights give
spread-out confidences and tags, which compares more than a trained model would.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.project import load_project
from workbench.nlu.diet.batching import collate_messages
from workbench.nlu.diet.builder import (
    build_model,
    label_matrix_from_data,
    spec_from_data,
)
from workbench.nlu.diet.config import DietConfig
from workbench.nlu.intra_op import GATE
from workbench.nlu.parse_forward import ParseForward
from workbench.nlu.pipeline import featurize_training_data
from workbench.nlu.predictor_loader import model_from_parts

PIZZA = Path(__file__).resolve().parents[2] / "sample_projects" / "pizza"
TOLERANCE = 1e-5


@pytest.fixture(autouse=True)
def _one_thread():
    with GATE.use(1):  # as a parse runs (two threads crawl on a busy machine)
        yield


@pytest.fixture(scope="module")
def pizza():
    project = load_project(PIZZA)
    result = featurize_training_data(project)
    texts = [example.text for example in project.examples]
    return result, texts


def _model(result, **overrides):
    config = DietConfig.from_rasa({**result.config.diet, **overrides})
    spec = spec_from_data(result.data, config)
    torch.manual_seed(3)
    model = build_model(config, spec, label_matrix_from_data(result.data))
    return model.eval(), config


def _assert_same(reference, lean) -> None:
    np.testing.assert_allclose(lean.intent_confidences.numpy(),
                               reference.intent_confidences.numpy(), atol=TOLERANCE)
    np.testing.assert_allclose(lean.sentence_embeddings.numpy(),
                               reference.sentence_embeddings.numpy(), atol=TOLERANCE)
    assert lean.tags.keys() == reference.tags.keys()
    for kind, (ids, conf) in reference.tags.items():
        np.testing.assert_array_equal(lean.tags[kind][0].numpy(), ids.numpy())
        np.testing.assert_allclose(lean.tags[kind][1].numpy(), conf.numpy(),
                                   atol=TOLERANCE)


def _compare(model, pipeline, texts, batch) -> None:
    forward = ParseForward.build(model)
    assert forward is not None
    messages = [pipeline.featurize(t) for t in texts if t.strip()]
    has_sentence = model.spec.sentence_dim > 0
    for start in range(0, len(messages), batch):
        chunk = messages[start:start + batch]
        batch_in = collate_messages(chunk, has_sentence=has_sentence)
        with torch.inference_mode():
            reference = model.predict(batch_in)
        _assert_same(reference, forward.predict(chunk))


def test_parse_forward_matches_predict_one_message_at_a_time(pizza):
    result, texts = pizza
    model, _ = _model(result)
    assert set(model.tag_heads) == {"entity", "role", "group"}
    _compare(model, result.pipeline, texts[:80], batch=1)


def test_parse_forward_matches_predict_in_batches_of_mixed_lengths(pizza):
    result, texts = pizza
    model, _ = _model(result)
    long_text = " ".join(texts[:40])  # over the 64 cached positions
    mixed = [texts[0], long_text, *texts[1:30], "pizza", long_text[:300]]
    _compare(model, result.pipeline, mixed, batch=8)


def test_parse_forward_matches_predict_without_transformer_with_hidden_layers(pizza):
    result, texts = pizza
    model, _ = _model(result, number_of_transformer_layers=0,
                      hidden_layers_sizes={"text": [64, 32], "label": []})
    _compare(model, result.pipeline, texts[:40], batch=4)


@pytest.mark.parametrize("option", ["use_key_relative_attention",
                                    "unidirectional_encoder"])
def test_parse_forward_declines_attention_it_does_not_cover(pizza, option):
    result, _ = pizza
    model, _ = _model(result, **{option: True})
    assert ParseForward.build(model) is None


def test_predictor_parse_is_the_same_with_and_without_the_lean_forward(pizza):
    result, texts = pizza
    model, config = _model(result)
    config = dataclasses.replace(config, ranking_length=0)
    lean = model_from_parts(model, result.pipeline, config)
    assert lean._lean is not None
    reference = model_from_parts(model, result.pipeline, config)
    reference._lean = None  # DietModel.predict for every batch
    for text in texts[:60] + ["", "   ", "a " * 600]:
        got, want = lean.parse(text), reference.parse(text)
        assert got["intent"]["name"] == want["intent"]["name"]
        assert [r["name"] for r in got["intent_ranking"]] == [
            r["name"] for r in want["intent_ranking"]]
        np.testing.assert_allclose(
            [r["confidence"] for r in got["intent_ranking"]],
            [r["confidence"] for r in want["intent_ranking"]], atol=TOLERANCE)
        strip = [{k: v for k, v in e.items() if not k.startswith("confidence")}
                 for e in got["entities"]]
        assert strip == [{k: v for k, v in e.items() if not k.startswith("confidence")}
                         for e in want["entities"]]
    many = texts[60:100]
    for got, want in zip(lean.predict_many(many), reference.predict_many(many),
                         strict=True):
        assert got.intent.name == want.intent.name
        assert [e.entity for e in got.entities] == [e.entity for e in want.entities]


@pytest.mark.parametrize("layers", [2, 0])
def test_parse_forward_of_an_intent_only_model_encodes_sentence_slots_only(
        pizza, monkeypatch, layers):
    result, texts = pizza
    model, _ = _model(result, entity_recognition=False,
                      number_of_transformer_layers=layers)
    assert not model.tag_heads
    _compare(model, result.pipeline, texts[:40], batch=1)
    _compare(model, result.pipeline, texts[:40] + [" ".join(texts[:30])], batch=8)
    forward = ParseForward.build(model)
    messages = [result.pipeline.featurize(t) for t in texts[:9]]
    lean = forward.predict(messages)
    assert lean.tags == {}
    monkeypatch.setattr(type(model), "sentence_slots_only", lambda self: False)
    with torch.inference_mode():  # the full encoder, every position
        full = model.predict(collate_messages(messages, has_sentence=True))
    _assert_same(full, lean)
