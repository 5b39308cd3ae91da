"""Cheaper training-step parts give the same numbers as the plain formulas."""

from __future__ import annotations

import pytest
import torch

from workbench.nlu.diet.layers import (
    Dropout,
    RandomlyConnectedDense,
    keep_mask,
    keep_scale,
)
from workbench.nlu.diet.regularization import add_regularization_gradients_


@pytest.mark.parametrize("rate", [0.1, 0.25, 0.5])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_keep_scale_is_the_scaled_keep_mask(rate: float, dtype: torch.dtype) -> None:
    cpu = torch.device("cpu")
    torch.manual_seed(3)
    mask = keep_mask((37, 129), rate, cpu)
    torch.manual_seed(3)
    scale = keep_scale((37, 129), rate, dtype, cpu)
    assert scale.dtype == dtype
    assert torch.equal(scale, mask.to(dtype).mul_(1 / (1 - rate)))


def test_dropout_is_reproducible_and_inverted() -> None:
    layer = Dropout(0.25).train()
    x = torch.randn(50, 64)
    torch.manual_seed(7)
    first = layer(x)
    torch.manual_seed(7)
    assert torch.equal(first, layer(x))
    kept = first != 0
    assert torch.allclose(first[kept], x[kept] / 0.75)
    assert 0.6 < float(kept.float().mean()) < 0.9
    assert torch.equal(layer.eval()(x), x)


def test_regularization_gradient_of_masked_kernel_uses_the_masked_weight() -> None:
    torch.manual_seed(0)
    layer = RandomlyConnectedDense(16, 24, density=0.2)
    grad = torch.randn_like(layer.weight)
    layer.weight.grad = grad.clone()
    add_regularization_gradients_([(layer.weight, layer.mask)], 0.01)
    masked = layer.weight.detach() * layer.mask
    rule = torch.where(grad > 0, masked, torch.zeros_like(masked))
    expected = grad.clone().add_(rule, alpha=0.02)  # g + 2 lambda (W * M) where g > 0
    assert torch.equal(layer.weight.grad, expected)
