"""Fixtures for the NLU tests: a tiny model, trained and saved once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.examples import EntitySpan, Example, Synonym

TINY_DIET = {
    "epochs": 30, "transformer_size": 16, "number_of_transformer_layers": 1,
    "number_of_attention_heads": 2, "embedding_dimension": 8,
    "hidden_layers_sizes": {"text": [], "label": []},
    "dense_dimension": {"text": 16, "label": 8},
    "concat_dimension": {"text": 16, "label": 8},
    "batch_size": 16, "number_of_negative_examples": 2, "drop_rate": 0.0,
    "ranking_length": 3,
}


class TinyData:
    """Duck-typed training data (what a ProjectSnapshot offers)."""

    def __init__(self, examples, synonyms=()):
        self.examples = list(examples)
        self.synonyms = list(synonyms)
        self.regexes = []
        self.lookups = []
        self.config = {"pipeline": [
            {"name": "WhitespaceTokenizer"}, {"name": "RegexFeaturizer"},
            {"name": "LexicalSyntacticFeaturizer"}, {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1,
             "max_ngram": 4},
            {"name": "DIETClassifier", **TINY_DIET}, {"name": "EntitySynonymMapper"},
        ]}


def _city(text: str, city: str, value: str | None = None) -> Example:
    start = text.index(city)
    return Example(text, "book_flight",
                   (EntitySpan(start, start + len(city), "city", value or city),))


def tiny_training_data() -> TinyData:
    greet = ["hello", "hi there", "hey", "good morning", "hello friend", "hi"]
    bye = ["bye", "goodbye", "see you later", "bye bye", "ciao", "see you"]
    cities = ["Berlin", "Paris", "London", "Rome", "Madrid", "Vienna"]
    flights = [_city(f"fly to {c}", c) for c in cities]
    flights += [_city(f"book a flight to {c}", c) for c in cities]
    flights.append(_city("fly to NYC", "NYC", "New York"))
    return TinyData(
        [Example(t, "greet") for t in greet] + [Example(t, "goodbye") for t in bye]
        + flights,
        [Synonym("Paris", ("paname",))],
    )


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train DIET a few epochs on a tiny data set and save it; returns the directory."""
    from workbench.nlu.artefacts import save_model
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.trainer import TrainedDiet, train_diet
    from workbench.nlu.pipeline import featurize_training_data
    from workbench.nlu.synonyms import EntitySynonymMapper

    data = tiny_training_data()
    result = featurize_training_data(data)
    config = DietConfig.from_rasa(result.config.diet)
    trained = None
    for event in train_diet(result.data, config, seed=7, device="cpu"):
        if isinstance(event, TrainedDiet):
            trained = event
    assert trained is not None
    directory = tmp_path_factory.mktemp("tiny") / "model"
    save_model(directory, model=trained.model, diet_config=config,
               pipeline=result.pipeline, pipeline_config=result.config,
               synonyms=EntitySynonymMapper.from_training_data(data),
               training_info={"seed": 7})
    return directory
