"""EntitySynonymMapper: synonyms from blocks and annotations, case-insensitive keys."""

from __future__ import annotations

from workbench.core.examples import EntitySpan, Example, Synonym
from workbench.nlu.synonyms import EntitySynonymMapper


class Data:
    def __init__(self, examples=(), synonyms=()):
        self.examples = list(examples)
        self.synonyms = list(synonyms)


def test_synonyms_from_blocks_and_annotations() -> None:
    data = Data(
        [Example("fly to NYC", "fly", (EntitySpan(7, 10, "city", "New York"),)),
         Example("fly to Berlin", "fly", (EntitySpan(7, 13, "city", "Berlin"),))],
        [Synonym("credit", ("Credit Card", "cc"))],
    )
    mapper = EntitySynonymMapper.from_training_data(data)
    assert mapper.synonyms == {"nyc": "New York", "credit card": "credit",
                               "cc": "credit"}
    entities = [{"entity": "city", "value": "nyc"},
                {"entity": "city", "value": "Berlin"},
                {"entity": "account", "value": "CREDIT CARD"}]
    mapper.process(entities)
    assert entities[0] == {"entity": "city", "value": "New York",
                           "processors": ["EntitySynonymMapper"]}
    assert "processors" not in entities[1]
    assert entities[2]["value"] == "credit"


def test_conflicting_synonyms_are_recorded() -> None:
    mapper = EntitySynonymMapper()
    mapper.add("NY", "New York")
    mapper.add("ny", "Newry")
    assert mapper.synonyms == {"ny": "Newry"}
    assert len(mapper.conflicts) == 1
    assert EntitySynonymMapper.from_state(mapper.to_state()).synonyms == mapper.synonyms
