"""Benchmark the training cache on SNIPS: cold, unchanged, epochs changed, 10 edits.

Copies ``../shared/datasets/snips/train.yml`` into a temporary project with Rasa's
default pipeline (epochs reduced, see ``--epochs``), then trains four times in one
process with :func:`run_training` and reports each run's wall time (torch is imported
before the first run, so its ~1.6 s import is not counted) and which nodes ran or came
from the cache. Also times ``workbench train`` as a fresh process for the unchanged case
(that figure includes Python start-up and importing torch).

Usage::

    .venv/bin/python benchmarks/bench_cache.py [--epochs 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SNIPS = (REPO / ".." / "shared" / "datasets" / "snips" / "train.yml").resolve()

CONFIG = """language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
    constrain_similarities: true
  - name: EntitySynonymMapper
"""


def _train(project_dir: Path, snapshot, *, epochs: int, device: str) -> dict:
    from workbench.training.events import (
        EpochCompleted,
        NodeCompleted,
        TrainingFinished,
    )
    from workbench.training.runner import run_training

    started = time.perf_counter()
    events = list(run_training(snapshot, project_dir=project_dir, device=device,
                               epochs=epochs))
    wall = time.perf_counter() - started
    final = events[-1]
    if not isinstance(final, TrainingFinished):
        raise SystemExit(f"training failed: {final}")
    epoch_seconds = [e.seconds for e in events if isinstance(e, EpochCompleted)]
    node_seconds = {e.name: e.seconds for e in events
                    if isinstance(e, NodeCompleted) and not e.from_cache}
    return {"wall": wall, "ran": final.nodes_run, "cached": final.nodes_cached,
            "node_s": node_seconds,
            "epoch_s": statistics.median(epoch_seconds) if epoch_seconds else None,
            "model": final.model_path}


def _edit_ten(project) -> None:
    """Change 10 examples spread over the data (text appended: entity offsets stay)."""
    from workbench.core.examples import Example
    from workbench.core.project_edits import replace_example

    n = len(project.examples)
    for index in range(0, n, max(1, n // 10))[:10]:
        old = project.examples[index]
        replace_example(project, index, Example(old.text + " please", old.intent,
                                                old.entities, old.metadata))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1 is fastest on this busy 2-core box)")
    parser.add_argument("--keep", action="store_true", help="keep the temp project")
    args = parser.parse_args()
    if not SNIPS.is_file():
        print(f"SNIPS not found at {SNIPS}", file=sys.stderr)
        return 2
    import torch  # imported up front: not part of the timings

    torch.set_num_threads(args.threads)

    from workbench.core.project import load_project

    root = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    (root / "data").mkdir()
    shutil.copy(SNIPS, root / "data" / "nlu.yml")
    config = CONFIG.format(epochs=args.epochs)
    (root / "config.yml").write_text(config, encoding="utf-8")
    project = load_project(root)
    print(f"project: {root} ({len(project.examples)} examples), epochs {args.epochs}, "
          f"device {args.device}, torch threads {torch.get_num_threads()}")
    rows = []
    for label, epochs, edit in (
        ("first training (empty cache)", args.epochs, False),
        ("again, nothing changed", args.epochs, False),
        ("only DIET `epochs` changed", args.epochs + 1, False),
        ("10 examples edited", args.epochs + 1, True),
    ):
        if edit:
            _edit_ten(project)
        result = _train(root, project.snapshot(), epochs=epochs, device=args.device)
        rows.append((label, result))
        print(f"{label}: {result['wall']:.2f}s ran={list(result['ran'])}", flush=True)

    cli_times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbench.cli.main", "train", str(root),
                        "--epochs", str(args.epochs + 1), "--device", args.device,
                        "--threads", str(args.threads),
                        "--out", str(root / "models" / "cli")],
                       check=True, capture_output=True, cwd=REPO)
        cli_times.append(time.perf_counter() - started)

    print("\n| run | wall time | nodes that ran | from the cache |")
    print("|---|---|---|---|")
    for label, result in rows:
        ran = ", ".join(f"{name} {result['node_s'].get(name, 0):.1f} s"
                        for name in result["ran"]) or "none"
        cached = ", ".join(result["cached"]) or "none"
        epoch = f" ({result['epoch_s']:.1f} s/epoch)" if result["epoch_s"] else ""
        print(f"| {label} | {result['wall']:.2f} s{epoch} | {ran} | {cached} |")
    print(f"| `workbench train` process, nothing changed (median of 3) | "
          f"{statistics.median(cli_times):.2f} s | none | all |")
    cache_mb = sum(p.stat().st_size for p in (root / ".workbench" / "cache").rglob("*")
                   if p.is_file()) / 2**20
    print(f"\ncache size after the four runs: {cache_mb:.0f} MB")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
