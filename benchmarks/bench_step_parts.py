"""CPU time of small parts of a DIET training step: dropout, L2 gradients, Adam.

Each round runs one child process per checkout (this one, and ``--compare ROOT`` if
given), alternating, so both see the same machine load. One intra-op thread.

    .venv/bin/python benchmarks/bench_step_parts.py --compare /tmp/base --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = (REPO / ".." / "shared" / "datasets").resolve()
_RESULT = "RESULT "


def child(data: str) -> None:
    """Time the parts with the ``workbench`` on ``sys.path``; print one JSON line."""
    import torch

    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_floor import featurized

    from workbench.nlu.diet.adam import CpuFusedAdam
    from workbench.nlu.diet.builder import build_model, spec_from_data
    from workbench.nlu.diet.layers import Dropout
    from workbench.nlu.diet.regularization import (
        add_regularization_gradients_,
        regularized_kernels,
    )
    from workbench.nlu.diet.trainer import label_matrix_from_data, seed_everything

    torch.set_num_threads(1)
    features, config = featurized(data, 42)
    seed_everything(42)
    model = build_model(config, spec_from_data(features, config),
                        label_matrix_from_data(features))

    def clock(call: object, repeats: int) -> float:
        call()
        started = time.process_time()
        for _ in range(repeats):
            call()
        return (time.process_time() - started) / repeats * 1e3

    out: dict[str, float] = {}
    drop = Dropout(0.2).train()  # Rasa's default drop_rate
    for rows, width in ((1253, 1024), (1253, 256)):
        x = torch.randn(rows, width, requires_grad=True)
        grad = torch.randn(rows, width)
        out[f"dropout {rows}x{width} fwd+bwd ms"] = clock(
            lambda x=x, grad=grad: drop(x).backward(grad), 200)
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    out[f"adam step ({len(params)} tensors) ms"] = clock(
        CpuFusedAdam(params, 1e-3).step, 100)
    kernels = [(w, m) for w, m in regularized_kernels(model) if w.grad is not None]
    out["L2 gradients ms"] = clock(
        lambda: add_regularization_gradients_(kernels, 0.002), 100)
    print(_RESULT + json.dumps(out), flush=True)


def run(root: Path, data: str) -> dict[str, float]:
    """One child process with ``root``'s code."""
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                           "--data", data], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(_RESULT):
            return json.loads(line[len(_RESULT):])
    raise SystemExit(f"child for {root} failed:\n{proc.stderr[-2000:]}")


def main() -> None:
    """Alternate the checkouts and print the median of each part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATASETS / "financial_demo"))
    parser.add_argument("--compare", type=Path, help="another checkout (the 'base')")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.data)
        return
    roots = {"new": REPO} | ({"base": args.compare.resolve()} if args.compare else {})
    results: dict[str, list[dict[str, float]]] = {name: [] for name in roots}
    for _ in range(args.rounds):
        for name, root in roots.items():
            results[name].append(run(root, args.data))
    for name, runs in results.items():
        print(f"[{name}] median of {len(runs)} rounds")
        for part in runs[0]:
            print(f"  {part}: {statistics.median(r[part] for r in runs):.3f}")


if __name__ == "__main__":
    main()
