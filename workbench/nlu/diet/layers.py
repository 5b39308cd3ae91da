"""Small building blocks of DIET: randomly connected dense layers, FFN stacks, Embed.

Rasa initialises every kernel with Keras' Glorot-uniform and every bias with zeros; the
helpers here do the same. Layers whose kernel Rasa L2-regularises carry
``l2_regularized = True`` so the trainer can find them (see
:mod:`workbench.nlu.diet.regularization`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def _random_int16(n: int, device: torch.device) -> torch.Tensor:
    """Return ``n`` uniformly random int16 values (flat) on ``device``.

    On the CPU the bits come from NumPy's SFC64 generator, seeded by one draw from
    torch's generator (so ``torch.manual_seed`` still makes runs reproducible):
    measured ~2x faster than torch's int32 ``randint`` and ~4x faster than
    ``bernoulli_``, where dropout RNG was 5-10 % of a DIET step. Elsewhere the bits
    come from torch's generator on the device.
    """
    if torch.device(device).type == "cpu":
        seed = int(torch.randint(0, 2**62, ()))
        raw = np.random.SFC64(seed).random_raw((n + 3) // 4)  # uint64, 4 draws each
        return torch.from_numpy(raw.view(np.int16)[:n])
    return torch.randint(-(2**31), 2**31 - 1, ((n + 1) // 2,), dtype=torch.int32,
                         device=device).view(torch.int16)[:n]


def _threshold(rate: float) -> int:
    """The int16 value at or above which an element is kept (exact to 1/65536)."""
    return round(rate * 65536) - 32768


def keep_mask(shape: torch.Size | tuple[int, ...], rate: float,
              device: torch.device) -> torch.Tensor:
    """Bool mask keeping each element with probability ``1 - rate``.

    Compares 16 random bits per element (:func:`_random_int16`) with a threshold, so
    the rate is exact to 1/65536.
    """
    bits = _random_int16(math.prod(shape), device)
    return (bits >= _threshold(rate)).view(shape)


def keep_scale(shape: torch.Size | tuple[int, ...], rate: float, dtype: torch.dtype,
               device: torch.device) -> torch.Tensor:
    """Inverted-dropout multiplier: ``1 / (1 - rate)`` where kept, else 0.

    The same random bits and the same mask as :func:`keep_mask`, built in one float32
    buffer in place (int16 -> float, ``ge_``, ``mul_``) instead of a bool mask, its
    conversion and a scaled copy: about half the time for a (1,500, 1,024) mask.
    float32 holds every int16 exactly, so the comparison is the same.
    """
    bits = _random_int16(math.prod(shape), device)
    scale = bits.to(torch.float32).ge_(_threshold(rate)).mul_(1 / (1 - rate))
    return scale.view(shape).to(dtype)


class Dropout(nn.Module):
    """Inverted dropout with :func:`keep_scale` (same semantics as ``nn.Dropout``)."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zero elements with probability ``rate`` and rescale the rest (training)."""
        if not self.training or self.rate <= 0:
            return x
        return x * keep_scale(x.shape, self.rate, x.dtype, x.device)


def glorot_uniform_(weight: torch.Tensor, fan_in: int, fan_out: int,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``weight`` in place with Keras' Glorot-uniform distribution."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        return weight.uniform_(-limit, limit, generator=generator)


def connection_mask(n_in: int, n_out: int, density: float) -> torch.Tensor:
    """Build Rasa's ``RandomlyConnectedDense`` 0/1 mask in torch layout.

    ``M = clip(tiled identity + (u < density), 0, 1)``: the identity of size
    ``min(in, out)`` tiled over the kernel guarantees every input and every output at
    least one connection.

    Returns:
        Bool (n_out, n_in) (torch's weight layout; Rasa's kernel is the transpose).
    """
    if density >= 1.0:
        return torch.ones(n_out, n_in, dtype=torch.bool)
    small = min(n_in, n_out)
    reps_in = -(-n_in // small)
    reps_out = -(-n_out // small)
    eye = torch.eye(small, dtype=torch.bool).repeat(reps_in, reps_out)[:n_in, :n_out]
    random = torch.rand(n_in, n_out) < density  # (in, out) as in Rasa
    return (eye | random).t().contiguous()  # (out, in)


class RandomlyConnectedDense(nn.Module):
    """Dense layer whose kernel keeps only a fixed random subset of connections.

    Rasa overwrites the kernel with ``W * M`` before every call, so masked weights get
    gradients and Adam updates but are zero whenever used. We keep the same invariant by
    zeroing masked weights once after construction and after every optimiser step
    (:meth:`apply_mask_`, called by the trainer), which avoids an extra multiply and
    its backward on every call. ``parts`` > 1 builds one fused layer equal to ``parts``
    independent layers of ``n_out`` units side by side (used for Q, K, V).

    Args:
        n_in: Input width.
        n_out: Output width (per part).
        density: Fraction of kept random connections (``connection_density``).
        bias: Whether the layer has a bias.
        parts: Number of independent layers fused along the output axis.
    """

    def __init__(self, n_in: int, n_out: int, density: float, *, bias: bool = True,
                 parts: int = 1) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out * parts, n_in))  # (out, in)
        self.bias = nn.Parameter(torch.zeros(n_out * parts)) if bias else None
        masks = [connection_mask(n_in, n_out, density) for _ in range(parts)]
        self.register_buffer("mask", torch.cat(masks, dim=0))  # bool (out, in)
        self._mask_values: tuple[tuple, torch.Tensor] | None = None  # mask as 0/1
        self._sparse: tuple[tuple, torch.Tensor | None] | None = None  # CSR weight
        for p in range(parts):
            glorot_uniform_(self.weight[p * n_out:(p + 1) * n_out], n_in, n_out)
        self.apply_mask_()

    @torch.no_grad()
    def apply_mask_(self) -> None:
        """Zero the masked-out weights in place.

        Multiplies by a cached 0/1 copy of the mask: on the CPU ``masked_fill_`` with a
        bool mask took ~30x longer (2 ms of every financial_demo step for all layers).
        """
        key = (self.mask.data_ptr(), self.mask._version, self.weight.dtype)
        if self._mask_values is None or self._mask_values[0] != key:
            # Rebuilt whenever the mask changes (load_state_dict copies into it).
            self._mask_values = (key, self.mask.to(self.weight.dtype))
        self.weight.mul_(self._mask_values[1])

    def masked_weight(self) -> torch.Tensor:
        """Return the weight with the mask applied (for the L2 term)."""
        return self.weight * self.mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., n_in) -> (..., n_out * parts)."""
        if (not self.training and x.dim() == 2 and x.shape[0] <= _SPARSE_MAX_ROWS
                and x.device.type == "cpu" and not torch.is_grad_enabled()):
            sparse = self._sparse_weight()
            if sparse is not None:  # a parse: few rows, weights read once
                if self.bias is None:
                    return (sparse @ x.t()).t()
                return torch.addmm(self.bias[:, None], sparse, x.t()).t()
        return F.linear(x, self.weight, self.bias)

    def _sparse_weight(self) -> torch.Tensor | None:
        """The weight in CSR form (cached until it changes); None if dense is faster."""
        key = (self.weight.data_ptr(), self.weight._version)
        if self._sparse is None or self._sparse[0] != key:
            dense_enough = float(self.mask.float().mean()) > _SPARSE_MAX_DENSITY
            with warnings.catch_warnings():  # "sparse CSR support is in beta state"
                warnings.simplefilter("ignore")
                weight = None if dense_enough else self.weight.detach().to_sparse_csr()
            self._sparse = (key, weight)
        return self._sparse[1]


# Inference with few rows (one message) is bound by reading the weights; with Rasa's
# connection_density 0.2 a CSR copy reads a fifth of them (measured 7 x 256 -> 1024:
# 76 -> 47 us per layer with 2 threads).
_SPARSE_MAX_ROWS = 64
_SPARSE_MAX_DENSITY = 0.5


class Embed(nn.Module):
    """Rasa's ``Embed`` layer: a plain dense projection with bias, no activation, L2."""

    l2_regularized = True

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))
        glorot_uniform_(self.weight, n_in, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., n_in) -> (..., n_out)."""
        return F.linear(x, self.weight, self.bias)


class Ffnn(nn.Module):
    """Rasa's ``Ffnn``: randomly connected dense + exact GELU + dropout per size.

    An empty size list is the identity (no dropout either).
    """

    def __init__(self, n_in: int, sizes: tuple[int, ...], density: float,
                 drop_rate: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for size in sizes:
            dense = RandomlyConnectedDense(n_in, size, density)
            dense.l2_regularized = True  # hidden FFN kernels are L2-regularised in Rasa
            layers += [dense, nn.GELU(), Dropout(drop_rate)]
            n_in = size
        self.layers = nn.Sequential(*layers)
        self.out_dim = n_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., n_in) -> (..., sizes[-1])."""
        return self.layers(x)
