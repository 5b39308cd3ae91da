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
    .venv/bin/python benchmarks/bench_floor.py --phases 64 219  # parts of a step

``--compare ROOT`` runs the checkout at ROOT (e.g. a ``git worktree`` of the code before
a change) alternately with this one, in the same invocation. ``--scale`` generates
projects of that many examples from SNIPS (texts repeated with a random filler word
and, for one copy in three, a made-up word in front, so the vocabulary grows too) and
reports peak RSS for ``--scale-epochs`` epochs (``--scale-batches`` stops earlier: the
report says so; ``--new-words`` sets how the vocabulary grows). ``--phases`` times the
parts of single training steps at the given batch sizes instead.
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


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


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
    marks = {"peak_before_training": 0, "rss_before_training": 0, "parameters": 0,
             "training_rss_max": 0}  # RSS between steps: what the heap retains
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
        if steps["n"] == 0:  # the peak of loading and featurizing, before training
            marks["peak_before_training"] = _peak_rss()
            marks["rss_before_training"] = _rss_now()
            marks["parameters"] = sum(p.numel() for p in self.model.parameters())
        marks["training_rss_max"] = max(marks["training_rss_max"], _rss_now())
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
        "rss_loaded": rss_loaded, **marks, "peak_rss": _peak_rss(),
        "failed": failed}), flush=True)


# --- child: where a step's CPU time goes ---------------------------------------------
def featurized(data_path: str, seed: int) -> tuple[object, object]:
    """The FeaturizedData and DietConfig ``run_training`` would hand to DIET."""
    from workbench.core.project import load_project
    from workbench.nlu.diet import trainer as diet_trainer
    from workbench.training.runner import run_training

    grabbed: dict[str, object] = {}

    def grab(data, config, **_kwargs):
        grabbed["data"], grabbed["config"] = data, config
        return iter(())  # no events: the run ends here

    original = diet_trainer.train_diet
    diet_trainer.train_diet = grab
    try:
        with tempfile.TemporaryDirectory(prefix="bench_floor_") as out:
            for _ in run_training(load_project(data_path).snapshot(), cache=None,
                                  history=None, out_dir=Path(out) / "model",
                                  seed=seed, device="cpu", live_projections=False):
                pass
    finally:
        diet_trainer.train_diet = original
    return grabbed["data"], grabbed["config"]


def phase_child(args: argparse.Namespace) -> None:
    """Time the parts of training steps at fixed batch sizes (CPU time, one thread).

    Mirrors ``_Loop.train_step`` with a timer between the parts; random batches of
    each size, two warm-up steps.
    """
    import numpy as np
    import torch
    from torch.nn import functional as F

    torch.set_num_threads(args.threads)
    from workbench.nlu.diet.batching import FeatureArrays, collate
    from workbench.nlu.diet.builder import (
        build_model,
        label_matrix_from_data,
        spec_from_data,
    )
    from workbench.nlu.diet.heads import tag_counts
    from workbench.nlu.diet.packing import Packing
    from workbench.nlu.diet.regularization import add_regularization_gradients_
    from workbench.nlu.diet.trainer import _Loop, seed_everything

    data, config = featurized(args.data, args.seed)
    seed_everything(args.seed)
    spec = spec_from_data(data, config)
    model = build_model(config, spec, label_matrix_from_data(data))
    arrays = FeatureArrays.from_messages(
        data.messages, has_sentence=spec.sentence_dim > 0,
        labels=np.asarray(data.intent_ids, dtype=np.int64),
        tags={kind: data.tag_ids[kind] for kind in spec.tag_names})
    loop = _Loop(model, config, arrays, torch.device("cpu"), False)
    enc, lam = model.encoder, config.regularization_constant
    rng = np.random.default_rng(args.seed)
    results = []
    for size in args.phases:
        times: dict[str, float] = {}
        rows = 0
        for step in range(args.phase_steps + 2):
            idx = rng.permutation(len(arrays))[:size]
            if step == 2:
                times, rows = {}, 0
            rows += int(arrays.n_tokens[idx].sum()) + len(idx) * (spec.sentence_dim > 0)
            mark = [time.process_time()]

            def tick(name: str, times=times, mark=mark) -> None:
                now = time.process_time()
                times[name] = times.get(name, 0.0) + now - mark[0]
                mark[0] = now

            model.train()
            batch = collate(arrays, idx)
            tick("collate")
            x, mask = enc.inputs(batch)
            tick("sparse input layer forward")
            packing = Packing(mask)
            x = enc.ffn(x)
            packing.attention_groups()
            h = packing.unpack(F.gelu(enc.transformer(x, packing)))
            tick("transformer forward")
            losses = []
            if model.intent is not None:
                losses.append(model.intent(model.cls(h, batch.lengths),
                                           batch.labels)[0])
            tick("intent head forward")
            for kind, head in model.tag_heads.items():
                gold = batch.tags[kind]
                unaries = head.unaries(h, batch.tags.get("entity"))
                losses.append(head.loss(unaries, gold, batch.lengths))
                tick("CRF log-likelihood forward")
                pred, _ = head.crf.decode(unaries.detach(), batch.lengths)
                tag_counts(pred, gold, batch.lengths)
                tick("CRF Viterbi for the F1 metric")
            loop.optimizer.zero_grad(set_to_none=True)
            sum(losses).backward()
            tick("backward (all layers)")
            add_regularization_gradients_(loop.dense_kernels, lam)
            for layer in loop.row_sparse:
                layer.add_l2_gradient_(lam)
            tick("L2 gradients")
            loop.optimizer.step()
            tick("Adam")
            model.apply_connection_masks_()
            tick("connection masks")
        parts = transformer_parts(enc.transformer, enc.ffn(enc.inputs(batch)[0]),
                                  Packing(mask))
        results.append({"batch": size, "rows": rows, "times": times,
                        "transformer": parts, "last_rows": int(mask.sum())})
    _, cpu_gflops = matmul_gflops(60)
    print(_RESULT + json.dumps({"gflops_cpu": cpu_gflops, "results": results,
                                "flop_per_row": flop_per_row(config)}), flush=True)


def transformer_parts(transformer: object, x: object, packing: object,
                      repeats: int = 5) -> dict[str, float]:
    """CPU seconds of one transformer forward + backward, whole and in parts.

    ``whole``: as in training; ``no dropout``: dropout rates set to 0; ``dense``: only
    the Q/K/V, output and FFN layers of every block (the floor's work).
    """
    import torch
    from torch.nn import functional as F

    x = x.detach()

    def whole() -> None:
        inputs = x.clone().requires_grad_()
        F.gelu(transformer(inputs, packing)).sum().backward()

    layers = [layer for block in transformer.blocks
              for layer in (block.attention.qkv, block.attention.out, block.ffn_in,
                            block.ffn_out)]
    dense_inputs = [torch.randn(x.shape[0], layer.weight.shape[1]) for layer in layers]

    def dense() -> None:
        for layer, inputs in zip(layers, dense_inputs, strict=True):
            layer(inputs.requires_grad_()).sum().backward()

    def timed(run) -> float:
        run()
        started = time.process_time()
        for _ in range(repeats):
            run()
        return (time.process_time() - started) / repeats

    out = {"whole": timed(whole), "dense": timed(dense)}
    rates = {m: m.rate for m in transformer.modules() if hasattr(m, "rate")}
    for module in rates:
        module.rate = 0.0
    try:
        out["no dropout"] = timed(whole)
    finally:
        for module, rate in rates.items():
            module.rate = rate
    transformer.zero_grad(set_to_none=True)
    return out


def run_phases(data: Path, sizes: list[int], steps: int, threads: int,
               seed: int) -> None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase-child", "--data",
           str(data), "--threads", str(threads), "--seed", str(seed),
           "--phase-steps", str(steps), "--phases", *map(str, sizes)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": str(threads)}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          check=False)
    lines = [x for x in proc.stdout.splitlines() if x.startswith(_RESULT)]
    if not lines:
        raise RuntimeError(f"phases failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out = json.loads(lines[0][len(_RESULT):])
    for result in out["results"]:
        total = sum(result["times"].values())
        floor = result["rows"] * out["flop_per_row"] / (out["gflops_cpu"] * 1e9)
        print(f"  batch {result['batch']}: {steps} steps, "
              f"{result['rows'] / steps:.0f} rows/step, CPU {total / steps * 1e3:.1f} "
              f"ms/step = floor x{total / floor:.2f} (matmul "
              f"{out['gflops_cpu']:.0f} GFLOPS CPU)")
        for name, seconds in result["times"].items():
            print(f"    {name:32s} {100 * seconds / total:5.1f} %  "
                  f"({seconds / floor:.2f} floors)")
        parts = result["transformer"]
        one = result["last_rows"] * out["flop_per_row"] / (out["gflops_cpu"] * 1e9)
        print(f"    transformer forward + backward alone: x{parts['whole'] / one:.2f} "
              f"floor = dense layers x{parts['dense'] / one:.2f} + dropout "
              f"x{(parts['whole'] - parts['no dropout']) / one:.2f} + the rest "
              f"(attention grids and kernel, LayerNorm, GELU, residuals, input "
              f"projection) x{(parts['no dropout'] - parts['dense']) / one:.2f}")


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
        epoch_rss = [round(e["rss"] / 2**20) for e in result["epochs"]]
        print(f"    memory: loaded {result['rss_loaded'] / 2**20:.0f} MB; before "
              f"training {result['rss_before_training'] / 2**20:.0f} MB (peak so far "
              f"{result['peak_before_training'] / 2**20:.0f} MB); RSS at epoch ends "
              f"{_brief(epoch_rss)} MB")
    all_wall = [statistics.median(multiples(r)[0]) for r in results]
    all_cpu = [statistics.median(multiples(r)[1]) for r in results]
    print(f"  => median over runs: wall x{statistics.median(all_wall):.2f}, "
          f"CPU x{statistics.median(all_cpu):.2f}, peak RSS "
          f"{max(r['peak_rss'] for r in results) / 2**20:.0f} MB")


def _brief(values: list) -> str:
    """First three, ..., last three of a list."""
    if len(values) <= 7:
        return str(values)
    head, tail = ", ".join(map(str, values[:3])), ", ".join(map(str, values[-3:]))
    return f"[{head}, ..., {tail}]"


def generate_project(source: Path, n_examples: int, folder: Path, seed: int = 0,
                     new_words: str = "linear") -> Path:
    """Write an NLU file of ``n_examples`` made from ``source``'s examples.

    Copies beyond the source get a filler word in front and, one in three, a made-up
    word: a new one each time (``new_words="linear"``: the vocabulary, and with it
    DIET's sparse input layer, grows in proportion to the examples), one of
    ``30 * sqrt(n_examples)`` (``"sqrt"``: Heaps' law, as real text grows), or none
    (``"none"``: the source's vocabulary).
    """
    from workbench.core.markup import render_markup
    from workbench.core.project import load_project

    examples = list(load_project(source).snapshot().examples)
    rng = random.Random(seed)
    fillers = ["please", "hey", "ok", "now", "so", "well", "hi", "um", "yes", "then"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    pool = ["".join(rng.choice(letters) for _ in range(6))
            for _ in range(int(30 * n_examples ** 0.5))]
    by_intent: dict[str, list[str]] = {}
    for i in range(n_examples):
        example = examples[i % len(examples)]
        prefix = "" if i < len(examples) else rng.choice(fillers) + " "
        if i >= len(examples) and i % 3 == 0 and new_words != "none":
            word = (rng.choice(pool) if new_words == "sqrt" else
                    "".join(rng.choice(letters) for _ in range(6)))
            prefix += word + " "
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
    parser.add_argument("--new-words", choices=("linear", "sqrt", "none"),
                        default="linear",
                        help="vocabulary growth of the generated projects")
    parser.add_argument("--scale-batches", type=int, default=0,
                        help="stop each scale run after this many batches")
    parser.add_argument("--phases", type=int, nargs="*", default=[],
                        help="batch sizes at which to time the parts of a step "
                             "(this checkout only; no whole-epoch runs)")
    parser.add_argument("--phase-steps", type=int, default=12)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", default=str(REPO), help=argparse.SUPPRESS)
    parser.add_argument("--data", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    parser.add_argument("--max-batches", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.phase_child:
        phase_child(args)
        return
    if args.phases:
        for name in args.datasets:
            print(f"\n{name}: where a step's CPU time goes ({args.threads} thread(s))")
            run_phases(DATASETS / name / "train.yml", args.phases, args.phase_steps,
                       args.threads, args.seed)
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
                                        Path(folder), new_words=args.new_words)
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
                          f"loading {result['rss_loaded'] / 2**20:.0f} MB, before "
                          f"training {result['rss_before_training'] / 2**20:.0f} MB"
                          f" (peak so far {result['peak_before_training'] / 2**20:.0f}"
                          f" MB), RSS at epoch ends {_brief([round(r) for r in rss])}"
                          f" MB, largest between steps "
                          f"{result['training_rss_max'] / 2**20:.0f} MB), "
                          f"{result['total']:.0f} s; DIET parameters "
                          f"{result['parameters'] / 1e6:.1f} M", flush=True)


if __name__ == "__main__":
    main()
