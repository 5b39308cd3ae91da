"""L2 regularisation with Rasa's gradient-combination rule (§4.13)."""

from __future__ import annotations

import torch
from diet_synthetic import make_data, tiny_config

from workbench.nlu.diet.builder import build_model, spec_from_data
from workbench.nlu.diet.layers import Embed, Ffnn
from workbench.nlu.diet.regularization import (
    add_regularization_gradients_,
    regularization_loss,
    regularized_kernels,
)


def test_regularization_gradient_only_where_prediction_gradient_is_positive() -> None:
    layer = Embed(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    layer.weight.grad = torch.tensor([[0.5, -0.5], [0.0, 1.0]])
    add_regularization_gradients_([(layer.weight, None)], 0.1)
    expected = torch.tensor([[0.5 + 0.2 * 1.0, -0.5], [0.0, 1.0 + 0.2 * 4.0]])
    assert torch.allclose(layer.weight.grad, expected)


def test_regularization_skips_kernels_without_prediction_gradient() -> None:
    layer = Embed(2, 2)
    add_regularization_gradients_([(layer.weight, None)], 0.1)
    assert layer.weight.grad is None


def test_regularized_kernels_are_the_ones_rasa_lists() -> None:
    config = tiny_config(hidden_layers_sizes={"text": (8,), "label": ()})
    data = make_data(with_roles=True)
    model = build_model(config, spec_from_data(data, config))
    names = {name.rsplit(".", 1)[0] for name, p in model.named_parameters()
             if any(p is k for k, _ in regularized_kernels(model))}
    assert (
        "encoder.inputs.sequence.bag" in names
        and "encoder.inputs.sentence.bag" in names
    )
    assert "encoder.transformer.project" in names  # input projection only
    assert not any(".blocks." in n for n in names)  # Q/K/V/O and FFN are not
    assert "encoder.ffn.layers.0" in names
    assert {
        "intent.embed_text",
        "intent.labels.embed",
        "intent.labels.project.bag",
    } <= names
    for kind in ("entity", "role"):
        assert {f"tag_heads.{kind}.logits", f"tag_heads.{kind}.crf"} <= names
    assert "tag_heads.role.condition" in names


def test_regularization_loss_uses_masked_kernels() -> None:
    torch.manual_seed(0)
    ffn = Ffnn(4, (3,), 0.3, 0.0)
    dense = ffn.layers[0]
    with torch.no_grad():
        dense.weight.fill_(1.0)  # masked entries non-zero on purpose
    loss = regularization_loss(regularized_kernels(ffn), 0.5)
    assert loss.item() == 0.5 * dense.mask.sum().item()
