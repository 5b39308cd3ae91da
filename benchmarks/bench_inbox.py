"""Review inbox at scale: import + pre-label N messages generated from SNIPS texts.

    .venv/bin/python benchmarks/bench_inbox.py [--n 100000] [--model DIR] [--epochs 1]

Without ``--model`` a model is trained first on ``../shared/datasets/snips/train.yml``
(Rasa's default pipeline, ``--epochs`` epochs: scoring speed does not depend on how
long the model trained). Messages are SNIPS train + test texts with light perturbations
(case, dropped/duplicated/swapped words, typos, polite prefixes/suffixes), deduplicated
by the inbox like any import. The import and scoring run exactly as the window's worker
does (same store, same ``prelabel_inbox``), in this process, so that its peak RSS is
what one inbox costs. Prints JSON: times to import, to the first scored (reviewable
with a pre-label) message, total scoring time, messages/s, peak RSS, the GUI-thread
queries (list of 500 least-certain, counters) on the full inbox, and /proc/loadavg.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SNIPS = (REPO / ".." / "shared" / "datasets" / "snips").resolve()

PREFIXES = ("please ", "hey ", "can you ", "i want to ", "could you ", "ok ", "")
SUFFIXES = (" please", " now", " thanks", " asap", "?", "!", "")


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text(encoding="utf-8").strip()
    except OSError:
        return "n/a"


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    roll = rng.random()
    if roll < 0.2 and len(words) > 3:
        del words[rng.randrange(len(words))]
    elif roll < 0.35 and len(words) > 2:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif roll < 0.5 and words:
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) > 3:
            j = rng.randrange(1, len(word) - 1)
            words[i] = word[:j] + rng.choice("aeiourstn") + word[j + 1:]
    elif roll < 0.6 and words:
        i = rng.randrange(len(words))
        words.insert(i, words[i])
    text = " ".join(words)
    if rng.random() < 0.3:
        text = text.lower()
    return rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)


def generate(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct (after normalising) messages from SNIPS train + test texts."""
    from workbench.core.project import load_project
    from workbench.training.inbox_store import normalise

    texts = [e.text for name in ("train.yml", "test.yml")
             for e in load_project(SNIPS / name).examples]
    rng = random.Random(seed)
    seen: set[str] = {normalise(t) for t in texts}
    out: list[str] = []
    while len(out) < n:
        candidate = _perturb(rng.choice(texts), rng)
        for _ in range(rng.randrange(3)):  # more edits: more distinct messages
            candidate = _perturb(candidate, rng)
        key = normalise(candidate)
        if key not in seen:
            seen.add(key)
            out.append(candidate)
    return out


def train_model(folder: Path, epochs: int) -> Path:
    from workbench.core.project import load_project
    from workbench.training.events import TrainingFinished
    from workbench.training.runner import run_training

    project = load_project(SNIPS / "train.yml")
    events = list(run_training(project.snapshot(), project_dir=folder, epochs=epochs,
                               device="cpu", cache=None, history=None,
                               out_dir=folder / "model"))
    last = events[-1]
    if not isinstance(last, TrainingFinished):
        raise SystemExit(f"training failed: {last}")
    return Path(last.model_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()

    from workbench.core.inbox_import import read_messages
    from workbench.core.project import load_project
    from workbench.nlu.predictor_loader import load_model
    from workbench.training.inbox_store import InboxStore, normalise
    from workbench.training.prelabel import prelabel_inbox

    result: dict[str, object] = {"n": args.n, "loadavg_start": _loadavg()}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        started = time.perf_counter()
        model_dir = args.model or train_model(folder / "train", args.epochs)
        if not args.model:
            result["training_s"] = round(time.perf_counter() - started, 1)
        messages = generate(args.n)
        source = folder / "messages.txt"
        source.write_text("\n".join(messages) + "\n", encoding="utf-8")
        known = {normalise(e.text) for e in
                 load_project(SNIPS / "train.yml").examples}
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        store = InboxStore(folder / "project" / ".workbench" / "inbox.db")
        t0 = time.perf_counter()
        report = store.import_messages(read_messages(source), source.name, known)
        t_import = time.perf_counter() - t0
        model = load_model(model_dir)
        t_loaded = time.perf_counter() - t0
        first: list[float] = []

        def progress(p) -> None:  # noqa: ANN001
            if not first:
                first.append(time.perf_counter() - t0)
                result["first_reviewable_scored"] = len(store.queue("margin", 1,
                                                                     scored_only=True))

        scored = prelabel_inbox(store, model, str(model_dir), on_progress=progress)
        t_total = time.perf_counter() - t0
        q0 = time.perf_counter()
        store.queue("margin", 500)
        q_margin = time.perf_counter() - q0
        q0 = time.perf_counter()
        store.queue("intent", 500)
        q_intent = time.perf_counter() - q0
        q0 = time.perf_counter()
        store.counts()
        q_counts = time.perf_counter() - q0
        result.update({
            "added": report.added, "duplicates": report.duplicates,
            "known": report.known, "scored": scored,
            "import_s": round(t_import, 2),
            "model_load_s": round(t_loaded - t_import, 2),
            "first_scored_after_s": round(first[0], 2) if first else None,
            "scoring_s": round(t_total - t_loaded, 1),
            "messages_per_s": round(scored / max(t_total - t_loaded, 1e-9), 1),
            "total_s": round(t_total, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                 / 1024, 1),
            "rss_before_import_mb": round(rss_before / 1024, 1),
            "inbox_db_mb": round((folder / "project" / ".workbench" / "inbox.db")
                                 .stat().st_size / 2**20, 1),
            "gui_queue_margin_ms": round(q_margin * 1000, 1),
            "gui_queue_intent_ms": round(q_intent * 1000, 1),
            "gui_counts_ms": round(q_counts * 1000, 1),
            "loadavg_end": _loadavg(),
        })
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
