"""DIET's CPU Adam: the same updates as torch.optim.Adam(fused=True), without dynamo."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import torch

from workbench.nlu.diet.adam import CpuFusedAdam, make_adam


def test_cpu_fused_adam_matches_torch_adam_including_skipped_parameters() -> None:
    torch.manual_seed(0)
    ours = [torch.nn.Parameter(torch.randn(4, 3)), torch.nn.Parameter(torch.randn(5))]
    theirs = [torch.nn.Parameter(p.detach().clone()) for p in ours]
    mine = CpuFusedAdam(ours, lr=0.01)
    reference = torch.optim.Adam(theirs, lr=0.01, eps=1e-7, fused=True)
    for step in range(6):
        for a, b in zip(ours, theirs, strict=True):
            grad = torch.randn_like(a)
            a.grad, b.grad = grad.clone(), grad.clone()
        if step % 2:  # the second parameter gets no gradient on odd steps
            ours[1].grad = theirs[1].grad = None
        mine.step()
        reference.step()
        mine.zero_grad()
        reference.zero_grad()
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)


def test_keras_mode_is_keras_adam_with_one_step_counter() -> None:
    """Keras' formula, written out: epsilon before the bias correction, global t."""
    torch.manual_seed(1)
    lr, b1, b2, eps = 0.001, 0.9, 0.999, 1e-7
    params = [torch.nn.Parameter(torch.randn(6, 3)), torch.nn.Parameter(torch.randn(4))]
    want = [p.detach().double().numpy().copy() for p in params]
    m = [np.zeros_like(w) for w in want]
    v = [np.zeros_like(w) for w in want]
    adam = CpuFusedAdam(params, lr=lr, keras=True)
    for t in range(1, 8):
        for i, p in enumerate(params):
            if i == 1 and t in (2, 3):  # no gradient: Keras leaves it (and m, v) alone
                p.grad = None
                continue
            # Tiny gradients, where the two epsilon placements differ most.
            g = torch.randn_like(p) * (1e-6 if t < 4 else 1e-2)
            p.grad = g
            g = g.double().numpy()
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            want[i] = want[i] - alpha * m[i] / (np.sqrt(v[i]) + eps)
        adam.step()
    for p, w in zip(params, want, strict=True):
        np.testing.assert_allclose(p.detach().double().numpy(), w, rtol=0, atol=1e-6)
    torch_placement = torch.optim.Adam([torch.nn.Parameter(torch.zeros(3))], lr=lr,
                                       eps=eps)
    torch_placement.param_groups[0]["params"][0].grad = torch.full((3,), 1e-6)
    torch_placement.step()  # torch moves a 1e-6 gradient by ~lr, Keras by ~lr / 4
    keras = CpuFusedAdam([torch.nn.Parameter(torch.zeros(3))], lr=lr, keras=True)
    keras.params[0].grad = torch.full((3,), 1e-6)
    keras.step()
    moved_torch = -float(torch_placement.param_groups[0]["params"][0][0].detach())
    moved_keras = -float(keras.params[0][0].detach())
    assert moved_torch > 0.9 * lr and moved_keras < 0.3 * lr


def test_make_adam_on_cpu_uses_keras_adam() -> None:
    adam = make_adam([torch.nn.Parameter(torch.zeros(2))], 0.1, torch.device("cpu"))
    assert isinstance(adam, CpuFusedAdam) and adam.keras


def test_make_adam_on_cpu_does_not_import_dynamo() -> None:
    code = (
        "import sys, torch\n"
        "from workbench.nlu.diet.adam import make_adam\n"
        "p = torch.nn.Parameter(torch.ones(2)); p.grad = torch.ones(2)\n"
        "opt = make_adam([p], 0.1, torch.device('cpu')); opt.step()\n"
        "assert float(p[0]) < 1.0\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, check=True, timeout=120)
    assert result.stdout.strip() == "False"


def test_make_adam_elsewhere_is_torch_adam() -> None:
    p = torch.nn.Parameter(torch.ones(2))
    assert isinstance(make_adam([p], 0.1, torch.device("cpu")), CpuFusedAdam)
    assert isinstance(make_adam([p], 0.1, torch.device("meta")), torch.optim.Adam)
