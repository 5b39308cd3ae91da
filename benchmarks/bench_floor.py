"""DIET training time against the compute floor, and training memory by data size.

The floor: DIET's default transformer costs ``layers * (4 H^2 + 2 H * 4H)``
multiply-adds per token row forward, x2 FLOP, x3 with the backward pass (H = 256, 2
layers: 9.44 MFLOP per row, "about 10 MFLOP"). A row is a token or the sentence slot.
An epoch's floor is ``rows seen in the epoch x 9.44 MFLOP / matmul GFLOPS``, where the
matmul baseline (1000 x 256 x 1024, float32, the training's thread count) is measured in
the same process just before and after training. Each epoch's time is reported as a
multiple of that floor, both on the wall clock and in CPU time (the process's CPU
seconds against the baseline's CPU-time GFLOPS), which is steadier on a shared machine.

Training goes through ``run_training`` (the path of ``workbench train`` and the app:
project loading, featurization, DIET), uncached, one process per run.

Usage::

    .venv/bin/python benchmarks/bench_floor.py                     # this code only
    .venv/bin/python benchmarks/bench_floor.py --compare /tmp/base --runs 3
    .venv/bin/python benchmarks/bench_floor.py --datasets snips --epochs 3
    .venv/bin/python benchmarks/bench_floor.py --datasets --scale 25000 50000 100000

``--compare ROOT`` runs the checkout at ROOT (e.g. a ``git worktree`` of the code before
a change) alternately with this one, in the same invocation. ``--scale`` generates
projects of that many examples from SNIPS (texts repeated with a random filler word
and, for one copy in three, a made-up word in front, so the vocabulary grows too) and
reports peak RSS for ``--scale-epochs`` epochs (``--scale-batches`` stops earlier: the
report says so).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = (REPO / ".." / "shared" / "datasets").resolve()
DEFAULT_EPOCHS = {"financial_demo": 30, "snips": 3, "banking77": 3}
_RESULT = "RESULT "


# --- child: one training run ---------------------------------------------------------
def matmul_gflops(repeats: int = 30) -> tuple[float, float]:
    """GFLOPS of a 1000 x 256 x 1024 float32 matmul: (wall median, CPU-time median)."""
    import torch

    a, b = torch.randn(1000, 256), torch.randn(256, 1024)
    for _ in range(3):
        a @ b
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        a @ b
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    flop = 2 * 1000 * 256 * 1024
    return (flop / statistics.median(walls) / 1e9,
            flop / max(statistics.median(cpus), 1e-9) / 1e9)


def flop_per_row(config: object) -> float:
    """Transformer FLOP per token row and training step (forward x3)."""
    width = config.transformer_size
    macs = config.number_of_transformer_layers * (4 * width**2 + 2 * width * 4 * width)
    return 2.0 * macs * 3


def _rss_now() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(args: argparse.Namespace) -> None:
    """Train once with the code at ``args.root`` and print one JSON result line."""
    sys.path.insert(0, str(Path(args.root).resolve()))
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from workbench.core.project import load_project
    from workbench.nlu.diet import trainer as diet_trainer
    from workbench.nlu.diet.config import DietConfig
    from workbench.training.control import StopToken
    from workbench.training.events import (
        EpochCompleted,
        TrainingFailed,
        TrainingFinished,
    )
    from workbench.training.runner import run_training

    rows_per_epoch: list[int] = []
    steps = {"n": 0}
    stop = StopToken()
    original = diet_trainer.epoch_batches

    def recording_batches(labels, *a, **k):  # observe the rows each epoch trains on
        batches = original(labels, *a, **k)
        rows_per_epoch.append(0)  # counted by the step patch below
        return batches

    # The trainer maps batch positions to example ids after epoch_batches; count rows
    # at each step instead (exact, whatever the batching strategy).
    loop_cls = diet_trainer._Loop
    original_step = loop_cls.train_step

    def counting_step(self, idx):
        n_tokens = self.arrays.n_tokens[np.asarray(idx)]
        extra = 1 if self.arrays.has_sentence else 0
        rows_per_epoch[-1] += int(n_tokens.sum()) + extra * len(idx)
        steps["n"] += 1
        if args.max_batches and steps["n"] >= args.max_batches:
            stop.request_stop()
        return original_step(self, idx)

    diet_trainer.epoch_batches = recording_batches
    loop_cls.train_step = counting_step
    base_wall, base_cpu = matmul_gflops()
    project = load_project(args.data)
    rss_loaded = _rss_now()
    epochs: list[dict] = []
    cpu_mark = time.process_time()
    wall_mark = time.perf_counter()
    started = time.perf_counter()
    failed = None
    for event in run_training(project.snapshot(), epochs=args.epochs, cache=None,
                              history=None, out_dir=Path(args.out), stop=stop,
                              seed=args.seed, device="cpu", live_projections=False):
        if isinstance(event, EpochCompleted):
            now_cpu, now_wall = time.process_time(), time.perf_counter()
            epochs.append({"epoch": event.epoch, "seconds": event.seconds,
                           "cpu": now_cpu - cpu_mark, "wall": now_wall - wall_mark,
                           "rows": rows_per_epoch[event.epoch - 1],
                           "rss": _rss_now()})
            cpu_mark, wall_mark = now_cpu, now_wall
        elif isinstance(event, TrainingFailed):
            failed = event.message
        elif isinstance(event, TrainingFinished):
            pass
    total = time.perf_counter() - started
    end_wall, end_cpu = matmul_gflops()
    config = DietConfig.from_rasa({**DietConfig.rasa_default_pipeline().to_rasa()})
    print(_RESULT + json.dumps({
        "root": args.root, "data": str(args.data), "threads": args.threads,
        "gflops_wall": statistics.median([base_wall, end_wall]),
        "gflops_cpu": statistics.median([base_cpu, end_cpu]),
        "flop_per_row": flop_per_row(config), "epochs": epochs, "total": total,
        "steps": steps["n"], "stopped_early": bool(args.max_batches and stop.is_set()),
        "rss_loaded": rss_loaded,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "failed": failed}), flush=True)


# --- parent: alternate runs, summarise -----------------------------------------------
def run_child(root: Path, data: Path, epochs: int, threads: int, seed: int,
              max_batches: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_floor_") as out:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child",
               "--root", str(root), "--data", str(data), "--epochs", str(epochs),
               "--threads", str(threads), "--seed", str(seed), "--out",
               str(Path(out) / "model"), "--max-batches", str(max_batches)]
        env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": str(threads)}
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True,
                              check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(_RESULT):
            return json.loads(line[len(_RESULT):])
    raise RuntimeError(f"run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def multiples(result: dict) -> tuple[list[float], list[float]]:
    """Per-epoch (wall, CPU) time as a multiple of the floor."""
    walls, cpus = [], []
    for epoch in result["epochs"]:
        flop = epoch["rows"] * result["flop_per_row"]
        walls.append(epoch["seconds"] / (flop / (result["gflops_wall"] * 1e9)))
        cpus.append(epoch["cpu"] / (flop / (result["gflops_cpu"] * 1e9)))
    return walls, cpus


def summarise(name: str, label: str, results: list[dict]) -> None:
    print(f"\n{name} [{label}] ({len(results)} runs)")
    for result in results:
        walls, cpus = multiples(result)
        rows = [e["rows"] for e in result["epochs"]]
        secs = [e["seconds"] for e in result["epochs"]]
        print(f"  matmul {result['gflops_wall']:.0f} GFLOPS wall / "
              f"{result['gflops_cpu']:.0f} CPU; {len(secs)} epochs, median "
              f"{statistics.median(secs):.2f} s/epoch, {statistics.mean(rows):.0f} "
              f"rows/epoch; floor multiple median wall x{statistics.median(walls):.2f}"
              f", CPU x{statistics.median(cpus):.2f} (first epoch wall "
              f"x{walls[0]:.2f}); whole run {result['total']:.1f} s; peak RSS "
              f"{result['peak_rss'] / 2**20:.0f} MB")
    all_wall = [statistics.median(multiples(r)[0]) for r in results]
    all_cpu = [statistics.median(multiples(r)[1]) for r in results]
    print(f"  => median over runs: wall x{statistics.median(all_wall):.2f}, "
          f"CPU x{statistics.median(all_cpu):.2f}, peak RSS "
          f"{max(r['peak_rss'] for r in results) / 2**20:.0f} MB")


def generate_project(source: Path, n_examples: int, folder: Path, seed: int = 0
                     ) -> Path:
    """Write an NLU file of ``n_examples`` made from ``source``'s examples."""
    from workbench.core.markup import render_markup
    from workbench.core.project import load_project

    examples = list(load_project(source).snapshot().examples)
    rng = random.Random(seed)
    fillers = ["please", "hey", "ok", "now", "so", "well", "hi", "um", "yes", "then"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    by_intent: dict[str, list[str]] = {}
    for i in range(n_examples):
        example = examples[i % len(examples)]
        prefix = "" if i < len(examples) else rng.choice(fillers) + " "
        if i >= len(examples) and i % 3 == 0:
            prefix += "".join(rng.choice(letters) for _ in range(6)) + " "
        spans = [s.with_offsets(s.start + len(prefix), s.end + len(prefix))
                 for s in example.entities]
        line = render_markup(prefix + example.text, spans)
        by_intent.setdefault(example.intent, []).append(line)
    path = folder / f"generated_{n_examples}.yml"
    with path.open("w", encoding="utf-8") as out:
        out.write('version: "3.1"\nnlu:\n')
        for intent, lines in by_intent.items():
            out.write(f"- intent: {intent}\n  examples: |\n")
            out.writelines(f"    - {line}\n" for line in lines)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=["financial_demo", "snips"])
    parser.add_argument("--epochs", type=int, default=0,
                        help="epochs per run (default per data set: "
                             f"{DEFAULT_EPOCHS})")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout to run alternately (the 'base')")
    parser.add_argument("--scale", type=int, nargs="*", default=[],
                        help="generated project sizes for the memory check")
    parser.add_argument("--scale-epochs", type=int, default=1)
    parser.add_argument("--scale-batches", type=int, default=0,
                        help="stop each scale run after this many batches")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", default=str(REPO), help=argparse.SUPPRESS)
    parser.add_argument("--data", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    parser.add_argument("--max-batches", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"load average: {Path('/proc/loadavg').read_text().strip()}; "
          f"threads {args.threads}")
    roots = [("new", REPO)] + ([("base", args.compare.resolve())]
                               if args.compare else [])
    for name in args.datasets:
        data = DATASETS / name / "train.yml"
        epochs = args.epochs or DEFAULT_EPOCHS.get(name, 3)
        results: dict[str, list[dict]] = {label: [] for label, _ in roots}
        for run in range(args.runs):
            order = roots if run % 2 == 0 else roots[::-1]  # alternate who goes first
            for label, root in order:
                results[label].append(run_child(root, data, epochs, args.threads,
                                                args.seed))
        for label, _ in roots:
            summarise(f"{name}, {epochs} epochs", label, results[label])
    if args.scale:
        with tempfile.TemporaryDirectory(prefix="bench_floor_scale_") as folder:
            for n in args.scale:
                path = generate_project(DATASETS / "snips" / "train.yml", n,
                                        Path(folder))
                for label, root in roots:
                    result = run_child(root, path, args.scale_epochs, args.threads,
                                       args.seed, args.scale_batches)
                    how = (f"stopped after {result['steps']} batches"
                           if result["stopped_early"] else
                           f"{len(result['epochs'])} epoch(s), {result['steps']} "
                           "batches")
                    rss = [e["rss"] / 2**20 for e in result["epochs"]]
                    print(f"scale {n} examples [{label}]: peak RSS "
                          f"{result['peak_rss'] / 2**20:.0f} MB ({how}; after "
                          f"loading {result['rss_loaded'] / 2**20:.0f} MB, RSS at "
                          f"epoch ends {[round(r) for r in rss]} MB), "
                          f"{result['total']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
