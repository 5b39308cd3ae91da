"""DIET weights as a safetensors file: the one writer and reader.

Model directories (:mod:`workbench.nlu.artefacts`) and the training cache's DIET entries
(:mod:`workbench.training.diet_node`) both store weights through these two functions.
This module imports nothing else from ``workbench``, so the DIET node's cache key does
not grow to cover the featurization code that model directories also need.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch


class HasStateDict(Protocol):
    """A ``DietModel``, or weights restored from the training cache."""

    def state_dict(self) -> dict[str, torch.Tensor]: ...


def save_weights(model: HasStateDict, path: Path) -> None:
    """Write a model's parameters and buffers to ``path`` (CPU copies).

    Tensors are cloned so that none share storage (safetensors refuses shared ones).

    Args:
        model: Anything with ``state_dict()``.
        path: The file to write.
    """
    import safetensors.torch

    state = {
        k: v.detach().cpu().clone().contiguous()
        for k, v in model.state_dict().items()
    }
    safetensors.torch.save_file(state, str(path))


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """Read weights written by :func:`save_weights`: name -> CPU tensor.

    safetensors raises several exception types for a missing or corrupt file; callers
    that read untrusted folders turn them into their own error.
    """
    import safetensors.torch

    return safetensors.torch.load_file(str(path), device="cpu")
