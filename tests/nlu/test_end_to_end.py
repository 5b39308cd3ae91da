"""sample_projects/tiny end to end: project -> featurize -> DIET (tiny sizes, 2 epochs)
-> save -> load_model -> parse / evaluate, with the project's own featurizers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.nlu.conftest import TINY_DIET  # noqa: E402
from workbench.core.project import load_project
from workbench.nlu.artefacts import save_model
from workbench.nlu.evaluation import evaluate
from workbench.nlu.pipeline import featurize_training_data
from workbench.nlu.predictor_loader import load_model
from workbench.nlu.synonyms import EntitySynonymMapper

TINY = Path(__file__).resolve().parents[2] / "sample_projects" / "tiny"


@pytest.mark.skipif(not TINY.is_dir(), reason="sample_projects/tiny not present")
def test_tiny_project_round_trip(tmp_path: Path) -> None:
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.trainer import TrainedDiet, train_diet

    snapshot = load_project(TINY).snapshot()
    result = featurize_training_data(snapshot)
    assert result.config.use_synonym_mapper
    assert result.pipeline.featurizers[0].sequence_dim >= 1  # the project's regex
    config = DietConfig.from_rasa({**result.config.diet, **TINY_DIET, "epochs": 2,
                                   "ranking_length": 10})
    trained = [e for e in train_diet(result.data, config, seed=1, device="cpu")
               if isinstance(e, TrainedDiet)][0]
    mapper = EntitySynonymMapper.from_training_data(snapshot)
    assert mapper.synonyms.get("xl") == "extra large"
    save_model(tmp_path / "model", model=trained.model, diet_config=config,
               pipeline=result.pipeline, pipeline_config=result.config, synonyms=mapper)

    model = load_model(tmp_path / "model")
    parsed = model.parse("a large pepperoni please")
    assert parsed["intent"]["name"] in set(result.data.intent_names)
    assert len(parsed["intent_ranking"]) == min(10, len(result.data.intent_names))
    assert all(e["extractor"] == "DIETClassifier" for e in parsed["entities"])
    report = evaluate(model, snapshot.examples)
    assert report.n_examples == len(snapshot.examples)
    assert 0.0 <= report.intent_accuracy <= 1.0
