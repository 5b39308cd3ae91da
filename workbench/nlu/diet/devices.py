"""Pick the torch device for training: "auto" prefers CUDA, then MPS, then the CPU."""

from __future__ import annotations

import torch


def resolve_device(name: str) -> torch.device:
    """Return the device for ``name`` ("auto", "cpu", "cuda", "cuda:1", "mps").

    Raises:
        ValueError: The device is unknown or not available on this machine.
    """
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"Device '{name}' was requested but CUDA is not available "
                             "(no NVIDIA GPU or a CPU-only torch build); use 'cpu' or "
                             "'auto'.")
        device = torch.device(name)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"Device '{name}' does not exist: this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s).")
        return device
    if name == "mps":
        if not _mps_available():
            raise ValueError("Device 'mps' was requested but Apple's Metal backend is "
                             "not available here; use 'cpu' or 'auto'.")
        return torch.device("mps")
    raise ValueError(f"Unknown device '{name}': use auto, cpu, cuda or mps.")


def available_devices() -> list[tuple[str, str]]:
    """The accelerators of this machine as ``(device, description)``, e.g.
    ``("cuda:0", "NVIDIA H200")`` or ``("mps", "Apple GPU (Metal)")``; [] for none."""
    found: list[tuple[str, str]] = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            name = torch.cuda.get_device_name(index)
            found.append((f"cuda:{index}", f"cuda:{index} ({name})"))
    if _mps_available():
        found.append(("mps", "mps (Apple GPU, Metal)"))
    return found


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())
