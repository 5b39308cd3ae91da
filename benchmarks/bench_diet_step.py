"""Time DIET training on a shared dataset and report test-set accuracy.

Usage: python benchmarks/bench_diet_step.py financial_demo --epochs 100 --seeds 42
(reads ../shared/datasets/<name>/{train,test}.yml relative to the repo root).
Prints per-epoch time, total training time, peak RSS, intent accuracy and entity
token-level F1 / exact-span F1 on test.yml.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from ruamel.yaml import YAML

from workbench.core.examples import Example
from workbench.core.markup import parse_markup

ROOT = Path(__file__).resolve().parents[1]
DATASETS = (ROOT / ".." / "shared" / "datasets").resolve()


def load_examples(path: Path) -> list[Example]:
    """Minimal Rasa NLU YAML reader (intents + markup only) for the benchmark."""
    tree = YAML(typ="safe").load(path.read_text())
    out = []
    for block in tree.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            text, spans = parse_markup(line[2:].strip())
            out.append(Example(text, str(block["intent"]), spans))
    return out


def spans_from_tags(tokens, tag_ids, names):
    spans, current = [], None
    for tok, tid in zip(tokens, tag_ids, strict=False):
        name = names[int(tid)]
        if name == "O":
            current = None
            continue
        prefix, _, label = name.partition("-") if "-" in name[:2] else ("U", "", name)
        if prefix in ("B", "U") or current is None or current[2] != label:
            current = [tok.start, tok.end, label]
            spans.append(current)
        else:
            current[1] = tok.end
        if prefix in ("L", "U"):
            current = None
    return {(s, e, lab) for s, e, lab in spans}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--amp", action="store_true", help="autocast (CUDA only)")
    parser.add_argument("--set", nargs="*", default=[], help="key=value DIET overrides")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from workbench.nlu.diet.batching import collate_messages
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.trainer import EpochStats, TrainedDiet, train_diet
    from workbench.nlu.pipeline import featurize_training_data

    folder = DATASETS / args.dataset
    train = SimpleNamespace(examples=load_examples(folder / "train.yml"), regexes=[],
                            lookups=[], synonyms=[], config=None)
    test = load_examples(folder / "test.yml")
    t0 = time.perf_counter()
    result = featurize_training_data(train, None)
    data = result.data
    print(
        f"featurized {len(data)} messages in {time.perf_counter() - t0:.1f}s; "
        f"seq {data.sequence_dim} sent {data.sentence_dim} intents "
        f"{len(data.intent_names)} tags "
        f"{ {k: len(v) for k, v in data.tag_names.items()} }"
    )
    overrides = {}
    for item in args.set:
        key, value = item.split("=", 1)
        overrides[key] = YAML(typ="safe").load(value)
    config = DietConfig.from_rasa({**DietConfig.rasa_default_pipeline().to_rasa(),
                                   "epochs": args.epochs, **overrides})
    feats = [result.pipeline.featurize(ex.text) for ex in test]
    accs, f1s, span_f1s = [], [], []
    for seed in args.seeds:
        t0 = time.perf_counter()
        c0 = time.process_time()
        times = []
        trained = None
        for event in train_diet(data, config, seed=seed, device=args.device,
                                amp=args.amp):
            if isinstance(event, EpochStats):
                times.append(event.seconds)
                if event.epoch in (1, 2) or event.epoch % 20 == 0:
                    print(f"  epoch {event.epoch} {event.seconds:.2f}s "
                          f"{ {k: round(v, 3) for k, v in event.losses.items()} } "
                          f"{ {k: round(v, 3) for k, v in event.metrics.items()} }")
            elif isinstance(event, TrainedDiet):
                trained = event
        total = time.perf_counter() - t0
        cpu = time.process_time() - c0
        model = trained.model
        t1 = time.perf_counter()
        pred = model.predict(collate_messages(feats))
        predict_s = time.perf_counter() - t1
        conf = pred.intent_confidences.numpy()
        names = trained.intent_names
        acc = np.mean([names[i] == ex.intent.split("/")[0]
                       for i, ex in zip(conf.argmax(1), test, strict=True)])
        tp = fp = fn = 0
        ttp = tfp = tfn = 0
        tag_names = trained.tag_names.get("entity", ("O",))
        ids = pred.tags["entity"][0].numpy() if "entity" in pred.tags else None
        for i, (ex, f) in enumerate(zip(test, feats, strict=True)):
            gold = {(s.start, s.end, s.entity) for s in ex.entities}
            got = (
                spans_from_tags(f.tokens, ids[i][: len(f.tokens)], tag_names)
                if ids is not None
                else set()
            )
            tp += len(gold & got)
            fp += len(got - gold)
            fn += len(gold - got)
            for tok in f.tokens:  # token level (Rasa's metric, no_entity excluded)
                g = next((s.entity for s in ex.entities
                          if s.start < tok.end and s.end > tok.start), "O")
                p = next(
                    (lab for s, e, lab in got if s < tok.end and e > tok.start), "O"
                )
                if g != "O" and p == g:
                    ttp += 1
                else:
                    tfp += p != "O"
                    tfn += g != "O"
        span_f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        tok_f1 = 2 * ttp / max(2 * ttp + tfp + tfn, 1)
        try:  # the project's Rasa-style evaluation, when available
            from workbench.nlu.evaluation import evaluate
            from workbench.nlu.predictor_loader import model_from_parts

            nlu = model_from_parts(model, result.pipeline, config)
            report = evaluate(nlu, test).summary()
            acc, tok_f1 = report["intent_accuracy"], report["entity_token_f1"]
            span_f1 = report["entity_span_f1"]
            print("  evaluation.py:", {k: round(v, 3) for k, v in report.items()})
        except Exception as error:  # noqa: BLE001 - benchmark falls back to its own metric
            print(f"  (project evaluation unavailable: {error!r}; approximate metrics)")
        accs.append(acc)
        f1s.append(tok_f1)
        span_f1s.append(span_f1)
        print(
            f"seed {seed}: train {total:.1f}s wall, {cpu:.1f}s cpu "
            f"(median epoch {np.median(times):.3f}s), "
            f"predict {len(test)} in {predict_s:.2f}s; intent acc {acc:.3f}, "
            f"entity token F1 {tok_f1:.3f} (micro, approx), span F1 {span_f1:.3f}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mean intent acc {np.mean(accs):.3f}, token F1 {np.mean(f1s):.3f}, "
          f"span F1 {np.mean(span_f1s):.3f}; peak RSS {rss:.0f} MB", file=sys.stdout)


if __name__ == "__main__":
    main()
