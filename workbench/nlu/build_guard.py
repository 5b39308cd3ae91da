"""Stop building a network that would be larger than its saved weights.

A model folder's config decides how much memory building the network takes; only the
weights file says how large the network really was. ``with allocation_limit(n):``
counts the bytes of every tensor created inside (factory calls are checked *before*
they allocate) and raises :class:`AllocationLimitExceeded` once the total passes
``n``: an edited ``transformer_size`` fails in milliseconds instead of allocating
gigabytes first.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

_FACTORIES = {
    torch.empty, torch.zeros, torch.ones, torch.full, torch.rand, torch.randn,
    torch.randint, torch.randperm, torch.eye, torch.arange, torch.tensor,
}


class AllocationLimitExceeded(RuntimeError):
    """Building needed more memory than the limit allows."""


def weights_budget(weights: dict[str, torch.Tensor]) -> int:
    """A generous limit for rebuilding the network these weights belong to.

    Building allocates each parameter and buffer once plus temporaries (random masks
    are drawn as floats, initial values are drawn and then overwritten), so four times
    the saved bytes and a fixed 64 MB cover every genuine model.
    """
    saved = sum(t.numel() * t.element_size() for t in weights.values())
    return 4 * saved + 64 * 1024**2


def _requested_bytes(func: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> int:
    """Bytes a factory call is about to allocate (0 when it cannot tell)."""
    dtype = kwargs.get("dtype") or torch.get_default_dtype()
    try:
        item = torch.empty((), dtype=dtype).element_size()
    except (TypeError, RuntimeError):
        item = 8
    if func is torch.eye:
        sizes = [a for a in args[:2] if isinstance(a, int)] or [0]
        n = sizes[0] * (sizes[1] if len(sizes) > 1 else sizes[0])
        return n * item
    if func is torch.arange or func is torch.tensor or func is torch.randperm:
        return 0  # sized by values, not shapes; counted after the call
    if func is torch.randint:  # randint(low?, high, size)
        size = kwargs.get("size") or next(
            (a for a in args if isinstance(a, tuple | list | torch.Size)), ())
        return _numel(size) * item
    size = kwargs.get("size", args[0] if len(args) == 1 else args)
    if func is torch.full:
        size = kwargs.get("size", args[0] if args else ())
    return _numel(size) * item


def _numel(size: Any) -> int:
    if isinstance(size, int):
        return max(size, 0)
    if isinstance(size, tuple | list | torch.Size):
        dims = [d for d in size if isinstance(d, int)]
        if len(dims) == len(size):
            return math.prod(max(d, 0) for d in dims)
        if len(size) == 1:
            return _numel(size[0])
    return 0


class _Counter(TorchFunctionMode):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit, self.used = limit, 0
        self.seen: set[int] = set()  # storages already counted (views, in-place ops)

    def _charge(self, n_bytes: int) -> None:
        if self.used + n_bytes > self.limit:
            raise AllocationLimitExceeded(
                f"building the network needs more than {self.limit / 1024**2:,.0f} MB "
                "(far more than its saved weights)")

    def __torch_function__(self, func: Any, types: Any, args: Sequence[Any] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if func in _FACTORIES:
            self._charge(_requested_bytes(func, args, kwargs))
        result = func(*args, **kwargs)
        if isinstance(result, torch.Tensor) and result.device.type != "meta":
            storage = result.untyped_storage()
            if storage.data_ptr() not in self.seen:
                self.seen.add(storage.data_ptr())
                self._charge(storage.nbytes())
                self.used += storage.nbytes()
        return result


@contextmanager
def allocation_limit(limit: int) -> Iterator[None]:
    """Raise :class:`AllocationLimitExceeded` once tensors made inside pass
    ``limit`` bytes."""
    with _Counter(limit):
        yield
