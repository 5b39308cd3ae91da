"""Save -> load -> parse round trip, Rasa's parse shape, and broken artefacts."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from workbench.nlu.artefacts import ArtefactError, load_artefact
from workbench.nlu.predictor import Prediction
from workbench.nlu.predictor_loader import load_model, rank_intents


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path):
    return load_model(tiny_model_dir)


def test_artefact_files_and_metadata(tiny_model_dir: Path) -> None:
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert names == {"model.safetensors", "featurizers.safetensors", "metadata.json",
                     "checksums.json"}
    meta = json.loads((tiny_model_dir / "metadata.json").read_text())
    assert meta["format_version"] == 1
    assert meta["intent_names"] == ["book_flight", "goodbye", "greet"]
    assert meta["tag_names"]["entity"][:2] == ["O", "B-city"]
    assert meta["synonyms"]["nyc"] == "New York"
    assert meta["training"] == {"seed": 7}
    artefact = load_artefact(tiny_model_dir)
    assert artefact.metadata["sequence_dim"] == meta["sequence_dim"]


def test_parse_shape_and_learned_behaviour(model) -> None:
    result = model.parse("fly to Berlin")
    assert set(result) == {"text", "intent", "intent_ranking", "entities"}
    assert result["intent"]["name"] == "book_flight"
    assert len(result["intent_ranking"]) == 3  # ranking_length 3
    confidences = [r["confidence"] for r in result["intent_ranking"]]
    assert confidences == sorted(confidences, reverse=True)
    assert abs(sum(confidences) - 1.0) < 1e-4  # softmax over all 3 intents
    (entity,) = result["entities"]
    assert {k: entity[k] for k in ("entity", "start", "end", "value", "extractor")} == {
        "entity": "city", "start": 7, "end": 13, "value": "Berlin",
        "extractor": "DIETClassifier"}
    assert 0.0 < entity["confidence_entity"] <= 1.0
    assert model.parse("hello")["intent"]["name"] == "greet"


def test_synonyms_applied(model) -> None:
    entities = model.parse("fly to NYC")["entities"]
    assert entities and entities[0]["value"] == "New York"
    assert entities[0]["processors"] == ["EntitySynonymMapper"]


def test_empty_long_and_unseen_inputs(model) -> None:
    for text in ("", "   "):
        assert model.parse(text) == {"text": text, "intent": {"name": None,
                                     "confidence": 0.0}, "intent_ranking": [],
                                     "entities": []}
    long = model.predict("fly to Berlin " * 4000)
    assert long.truncated and long.intent is not None
    odd = model.parse("ÆØÅ ☃ zzzqqq 12345 !!!")
    assert odd["intent"]["name"] in {"greet", "goodbye", "book_flight"}


def test_predict_and_embed(model) -> None:
    prediction = model.predict("book a flight to Rome")
    assert isinstance(prediction, Prediction)
    assert prediction.embedding.shape == (8,)
    assert [t.text for t in prediction.tokens] == ["book", "a", "flight", "to", "Rome"]
    assert prediction.tokens[4].tags.get("entity", "").endswith("city")
    embeddings = model.embed(["hello", "", "fly to Paris"])
    assert embeddings.shape == (3, 8) and not embeddings[1].any()
    single = model.predict("fly to Paris").embedding
    assert np.allclose(embeddings[2], single, atol=1e-5)


def test_rank_intents_length_and_renormalisation() -> None:
    conf = np.array([0.1, 0.6, 0.3])
    ranked = rank_intents(("a", "b", "c"), conf, 2, False)
    assert [(s.name, round(s.confidence, 3)) for s in ranked] == [("b", 0.6),
                                                                  ("c", 0.3)]
    renorm = rank_intents(("a", "b", "c"), conf, 2, True)
    assert abs(sum(s.confidence for s in renorm) - 1.0) < 1e-9
    assert len(rank_intents(("a", "b", "c"), conf, 0, False)) == 3


def test_load_and_parse_are_fast(tiny_model_dir: Path, model) -> None:
    start = time.perf_counter()
    load_model(tiny_model_dir)
    assert time.perf_counter() - start < 2.0  # target < 1 s; slack for a loaded CI box
    model.parse("warm up")
    times = []
    for _ in range(30):
        start = time.perf_counter()
        model.parse("book a flight to Paris please")
        times.append(time.perf_counter() - start)
    assert float(np.median(times)) < 0.02  # target < 3 ms on a quiet machine


@pytest.fixture
def copy_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target)
    return target


def test_truncated_weights_are_rejected(copy_dir: Path) -> None:
    weights = copy_dir / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ArtefactError, match=r"model\.safetensors: checksum mismatch.*"
                                            r"workbench train"):
        load_model(copy_dir)


def test_tampered_metadata_is_rejected(copy_dir: Path) -> None:
    meta = copy_dir / "metadata.json"
    meta.write_text(meta.read_text().replace("book_flight", "evil_intent"))
    with pytest.raises(ArtefactError, match="metadata.json: checksum mismatch"):
        load_model(copy_dir)


@pytest.mark.parametrize("name", ["checksums.json", "featurizers.safetensors"])
def test_missing_files_are_rejected(copy_dir: Path, name: str) -> None:
    (copy_dir / name).unlink()
    with pytest.raises(ArtefactError, match=name.replace(".", r"\.") + ": missing"):
        load_model(copy_dir)


def test_missing_directory_and_file_path(tmp_path: Path) -> None:
    with pytest.raises(ArtefactError, match="no such model directory"):
        load_model(tmp_path / "nope")
    file = tmp_path / "x.txt"
    file.write_text("x")
    with pytest.raises(ArtefactError, match="is a directory|not a file"):
        load_model(file)


def test_newer_format_version_is_rejected(copy_dir: Path) -> None:
    import hashlib

    meta_path = copy_dir / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["format_version"] = 99
    meta_path.write_text(json.dumps(meta))
    sums = json.loads((copy_dir / "checksums.json").read_text())
    sums["metadata.json"] = hashlib.sha256(meta_path.read_bytes()).hexdigest()
    (copy_dir / "checksums.json").write_text(json.dumps(sums))
    with pytest.raises(ArtefactError, match="format version 99"):
        load_model(copy_dir)
