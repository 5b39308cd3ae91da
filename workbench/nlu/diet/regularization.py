"""L2 regularisation with Rasa's gradient-combination rule (§4.13).

Rasa computes the gradient ``g_p`` of the prediction loss and ``g_R`` of
``R = sum(lambda * ||W||^2)`` separately and combines them as
``g = g_p + (g_R where g_p > 0 else 0)``. ``g_R = 2 * lambda * W`` is known in closed
form, so the combination costs one fused ``where`` per kernel after ``backward`` (no
second backward pass) and matches Rasa exactly.
"""

from __future__ import annotations

import torch
from torch import nn


def regularized_kernels(model: nn.Module
                        ) -> list[tuple[nn.Parameter, torch.Tensor | None]]:
    """Return (kernel, mask-or-None) of every module marked ``l2_regularized``."""
    out = []
    for module in model.modules():
        if getattr(module, "l2_regularized", False):
            out.append((module.weight, getattr(module, "mask", None)))
    return out


def regularization_loss(kernels: list, lam: float) -> torch.Tensor:
    """``R = lambda * sum ||W (*) M||^2`` (for reporting)."""
    total = torch.zeros(())
    for weight, mask in kernels:
        w = weight if mask is None else weight * mask
        total = total + (w.detach().float() ** 2).sum().cpu()
    return lam * total


@torch.no_grad()
def add_regularization_gradients_(kernels: list, lam: float) -> None:
    """Combine ``2 lambda W`` into existing gradients where they are positive.

    A masked kernel's masked-out weights are already zero (the invariant
    :class:`~workbench.nlu.diet.layers.RandomlyConnectedDense` keeps after every
    optimiser step), so ``W`` equals ``W (*) M`` and the mask is not re-applied: one
    ``where`` against a scalar zero per kernel, no masked copy, no zero tensor.
    """
    if lam <= 0:
        return
    for weight, _mask in kernels:
        grad = weight.grad
        if grad is None:  # no prediction gradient -> no regulariser gradient (Rasa)
            continue
        grad.add_(torch.where(grad > 0, weight, 0.0), alpha=2 * lam)
