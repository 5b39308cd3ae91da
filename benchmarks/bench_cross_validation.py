"""Benchmark ``workbench test PROJECT --cross-validation 5`` on financial_demo.

Copies the dataset's train file into a fresh temporary project (default pipeline: no
config.yml, cold cache), runs the whole CLI process once with ``--out`` (Rasa's report
files) and ``--json``, and prints the wall time, the pooled and per-fold report figures,
the files written, and ``/proc/loadavg`` before and after (the machine is shared).

Rasa is not installed here, so there is no same-run peer: Rasa 3.6's
``rasa test nlu --cross-validation --folds 5`` has to be measured elsewhere.

Usage::

    python benchmarks/bench_cross_validation.py                 # 5 folds, 100 epochs
    python benchmarks/bench_cross_validation.py --epochs 20 --folds 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATASETS = (REPO / ".." / "shared" / "datasets").resolve()


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text(encoding="ascii").strip()
    except OSError:
        return "n/a"


def run(dataset: str, folds: int, seed: int, epochs: int | None, device: str
        ) -> dict[str, Any]:
    """Run the CLI cross-validation in a fresh project; return timings and figures."""
    train_file = DATASETS / dataset / "train.yml"
    with tempfile.TemporaryDirectory(prefix="bench-cv-") as tmp:
        project = Path(tmp) / "project"
        (project / "data").mkdir(parents=True)
        shutil.copy(train_file, project / "data" / "nlu.yml")
        out = Path(tmp) / "reports"
        command = [sys.executable, "-m", "workbench.cli.main", "test", str(project),
                   "--cross-validation", str(folds), "--seed", str(seed), "--json",
                   "--out", str(out), "--device", device]
        if epochs:
            command += ["--epochs", str(epochs)]
        before = loadavg()
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = loadavg()
        if proc.returncode != 0:
            raise SystemExit(f"cross-validation failed:\n{proc.stdout}\n{proc.stderr}")
        report = json.loads(proc.stdout)
        files = sorted(p.name for p in out.iterdir())
    return {"dataset": dataset, "folds": folds, "seed": seed, "epochs": epochs,
            "wall_s": wall, "loadavg_before": before, "loadavg_after": after,
            "files": files, "report": report, "log": proc.stderr.strip().splitlines()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="financial_demo")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epochs", type=int, default=None,
                        help="default: the pipeline's (100)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    result = run(args.dataset, args.folds, args.seed, args.epochs, args.device)
    r = result["report"]
    print(f"{result['dataset']}: {result['folds']}-fold cross-validation, seed "
          f"{result['seed']}, epochs {result['epochs'] or 'default (100)'}")
    print(f"wall time (whole CLI process): {result['wall_s']:.1f} s")
    print(f"/proc/loadavg before: {result['loadavg_before']}")
    print(f"/proc/loadavg after:  {result['loadavg_after']}")
    print(
        f"pooled out-of-fold: {r['n_examples']} examples, intent accuracy "
        f"{r['intent_accuracy']:.3f}, macro F1 {r['intent_macro_f1']:.3f}, weighted F1 "
        f"{r['intent_weighted_f1']:.3f}, entity F1 token-level "
        f"{r['entity_token_f1']:.3f}, exact-span {r['entity_span_f1']:.3f}"
    )
    for number, fold in enumerate(r.get("folds", []), start=1):
        print(f"  fold {number}: {fold['n_examples']} examples, accuracy "
              f"{fold['intent_accuracy']:.3f}, weighted F1 "
              f"{fold['intent_weighted_f1']:.3f}, entity token F1 "
              f"{fold['entity_token_f1']:.3f}")
    print("files: " + ", ".join(result["files"]))
    for line in result["log"]:
        if line.startswith(("note:", "cross-validation:")):
            print(line)
    print("Rasa is not installed here: no same-run peer.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
