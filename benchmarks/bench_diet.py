"""Benchmark DIET end to end against Rasa 3.6.21's published figures (environment.md).

For each seed: copy the training file into a fresh temporary project, run the whole
``workbench train`` process (wall time, peak RSS of the child), then in this process
load the model (load time), evaluate on the test file (intent accuracy / macro F1,
entity token-level and exact-span F1) and time ``parse`` on every test message.

Usage::

    python benchmarks/bench_diet.py             # financial_demo, 3 seeds, 100 epochs
    python benchmarks/bench_diet.py --seeds 42 --epochs 10 --threads 1
    python benchmarks/bench_diet.py --snips              # also SNIPS (long: ~30+ min)

The machine is shared and noisy: medians are reported and the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATASETS = (REPO / ".." / "shared" / "datasets").resolve()

# Rasa Open Source 3.6.21, default pipeline, seed 42 (shared/docs/environment.md).
RASA = {
    "financial_demo": {"epochs": 100, "train_wall_s": 217.0, "peak_rss_gb": 1.67,
                       "intent_accuracy": 0.781, "intent_macro_f1": 0.723,
                       "entity_token_f1": 0.887, "entity_span_f1": 0.876,
                       "load_s": 31.8, "parse_median_ms": 10.6, "parse_p95_ms": 19.8},
    "snips": {"epochs": 30, "train_wall_s": 3727.0, "peak_rss_gb": 6.4,
              "intent_accuracy": 0.971, "entity_token_f1": 0.929,
              "entity_span_f1": 0.875, "load_s": 32.2, "parse_median_ms": 13.8},
}

# Runs a command and reports the peak RSS (KiB on Linux) of its process tree on stderr.
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def train(train_file: Path, workdir: Path, seed: int, epochs: int, threads: int | None,
          device: str = "cpu") -> dict[str, Any]:
    """Run ``workbench train`` in a fresh project; return wall time, RSS, model dir."""
    project = workdir / f"project-{seed}"
    (project / "data").mkdir(parents=True)
    shutil.copy(train_file, project / "data" / "nlu.yml")
    model_dir = workdir / f"model-{seed}"
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    command = [sys.executable, "-c", _RSS_WRAPPER, sys.executable, "-m",
               "workbench.cli.main", "train", str(project), "--seed", str(seed),
               "--epochs", str(epochs), "--out", str(model_dir), "--no-progress",
               "--device", device]
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(
            f"workbench train failed (seed {seed}):\n{proc.stdout}\n{proc.stderr}"
        )
    rss_kb = next(int(line.split()[1]) for line in proc.stderr.splitlines()
                  if line.startswith("PEAK_RSS_KB"))
    return {"seed": seed, "train_wall_s": wall, "peak_rss_gb": rss_kb / 1024 / 1024,
            "model_dir": model_dir, "load_avg_1min": [load_before, os.getloadavg()[0]],
            "train_log_tail": proc.stdout.strip().splitlines()[-3:]}


def evaluate_model(model_dir: Path, test_file: Path) -> dict[str, Any]:
    """Load time, test-set metrics and parse latency of one trained model."""
    import numpy as np

    import workbench.nlu.diet.builder  # noqa: F401  (imported before timing the load)
    from workbench.core.project import load_project
    from workbench.nlu.evaluation import evaluate
    from workbench.nlu.predictor_loader import load_model

    load_times = []
    for _ in range(3):
        start = time.perf_counter()
        model = load_model(model_dir)
        load_times.append(time.perf_counter() - start)
    examples = [e for e in load_project(test_file).examples if e.intent]
    result = evaluate(model, examples)
    texts = [e.text for e in examples]
    for text in texts[:10]:
        model.parse(text)  # warm-up
    latencies = []
    for text in texts:
        start = time.perf_counter()
        model.parse(text)
        latencies.append(time.perf_counter() - start)
    return {**result.summary(), "load_s": statistics.median(load_times),
            "parse_median_ms": float(np.median(latencies)) * 1000,
            "parse_p95_ms": float(np.percentile(latencies, 95)) * 1000}


def run_dataset(name: str, seeds: list[int], epochs: int, threads: int | None,
                keep: Path | None, device: str = "cpu") -> dict[str, Any]:
    """Train + evaluate every seed on one dataset; return per-seed rows and summary."""
    train_file, test_file = DATASETS / name / "train.yml", DATASETS / name / "test.yml"
    if not train_file.is_file():
        raise SystemExit(
            f"{train_file} not found (the shared datasets folder is needed)"
        )
    rows = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        workdir = keep or Path(tmp)
        for seed in seeds:
            row = train(train_file, workdir, seed, epochs, threads, device)
            row.update(evaluate_model(row["model_dir"], test_file))
            row["model_dir"] = str(row["model_dir"])
            print(f"[{name} seed {seed}] " + json.dumps(
                {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()
                 if k not in ("train_log_tail", "model_dir")}), flush=True)
            rows.append(row)
    return {"dataset": name, "epochs": epochs, "threads": threads, "seeds": seeds,
            "runs": rows, "summary": summarize(rows)}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean/std of quality metrics over seeds; medians of times; max of RSS."""
    out: dict[str, Any] = {}
    for key in (
        "intent_accuracy",
        "intent_macro_f1",
        "entity_token_f1",
        "entity_span_f1",
    ):
        values = [r[key] for r in rows]
        out[key] = (statistics.mean(values),
                    statistics.stdev(values) if len(values) > 1 else 0.0)
    for key in ("train_wall_s", "load_s", "parse_median_ms", "parse_p95_ms"):
        out[key] = statistics.median(r[key] for r in rows)
    out["peak_rss_gb"] = max(r["peak_rss_gb"] for r in rows)
    return out


def table(result: dict[str, Any]) -> str:
    """Markdown table: ours beside Rasa's figures."""
    s, rasa = result["summary"], RASA.get(result["dataset"], {})
    n = len(result["seeds"])

    def quality(key: str) -> str:
        mean, std = s[key]
        return f"{mean:.3f} ± {std:.3f} ({n} seeds)"

    def ref(key: str, fmt: str) -> str:
        return format(rasa[key], fmt) if key in rasa else "—"

    lines = [
        f"| {result['dataset']} ({result['epochs']} epochs) | workbench | Rasa 3.6.21 "
        f"({rasa.get('epochs', '?')} epochs) |",
        "|---|---|---|",
        f"| `train` wall time (whole process) | {s['train_wall_s']:.0f} s | "
        f"{ref('train_wall_s', '.0f')} s |",
        f"| peak RSS during training | {s['peak_rss_gb']:.2f} GB | "
        f"{ref('peak_rss_gb', '.2f')} GB |",
        f"| intent accuracy | {quality('intent_accuracy')} | "
        f"{ref('intent_accuracy', '.3f')} |",
        f"| intent macro F1 | {quality('intent_macro_f1')} | "
        f"{ref('intent_macro_f1', '.3f')} |",
        f"| entity F1, token-level (Rasa's) | {quality('entity_token_f1')} | "
        f"{ref('entity_token_f1', '.3f')} |",
        f"| entity F1, exact-span micro | {quality('entity_span_f1')} | "
        f"{ref('entity_span_f1', '.3f')} |",
        f"| model load time | {s['load_s']:.2f} s | {ref('load_s', '.1f')} s |",
        f"| parse latency median / p95 | {s['parse_median_ms']:.1f} / "
        f"{s['parse_p95_ms']:.1f} ms | {ref('parse_median_ms', '.1f')} / "
        f"{ref('parse_p95_ms', '.1f')} ms |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="financial_demo")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None,
                        help="OMP_NUM_THREADS of the training process "
                        "(default: torch's choice)")
    parser.add_argument(
        "--device",
        default="cpu",
        help="training device: cpu (default, what the targets are for), "
        "cuda, mps or auto",
    )
    parser.add_argument("--snips", action="store_true", help="also run SNIPS (1 seed)")
    parser.add_argument("--snips-epochs", type=int, default=30,
                        help="SNIPS epochs (Rasa's figure is for 30)")
    parser.add_argument("--json", type=Path, help="write all results to this JSON file")
    parser.add_argument(
        "--keep", type=Path, help="keep projects and models in this folder"
    )
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()}", flush=True)
    results = [
        run_dataset(
            args.dataset, args.seeds, args.epochs, args.threads, args.keep, args.device
        )
    ]
    if args.snips:
        results.append(run_dataset("snips", args.seeds[:1], args.snips_epochs,
                                   args.threads, args.keep, args.device))
    for result in results:
        print()
        print(table(result))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
