"""Pipeline config from Rasa config.yml and FeaturizedData built from examples."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.examples import EntitySpan, Example, LookupTable, RegexPattern
from workbench.nlu.pipeline import (
    DEFAULT_PIPELINE,
    FittedPipeline,
    PipelineConfig,
    PipelineError,
    featurize_training_data,
)


class Data:
    def __init__(self, examples, regexes=(), lookups=(), config=None):
        self.examples = list(examples)
        self.regexes = list(regexes)
        self.lookups = list(lookups)
        self.synonyms = []
        self.config = config


def span(text: str, part: str, entity: str, **kw) -> EntitySpan:
    start = text.index(part)
    return EntitySpan(start, start + len(part), entity, part, **kw)


def example(text: str, intent: str, *entities: tuple) -> Example:
    spans = tuple(span(text, *e[:2], **(e[2] if len(e) > 2 else {})) for e in entities)
    return Example(text, intent, spans)


DATA = Data(
    [
        example("hello there", "greet"),
        example("hi", "greet"),
        example("hi", "greet"),  # duplicate: dropped
        example("fly to Berlin", "book", ("Berlin", "city", {"role": "destination"})),
        example("fly from New York to Paris", "book", ("New York", "city"),
                ("Paris", "city")),
        example("what are your hours", "faq/hours"),
        example("where are you", "faq/location"),
        example("misaligned Berl", "book", ("Ber", "city")),
        Example("no intent here", ""),
        Example("   ", "greet"),  # no tokens: skipped
    ],
    regexes=[RegexPattern("zip", (r"\d{5}",))],
    lookups=[LookupTable("city", ("Berlin", "Paris"))],
)


def test_default_pipeline_when_no_config() -> None:
    config = PipelineConfig.from_rasa(None)
    assert config.is_default and config.use_synonym_mapper
    assert [n for n, _ in config.featurizers] == [
        "RegexFeaturizer", "LexicalSyntacticFeaturizer", "CountVectorsFeaturizer",
        "CountVectorsFeaturizer"]
    assert config.diet == {"epochs": 100, "constrain_similarities": True}
    assert PipelineConfig.from_rasa({"language": "en", "pipeline": []}).is_default
    assert len(DEFAULT_PIPELINE) == 7


def test_unsupported_known_components_are_skipped_with_warning() -> None:
    config = PipelineConfig.from_rasa({"pipeline": [
        {"name": "SpacyNLP"}, {"name": "SpacyTokenizer"}, {"name": "SpacyFeaturizer"},
        {"name": "CountVectorsFeaturizer", "typo_option": 1},
        {"name": "DIETClassifier", "epochs": 5}, {"name": "FallbackClassifier"},
    ]})
    text = "\n".join(config.warnings)
    assert "SpacyNLP" in text and "WhitespaceTokenizer is used instead" in text
    assert "typo_option" in text and "FallbackClassifier" in text
    assert not config.use_synonym_mapper and config.diet == {"epochs": 5}


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        ([{"name": "MyCustom.Component"}, {"name": "DIETClassifier"}],
         "unknown component 'MyCustom.Component'"),
        ([{"name": "WhitespaceTokenizer"}], "no DIETClassifier"),
        (["WhitespaceTokenizer"], "entry 1 must be a mapping"),
        ([{"name": "DIETClassifier"}, {"name": "DIETClassifier"}], "only one"),
    ],
)
def test_bad_pipelines_are_clear_errors(pipeline, message) -> None:
    with pytest.raises(PipelineError, match=message):
        PipelineConfig.from_rasa({"pipeline": pipeline})


def test_featurized_data_contract() -> None:
    result = featurize_training_data(DATA)
    data = result.data
    assert len(data.messages) == 7  # duplicate, intent-less, empty examples dropped
    assert {w.code for w in data.warnings} == {"no-intent", "empty-text",
                                               "misaligned-entity"}
    assert data.intent_names == ("book", "faq", "greet")  # sorted base intents
    assert data.intent_ids.tolist() == [2, 2, 0, 0, 1, 1, 0]
    assert data.label_dim == 3
    assert [lf.to_dense().tolist() for lf in data.label_features] == [
        [[1, 0, 0]], [[0, 1, 0]], [[0, 0, 1]]]
    assert data.tag_names["entity"] == ("O", "B-city", "I-city", "L-city", "U-city")
    assert data.tag_names["role"][4] == "U-destination"
    assert "group" not in data.tag_names
    fly_from = data.texts.index("fly from New York to Paris")
    assert data.tag_ids["entity"][fly_from].tolist() == [0, 0, 1, 3, 0, 4]
    assert data.tag_ids["role"][fly_from].tolist() == [0] * 6
    misaligned = [w for w in data.warnings if w.code == "misaligned-entity"]
    assert len(misaligned) == 1 and misaligned[0].text == "misaligned Berl"
    misaligned_ids = data.tag_ids["entity"][data.texts.index("misaligned Berl")]
    assert misaligned_ids.tolist() == [0, 0]
    for message in data.messages:
        assert message.sequence.shape == (len(message.tokens), data.sequence_dim)
        assert message.sentence.shape == (1, data.sentence_dim)
    # sequence = [regex(2) | lexical | cvf-word | cvf-char]; sentence without lexical
    dims = [f.sequence_dim for f in result.pipeline.featurizers]
    assert data.sequence_dim == sum(dims)
    assert data.sentence_dim == data.sequence_dim - dims[1]
    berlin = data.messages[data.texts.index("fly to Berlin")]
    assert berlin.sequence.to_dense()[2, 1] == 1  # lookup "city" column on "Berlin"
    assert berlin.sentence.to_dense()[0, :2].tolist() == [0, 1]


def test_fitted_pipeline_state_round_trip_and_single_message() -> None:
    result = featurize_training_data(DATA, {"pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "max_ngram": 3},
        {"name": "DIETClassifier", "BILOU_flag": False},
    ]})
    assert result.data.tag_names["entity"] == ("O", "city")
    state, arrays = result.pipeline.to_state()
    restored = FittedPipeline.from_state(state, arrays)
    a, b = result.pipeline.featurize("fly to Rome"), restored.featurize("fly to Rome")
    assert np.array_equal(a.sequence.to_dense(), b.sequence.to_dense())
    assert np.array_equal(a.sentence.to_dense(), b.sentence.to_dense())
    empty = restored.featurize("")
    assert empty.sequence.shape == (0, result.data.sequence_dim)


def test_diet_featurizers_option_filters_by_alias() -> None:
    config = PipelineConfig.from_rasa({"pipeline": [
        {"name": "CountVectorsFeaturizer", "alias": "words"},
        {"name": "CountVectorsFeaturizer", "alias": "chars", "analyzer": "char_wb"},
        {"name": "DIETClassifier", "featurizers": ["chars", "nope"]},
    ]})
    assert [s["alias"] for _, s in config.featurizers] == ["chars"]
    assert any("nope" in w for w in config.warnings)


def test_entity_recognition_off_gives_no_tags() -> None:
    result = featurize_training_data(DATA, {"pipeline": [
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "entity_recognition": False}]})
    assert result.data.tag_names == {} and result.data.tag_ids == {}


def test_financial_demo_featurizes(datasets_dir) -> None:
    from workbench.core.project import load_project

    project = load_project(datasets_dir / "financial_demo" / "train.yml")
    data = featurize_training_data(project.snapshot()).data
    assert len(data.messages) > 400 and len(data.intent_names) > 10
    assert data.tag_names["entity"][0] == "O"
    assert all(len(t) == len(m.tokens) for t, m in zip(data.tag_ids["entity"],
                                                        data.messages, strict=True))
