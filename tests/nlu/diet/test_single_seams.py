"""One definition per seam: similarity loss, two-intent check, weights file."""

from __future__ import annotations

import pytest
import torch
from diet_synthetic import make_data, tiny_config

from workbench.nlu.diet.builder import build_model, spec_from_data
from workbench.nlu.diet.losses import DotProductLoss
from workbench.nlu.diet.trainable import require_two_intents
from workbench.nlu.weights import load_weights, save_weights

LOSS_SETTINGS = ("k", "kind", "loss_type", "constrain", "mu_pos", "mu_neg",
                 "use_max_neg", "neg_scale")


def test_dot_product_loss_intent_and_masked_lm_share_the_config() -> None:
    config = tiny_config(use_masked_language_model=True, loss_type="margin",
                         number_of_negative_examples=3, scale_loss=True,
                         maximum_negative_similarity=-0.3)
    model = build_model(config, spec_from_data(make_data(), config))
    intent, masked = model.intent.loss, model.encoder.masked_lm.loss_fn
    assert isinstance(intent, DotProductLoss) and isinstance(masked, DotProductLoss)
    for name in LOSS_SETTINGS:
        assert getattr(intent, name) == getattr(masked, name), name
    assert (intent.k, intent.loss_type, intent.mu_neg) == (3, "margin", -0.3)
    assert intent.scale and not masked.scale  # Rasa never scales the MLM loss


@pytest.mark.parametrize(
    ("intents", "message"),
    [(["greet", "greet"], "only one intent ('greet') has examples"),
     ([], "no intent has examples")],
)
def test_require_two_intents_says_what_to_add(intents, message) -> None:
    with pytest.raises(ValueError, match="add examples of another intent") as error:
        require_two_intents(intents)
    assert message in str(error.value)
    assert "intent_classification: false" in str(error.value)


def test_require_two_intents_accepts_two() -> None:
    require_two_intents(["greet", "bye", "greet"])


class _Tied(torch.nn.Module):
    """Two parameters over one storage (safetensors refuses shared tensors)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Parameter(torch.arange(6.0).reshape(2, 3))
        self.b = self.a


def test_weights_file_round_trips_shared_tensors(tmp_path) -> None:
    model = build_model(tiny_config(), spec_from_data(make_data(), tiny_config()))
    save_weights(model, tmp_path / "model.safetensors")
    loaded = load_weights(tmp_path / "model.safetensors")
    assert loaded.keys() == model.state_dict().keys()
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded[name], tensor.cpu()), name
    save_weights(_Tied(), tmp_path / "tied.safetensors")
    tied = load_weights(tmp_path / "tied.safetensors")
    assert torch.equal(tied["a"], tied["b"])
