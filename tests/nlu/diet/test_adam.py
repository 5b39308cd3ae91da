"""DIET's CPU Adam: the same updates as torch.optim.Adam(fused=True), without dynamo."""

from __future__ import annotations

import subprocess
import sys

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
