"""The GPU-only code paths (device transfer, mixed precision), where a GPU exists.

Skipped on machines without CUDA or MPS (like the CI machine); run on a GPU machine
with ``python -m pytest tests/nlu/diet/test_gpu.py``.
"""

from __future__ import annotations

import pytest
import torch
from diet_synthetic import make_data, tiny_config

from workbench.nlu.diet.batching import collate_messages
from workbench.nlu.diet.trainer import EpochStats, TrainedDiet, train_diet

DEVICES = [name for name, available in (
    ("cuda", torch.cuda.is_available()),
    ("mps", getattr(torch.backends, "mps", None) is not None
     and torch.backends.mps.is_available()),
) if available]


@pytest.mark.skipif(not DEVICES, reason="no CUDA or MPS device on this machine")
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("amp", [False, True])
def test_training_on_the_gpu_gives_a_cpu_model_that_predicts(device: str,
                                                              amp: bool) -> None:
    data = make_data(with_roles=True)
    events = list(train_diet(data, tiny_config(epochs=3), seed=1, device=device,
                             amp=amp))
    stats = [e for e in events if isinstance(e, EpochStats)]
    trained = events[-1]
    assert isinstance(trained, TrainedDiet) and len(stats) == 3
    assert all(torch.isfinite(torch.tensor(list(s.losses.values()))).all()
               for s in stats)
    assert stats[-1].losses["t_loss"] < stats[0].losses["t_loss"]
    # The trained model comes back on the CPU, ready for the predictor.
    assert {p.device.type for p in trained.model.parameters()} == {"cpu"}
    prediction = trained.model.predict(collate_messages(data.messages[:4]))
    assert prediction.intent_confidences.shape[0] == 4
    assert torch.allclose(
        prediction.intent_confidences.sum(1), torch.ones(4), atol=1e-4
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_auto_device_prefers_cuda() -> None:
    from workbench.nlu.diet.devices import resolve_device

    assert resolve_device("auto").type == "cuda"
