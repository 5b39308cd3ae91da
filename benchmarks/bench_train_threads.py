"""Time DIET training steps with 1 and 2 intra-op threads, quiet and under load.

For each data set, the training file is featurized once, a DIET model is built with the
default pipeline's settings and training steps are timed on batches of a given number of
messages (``--batch-sizes``; DIET's default batch size grows from 64 to 256 over the
epochs). Thread counts alternate step by step blocks so that a change of the machine's
load hits both alike; ``--busy`` adds one busy-looping process per core asked for
(``--busy 1``: one other process keeps one core busy). Also timed: switching the count
before every step (what a per-step choice costs).

Usage::

    python benchmarks/bench_train_threads.py        # financial_demo, snips
    python benchmarks/bench_train_threads.py --datasets snips --busy 0 1 --steps 20

Prints one line per (data set, batch size, load, threads): median ms per step, the
batch's token rows (tokens + sentence slots) and the other work's busy cores during the
measurement (from /proc/stat, this process excluded).
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
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATASETS = (REPO / ".." / "shared" / "datasets").resolve()
sys.path.insert(0, str(REPO))


def _loop_for(dataset: str) -> tuple[Any, Any]:
    """Featurize ``dataset``'s train.yml; return the trainer's step loop and arrays."""
    import numpy as np

    from workbench.core.project import load_project
    from workbench.nlu.diet.batching import FeatureArrays
    from workbench.nlu.diet.builder import (
        build_model,
        label_matrix_from_data,
        spec_from_data,
    )
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.trainer import _Loop, seed_everything
    from workbench.nlu.pipeline import featurize_training_data

    project = load_project(DATASETS / dataset / "train.yml")
    data = featurize_training_data(project.snapshot(), None).data
    config = DietConfig.from_rasa(DietConfig.rasa_default_pipeline().to_rasa())
    seed_everything(42)
    spec = spec_from_data(data, config)
    model = build_model(config, spec, label_matrix_from_data(data))
    arrays = FeatureArrays.from_messages(
        data.messages, has_sentence=spec.sentence_dim > 0,
        labels=np.asarray(data.intent_ids, dtype=np.int64),
        tags={kind: data.tag_ids[kind] for kind in spec.tag_names})
    import torch

    return _Loop(model, config, arrays, torch.device("cpu"), False), arrays


def _time_steps(loop: Any, batches: list[Any], threads: int | None) -> list[float]:
    """Seconds per step; ``threads`` None: alternate 1 and 2 before every step."""
    import torch

    times = []
    for number, idx in enumerate(batches):
        start = time.perf_counter()
        if threads is None:
            torch.set_num_threads(1 + number % 2)
        elif torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        loop.train_step(idx)
        times.append(time.perf_counter() - start)
    return times


def _busy(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(n)]


def measure(dataset: str, batch_sizes: list[int], loads: list[int], steps: int,
            rounds: int) -> list[dict[str, Any]]:
    """Every (batch size, load, threads) of one data set; one dict per line printed."""
    import numpy as np
    import torch

    from workbench.core.cpu_load import busy_between, sample_cpu

    loop, arrays = _loop_for(dataset)
    rng = np.random.default_rng(0)
    rows = []
    for size in batch_sizes:
        batches = [rng.choice(len(arrays), size=min(size, len(arrays)), replace=False)
                   for _ in range(steps)]
        token_rows = statistics.median(
            int(arrays.n_tokens[b].sum()) + (len(b) if arrays.has_sentence else 0)
            for b in batches)
        _time_steps(loop, batches[:3], 1)  # warm-up
        for load in loads:
            others = _busy(load)
            try:
                time.sleep(0.5)
                results: dict[str, list[float]] = {"1": [], "2": [], "switch": []}
                busy_seen = []
                for _ in range(rounds):  # alternate 1 / 2 / switching in rounds
                    for key, threads in (("1", 1), ("2", 2), ("switch", None)):
                        before = sample_cpu()
                        results[key] += _time_steps(loop, batches, threads)
                        busy = busy_between(before, sample_cpu(), os.cpu_count() or 1)
                        if busy is not None:  # other processes only (own CPU excluded)
                            busy_seen.append(busy)
            finally:
                for proc in others:
                    proc.kill()
                    proc.wait()
            for key, values in results.items():
                row = {"dataset": dataset, "batch": size, "token_rows": token_rows,
                       "busy_loops": load, "threads": key,
                       "median_ms": statistics.median(values) * 1000,
                       "other_busy_cores": (statistics.median(busy_seen)
                                            if busy_seen else None),
                       "loadavg": os.getloadavg()[0]}
                rows.append(row)
                print(f"{dataset:14s} batch {size:4d} ({token_rows:5.0f} rows) "
                      f"busy-loops {load} threads {key:6s}: {row['median_ms']:7.1f} ms "
                      f"per step (other work ~{row['other_busy_cores'] or 0:.1f} "
                      f"cores, loadavg {row['loadavg']:.1f})", flush=True)
    torch.set_num_threads(1)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["financial_demo", "snips"])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 1],
                        help="busy-looping processes to run beside (one run each)")
    parser.add_argument("--steps", type=int, default=15, help="steps per block")
    parser.add_argument("--rounds", type=int, default=3,
                        help="blocks per thread count (alternating)")
    parser.add_argument("--json", type=Path, help="write the rows to this JSON file")
    args = parser.parse_args(argv)
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()}", flush=True)
    rows = []
    for dataset in args.datasets:
        rows += measure(dataset, args.batch_sizes, args.busy, args.steps, args.rounds)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
