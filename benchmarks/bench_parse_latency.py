"""Parse latency: 1 vs 2 intra-op threads, idle vs busy machine; fuzzed messages.

    .venv/bin/python benchmarks/bench_parse_latency.py [--model DIR] [--runs 15]
                                                       [--fuzz 10000] [--texts FILE]

Without ``--model`` a tiny model is trained first (tests/nlu/conftest.py's data).
Prints the median parse time of a short message (the first of ``--texts``, a Rasa
YAML file; default the pizza sample project's examples), a 256- and a 512-token
message and of ``predict_many`` over 64 of the texts (per message), each with one and
with two threads forced, as the machine is and with a busy loop added (same run, the
thread counts alternating); then parses ``--fuzz`` random messages (unicode, emoji,
control characters, long runs) with the shipped thread choice and reports exceptions
and p50/p99 latency. ``load`` on each line is the other processes' busy cores (of
the machine's), measured over that line's timings (/proc/stat).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.nlu import predictor_loader  # noqa: E402
from workbench.nlu.predictor_loader import load_model  # noqa: E402


def _tiny_model(directory: Path) -> Path:
    from tests.nlu.conftest import tiny_training_data
    from workbench.nlu.artefacts import save_model
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.trainer import TrainedDiet, train_diet
    from workbench.nlu.pipeline import featurize_training_data

    data = tiny_training_data()
    result = featurize_training_data(data)
    config = DietConfig.from_rasa(result.config.diet)
    trained = [e for e in train_diet(result.data, config, seed=7, device="cpu")
               if isinstance(e, TrainedDiet)][0]
    save_model(directory, model=trained.model, diet_config=config,
               pipeline=result.pipeline, pipeline_config=result.config)
    return directory


def _median_ms(model, texts: list[str], threads: int, runs: int) -> float:
    """Median ms per message of ``predict_many(texts)`` with ``threads`` forced."""
    original = predictor_loader.batch_threads
    predictor_loader.batch_threads = lambda *_: threads  # force the count
    try:
        model.predict_many(texts)  # warm-up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            model.predict_many(texts)
            times.append((time.perf_counter() - started) / len(texts))
    finally:
        predictor_loader.batch_threads = original
    return statistics.median(times) * 1000


def _sample_texts(path: Path | None) -> list[str]:
    from workbench.core.project import load_project

    source = path or REPO / "sample_projects" / "pizza"
    texts = [example.text for example in load_project(source).examples]
    return [t for t in texts if t.strip()] or ["hello there"]


def _random_message(rng: random.Random) -> str:
    pools = ["abcdefghij klmnop ", "0123456789 .,;:!?-", "äöüßéèçñ ", "日本語中文 ",
             "😀🍕🚀👍🏽 ", "\x00\x01\x07\t\r\x1b\x7f\u200b\u200d\ufeff ", "नमस्ते ",
             "\U0001d400\U0010fffd ", "[](){}\\\"'#@& "]
    length = rng.choice([0, 1, 5, 40, 200, 2000, 6000])
    mix = "".join(rng.sample(pools, rng.randint(1, len(pools))))
    if rng.random() < 0.1:
        return rng.choice(mix) * length
    return "".join(rng.choice(mix) for _ in range(length))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--texts", type=Path, help="Rasa YAML file or project whose "
                        "examples are the short messages (default: the pizza sample)")
    args = parser.parse_args()
    from workbench.core.cpu_load import busy_between, sample_cpu

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        model = load_model(args.model or _tiny_model(Path(tmp) / "model"))
        texts = _sample_texts(args.texts)
        cases = [("short message", [texts[0]])]
        cases += [(f"{n} tokens", [" ".join(f"word{i % 50}" for i in range(n))])
                  for n in (256, 512)]
        cases.append((f"batch of {min(64, len(texts))}", texts[:64]))
        print(f"{cores} cores; threads alternate 1, 2 per line", flush=True)
        for load in ("as is", "+ busy loop"):
            busy = (subprocess.Popen([sys.executable, "-c", "while True: pass"])
                    if load != "as is" else None)
            try:
                time.sleep(0.5 if busy else 0)
                for name, batch in cases:
                    before = sample_cpu()
                    one = _median_ms(model, batch, 1, args.runs)
                    two = _median_ms(model, batch, 2, args.runs)
                    other = busy_between(before, sample_cpu(), cores)
                    print(
                        f"{load:12} {name:14}: 1 thread {one:7.2f} ms, 2 threads "
                        f"{two:7.2f} ms per message (median of {args.runs}; load "
                        f"{other if other is not None else float('nan'):.1f} cores)",
                        flush=True,
                    )
            finally:
                if busy is not None:
                    busy.terminate()
                    busy.wait()
        rng = random.Random(9)
        latencies, failures = [], []
        for i in range(args.fuzz):
            text = _random_message(rng)
            started = time.perf_counter()
            try:
                model.parse(text)
            except Exception as error:  # noqa: BLE001 - counted and shown
                failures.append((i, repr(text[:40]), repr(error)))
            latencies.append(time.perf_counter() - started)
        latencies.sort()

        def pick(q: float) -> float:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

        print(f"fuzz: {args.fuzz} messages, {len(failures)} exceptions, "
              f"p50 {pick(0.5) * 1000:.1f} ms, p99 {pick(0.99) * 1000:.1f} ms, "
              f"max {latencies[-1] * 1000:.1f} ms")
        for failure in failures[:10]:
            print("  ", *failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
