"""Adam on the CPU through torch's fused kernel, without ``torch.optim``.

Constructing any ``torch.optim`` optimizer imports ``torch._dynamo`` (measured here:
+1.3 s and +73 MB RSS per training process), a fixed cost that matters when a whole
training run takes ~45 s and must stay under 700 MB. The fused CPU kernel itself
(``torch._fused_adam_``, what ``Adam(fused=True)`` calls) needs no dynamo, so DIET calls
it directly on the CPU; the result is bit-identical to ``torch.optim.Adam(fused=True)``
(tested). Other devices use ``torch.optim.Adam`` (it works with AMP's GradScaler).

With ``keras=True`` (what DIET uses) the update is Keras' Adam, which Rasa trains with:
one step counter for all parameters (Keras' ``iterations``) and epsilon added to
``sqrt(v)`` before the bias correction, i.e. ``p -= lr * sqrt(1 - b2^t) / (1 - b1^t) *
m / (sqrt(v) + eps)``. torch adds it after (``sqrt(v / (1 - b2^t)) + eps``), so early
steps move weights with tiny gradients (below ~3e-6) up to ~3x further than Rasa does;
passing ``eps / sqrt(1 - b2^t)`` to the fused kernel gives Keras' update exactly
(``benchmarks/rasa_weights.py --train-steps``: three DIET steps equal Rasa's to 1e-3 of
the change, against 1.1x of it with torch's placement).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class CpuFusedAdam:
    """Adam (no weight decay, no amsgrad) with the fused CPU kernel.

    Args:
        params: Parameters to optimise.
        lr: Learning rate.
        betas: Adam's (beta1, beta2).
        eps: Denominator epsilon (Keras uses 1e-7).
        keras: Keras' update: one step count for all parameters and epsilon before
            the bias correction (see the module docstring); else torch's.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-7,
                 *, keras: bool = False) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.betas, self.eps = lr, betas, eps
        self.keras = keras
        self.iterations = 0  # steps taken (Keras' counter; used with keras=True)
        # Per parameter (index into self.params): first/second moments and step count,
        # created on the first step that parameter has a gradient (as torch.optim does).
        self.state: dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient."""
        self.iterations += 1
        params, grads, avgs, sqs, steps = [], [], [], [], []
        for index, p in enumerate(self.params):
            if p.grad is None:
                continue
            if index not in self.state:
                self.state[index] = (torch.zeros_like(p), torch.zeros_like(p),
                                     torch.zeros((), dtype=torch.float32))
            avg, sq, count = self.state[index]
            if self.keras:
                count.fill_(self.iterations)
            else:
                count += 1
            params.append(p)
            grads.append(p.grad)
            avgs.append(avg)
            sqs.append(sq)
            steps.append(count)
        if not params:
            return
        eps = self.eps
        if self.keras:  # torch's formula with Keras' epsilon: eps / sqrt(1 - b2^t)
            eps = self.eps / (1.0 - self.betas[1] ** self.iterations) ** 0.5
        torch._fused_adam_(params, grads, avgs, sqs, [], steps, lr=self.lr,
                           beta1=self.betas[0], beta2=self.betas[1], weight_decay=0.0,
                           eps=eps, amsgrad=False, maximize=False)


def make_adam(params: Iterable[torch.nn.Parameter], learning_rate: float,
              device: torch.device) -> CpuFusedAdam | torch.optim.Adam:
    """Adam with Keras' epsilon (1e-7) for parameters on ``device``.

    On the CPU Keras' update exactly (as Rasa trains); elsewhere torch's Adam, which
    adds the epsilon after the bias correction.
    """
    if device.type == "cpu":
        return CpuFusedAdam(params, learning_rate, keras=True)
    try:
        return torch.optim.Adam(params, lr=learning_rate, eps=1e-7, fused=True)
    except (RuntimeError, ValueError):  # device without a fused Adam kernel
        return torch.optim.Adam(params, lr=learning_rate, eps=1e-7)
