"""DietConfig: defaults, Rasa key parsing, validation messages."""

from __future__ import annotations

import pytest

from workbench.nlu.diet.config import DietConfig


def test_config_defaults_are_rasa_component_defaults() -> None:
    config = DietConfig()
    assert config.epochs == 300
    assert config.constrain_similarities is False
    assert config.dense_dimension == {"text": 128, "label": 20}
    assert config.batch_size == (64, 256)
    assert config.similarity == "inner"


def test_config_default_pipeline_overrides_epochs_and_constrain() -> None:
    config = DietConfig.rasa_default_pipeline()
    assert config.epochs == 100
    assert config.constrain_similarities is True


def test_config_from_rasa_accepts_per_attribute_dicts_and_ints() -> None:
    config = DietConfig.from_rasa({
        "name": "DIETClassifier", "epochs": 5, "dense_dimension": {"text": 64},
        "hidden_layers_sizes": {"text": [32, 16]}, "batch_size": 32,
        "concat_dimension": 96})
    assert config.epochs == 5
    assert config.dense_dimension == {"text": 64, "label": 20}
    assert config.hidden_layers_sizes["text"] == (32, 16)
    assert config.hidden_layers_sizes["label"] == ()
    assert config.batch_size == (32, 32)
    assert config.concat_dimension["text"] == 96
    assert config.warnings == ()


def test_config_from_rasa_warns_about_unknown_keys_with_suggestion() -> None:
    config = DietConfig.from_rasa({"epocs": 3, "whatever": 1})
    assert config.epochs == 300
    assert any("'epocs'" in w and "epochs" in w for w in config.warnings)
    assert any("'whatever'" in w for w in config.warnings)


@pytest.mark.parametrize(("mapping", "key"), [
    ({"epochs": "many"}, "epochs"),
    ({"epochs": 0}, "epochs"),
    ({"drop_rate": 1.5}, "drop_rate"),
    ({"number_of_attention_heads": 3}, "number_of_attention_heads"),
    ({"loss_type": "hinge"}, "loss_type"),
    ({"batch_size": [1, 2, 3]}, "batch_size"),
    ({"use_masked_language_model": True, "number_of_transformer_layers": 0},
     "use_masked_language_model"),
    ({"evaluate_every_number_of_epochs": 0}, "evaluate_every_number_of_epochs"),
    ({"constrain_similarities": "yes"}, "constrain_similarities"),
    ({"dense_dimension": {"txt": 3}}, "dense_dimension"),
])
def test_config_from_rasa_rejects_bad_values_naming_the_key(mapping: dict,
                                                             key: str) -> None:
    with pytest.raises(ValueError, match=f"'{key}'"):
        DietConfig.from_rasa(mapping)


def test_config_legacy_names_are_converted_with_warnings() -> None:
    config = DietConfig.from_rasa({"weight_sparsity": 0.8, "loss_type": "softmax"})
    assert config.connection_density == pytest.approx(0.2)
    assert config.loss_type == "cross_entropy"
    assert len(config.warnings) == 2


def test_config_margin_loss_uses_cosine_and_raw_confidences() -> None:
    config = DietConfig.from_rasa({"loss_type": "margin"})
    assert config.similarity == "cosine"
    assert config.model_confidence == "auto"


def test_config_linear_batch_size_schedule() -> None:
    config = DietConfig(epochs=5, batch_size=(64, 256))
    sizes = [config.batch_size_for_epoch(e) for e in range(5)]
    assert sizes == [64, 112, 160, 208, 256]
    assert DietConfig(epochs=1).batch_size_for_epoch(0) == 64
    assert DietConfig(epochs=4, batch_size=(10, 11)).batch_size_for_epoch(2) == 10


def test_config_to_rasa_round_trips() -> None:
    config = DietConfig.from_rasa({"epochs": 7, "hidden_layers_sizes": {"label": [4]}})
    again = DietConfig.from_rasa(config.to_rasa())
    assert again == config
