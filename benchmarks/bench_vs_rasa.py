"""Workbench and Rasa 3.6.21 side by side: training time and accuracy, one invocation.

    .venv/bin/python benchmarks/bench_vs_rasa.py [--rasa-venv DIR | --install-rasa DIR]
        [--datasets financial_demo,snips,banking77] [--epochs 100] [--seeds 42,43,44]
        [--large-epochs 4] [--large-seeds 42] [--large-accuracy] [--threads N]
        [--fraction F] [--json FILE] [--markdown FILE] [--keep DIR]

Both tools train from the same ``config.yml`` (Rasa's default pipeline: whitespace
tokens, regex, lexical-syntactic and word + char_wb 1-4 count-vector features, DIET
with ``constrain_similarities``, synonyms; ``epochs`` and ``random_seed`` set per run)
on the same copy of the training file, on the CPU with the same thread count
(``--threads``, default all cores: ``workbench train --threads N``, Rasa's
``TF_INTRA_OP/INTER_OP_PARALLELISM_THREADS``). Runs alternate (ours then Rasa, then
Rasa then ours, ...) so slow drifts of a shared machine hit both sides alike.

* ``financial_demo`` (the small set): whole-process wall time of ``workbench train``
  and ``rasa train nlu`` at ``--epochs`` (100) for each of ``--seeds``, and intent
  accuracy / macro F1 / entity token F1 on ``test.yml`` (``workbench test`` and ``rasa
  test nlu``), averaged over the seeds.
* ``snips``, ``banking77`` (the large sets): DIET time per epoch from each tool's own
  epoch timing (ours: the epoch times ``workbench runs --json`` records; Rasa: the
  timestamps at which its ``Epochs: k/N`` progress bar advances), ``--large-epochs``
  epochs, the first epoch left out (Rasa's includes ~30 s of graph tracing), median.

A torch fp32 matmul (2048², 2 threads) is timed before and after as the machine's
baseline, since absolute times on shared machines drift by 30% between days.

Without ``--rasa-venv`` / ``--install-rasa`` only workbench runs and the report says
that it has no peer. Exit status 1 when Rasa ran and a target was missed (5x Rasa's
time; intent accuracy at least Rasa's on the small set), else 0.

``--install-rasa DIR`` installs ``rasa==3.6.21`` into a new virtual environment DIR
outside the repository (needs Python 3.10/3.9/3.8; about 3 minutes), or reuses a
working one. Full measurement (~40 min on 2 cores, a quiet machine)::

    .venv/bin/python benchmarks/bench_vs_rasa.py --install-rasa /work/rasa/venv \\
        --json vs-rasa.json --markdown vs-rasa.md

Quick check of the script (about 8 minutes on a busy 2-core machine)::

    .venv/bin/python benchmarks/bench_vs_rasa.py --rasa-venv /work/rasa/venv \\
        --epochs 3 --seeds 42 --large-epochs 3 --fraction 0.05
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

import rasa_peer

REPO = Path(__file__).resolve().parents[1]
DATASETS = (REPO / ".." / "shared" / "datasets").resolve()
SMALL = ("financial_demo",)  # whole-process time and accuracy over seeds
TARGET_SPEEDUP = 5.0  # issue 16: at least 5x Rasa's time
MATMUL_THREADS = 2

_MATMUL = """
import time, torch
torch.set_num_threads({threads})
n = 2048
a, b = torch.randn(n, n), torch.randn(n, n)
for _ in range(3):
    a @ b
times = []
for _ in range(15):
    start = time.perf_counter()
    a @ b
    times.append(time.perf_counter() - start)
print(2 * n ** 3 / sorted(times)[len(times) // 2] / 1e9)
"""


def matmul_gflops() -> float:
    """Median fp32 GFLOPS of a 2048x2048 torch matmul on 2 threads (own process)."""
    done = subprocess.run([sys.executable, "-c",
                           _MATMUL.format(threads=MATMUL_THREADS)],
                          capture_output=True, text=True, check=True)
    return round(float(done.stdout.strip()), 1)


# -- data -------------------------------------------------------------------------
def subset_yaml(source: Path, fraction: float) -> str:
    """Rasa NLU YAML keeping an evenly spaced ``fraction`` of each intent's examples."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(source.read_text(encoding="utf-8"))
    out = ['version: "3.1"', "nlu:"]
    for block in data.get("nlu") or []:
        kind = next(k for k in ("intent", "synonym", "regex", "lookup") if k in block)
        lines = [line.strip() for line in str(block.get("examples", "")).splitlines()
                 if line.strip().startswith("-")]
        if kind == "intent":
            keep = max(1, round(len(lines) * fraction))
            lines = [lines[int(i * len(lines) / keep)] for i in range(keep)]
        out += [f"- {kind}: {json.dumps(str(block[kind]))}", "  examples: |"]
        out += [f"    {line}" for line in lines]
    return "\n".join(out) + "\n"


def count_examples(nlu_yaml: Path) -> int:
    """Number of intent examples in a Rasa NLU YAML file."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(nlu_yaml.read_text(encoding="utf-8"))
    return sum(
        sum(1 for line in str(b.get("examples", "")).splitlines()
            if line.strip().startswith("-"))
        for b in data.get("nlu") or [] if "intent" in b)


def make_project(root: Path, train_file: Path, fraction: float, epochs: int,
                 seed: int) -> tuple[Path, Path, Path]:
    """A fresh project folder: ``data/nlu.yml`` and ``config.yml``; also the paths."""
    project = root
    (project / "data").mkdir(parents=True)
    nlu = project / "data" / "nlu.yml"
    if fraction < 1.0:
        nlu.write_text(subset_yaml(train_file, fraction), encoding="utf-8")
    else:
        shutil.copy(train_file, nlu)
    config = rasa_peer.write_config(project / "config.yml", epochs, seed)
    return project, nlu, config


# -- one training run per tool ----------------------------------------------------
def _ours_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"})
    return env


def train_ours(project: Path, config: Path, out: Path, threads: int) -> dict[str, Any]:
    """Whole ``workbench train`` process; wall time and the recorded epoch times."""
    run = rasa_peer.run_timed(
        [sys.executable, "-m", "workbench.cli.main", "train", str(project),
         "--config", str(config), "--out", str(out), "--threads", str(threads),
         "--device", "cpu", "--no-progress"],
        env=_ours_env(threads), cwd=REPO, log=project / "workbench-train.log")
    if run.returncode != 0:
        raise SystemExit(f"workbench train failed (exit {run.returncode}):\n"
                         f"{run.tail()}")
    runs = subprocess.run([sys.executable, "-m", "workbench.cli.main", "runs",
                           str(project), "--json"], cwd=REPO, capture_output=True,
                          text=True, check=True)
    record = json.loads(runs.stdout)[-1]
    epochs = [float(row["seconds"]) for row in record["epoch_metrics"]]
    return {"wall_s": run.wall_s, "epoch_s": epochs, "model": str(out)}


def test_ours(model: str, test_file: Path) -> dict[str, float | None]:
    """``workbench test MODEL test.yml --json``: the headline metrics."""
    done = subprocess.run([sys.executable, "-m", "workbench.cli.main", "test", model,
                           str(test_file), "--json", "--device", "cpu"], cwd=REPO,
                          capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"workbench test failed ({done.returncode}):\n{done.stderr}")
    summary = json.loads(lines[-1])
    has_entities = bool(summary.get("entity_report"))
    return {"intent_accuracy": summary["intent_accuracy"],
            "intent_macro_f1": summary["intent_macro_f1"],
            "entity_token_f1": summary["entity_token_f1"] if has_entities else None}


def train_rasa(rasa: Path, project: Path, nlu: Path, config: Path, out: Path,
               threads: int) -> dict[str, Any]:
    """Whole ``rasa train nlu`` process; wall time and epoch times from its bar."""
    run, model = rasa_peer.train(rasa, config, nlu, out, threads=threads,
                                 workdir=project)
    return {"wall_s": run.wall_s, "epoch_s": rasa_peer.epoch_seconds(run),
            "model": str(model)}


# -- the schedule ---------------------------------------------------------------
def one_round(job: dict[str, Any], rasa: Path | None, workdir: Path, threads: int,
              ours_first: bool) -> list[dict[str, Any]]:
    """Train (and test) one dataset/seed with both tools, in the given order."""
    name, seed, epochs = job["dataset"], job["seed"], job["epochs"]
    tools = ["workbench", "rasa"] if rasa is not None else ["workbench"]
    if not ours_first:
        tools.reverse()
    rows = []
    for tool in tools:
        root = workdir / f"{name}-{seed}-{tool}"
        project, nlu, config = make_project(root, job["train"], job["fraction"],
                                            epochs, seed)
        load_before = os.getloadavg()[0]
        if tool == "workbench":
            row = train_ours(project, config, root / "model", threads)
        else:
            assert rasa is not None
            row = train_rasa(rasa, project, nlu, config, root / "model", threads)
        row.update(tool=tool, dataset=name, seed=seed, epochs=epochs,
                   load_avg=[round(load_before, 2), round(os.getloadavg()[0], 2)])
        if job["accuracy"]:
            row["metrics"] = (
                test_ours(row["model"], job["test"]) if tool == "workbench" else
                rasa_peer.test(rasa, Path(row["model"]), job["test"],  # type: ignore
                               root / "results", threads=threads, workdir=project))
        later = row["epoch_s"][1:]
        epoch = f"{statistics.median(later):.2f} s" if later else "—"
        first = f"{row['epoch_s'][0]:.1f} s" if row["epoch_s"] else "—"
        metrics = f", {json.dumps(row['metrics'])}" if "metrics" in row else ""
        print(f"[{name} seed {seed}] {tool:9s} train {row['wall_s']:7.1f} s, epoch "
              f"{epoch} (median after the 1st, {len(later)} epochs; 1st {first})"
              f"{metrics}  (load {row['load_avg']})", flush=True)
        rows.append(row)
    return rows


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of times, mean/sd of metrics over seeds, for one tool and dataset."""
    later = [s for row in rows for s in row["epoch_s"][1:]]
    out: dict[str, Any] = {
        "runs": len(rows),
        "train_wall_s": statistics.median(r["wall_s"] for r in rows),
        "epoch_s": statistics.median(later) if later else None,
        "first_epoch_s": statistics.median(r["epoch_s"][0] for r in rows
                                           if r["epoch_s"]) if rows else None,
    }
    with_metrics = [r["metrics"] for r in rows if "metrics" in r]
    for key in ("intent_accuracy", "intent_macro_f1", "entity_token_f1"):
        values = [m[key] for m in with_metrics if m.get(key) is not None]
        if values:
            out[key] = [statistics.mean(values),
                        statistics.stdev(values) if len(values) > 1 else 0.0]
    return out


def verdict(ours: dict[str, Any], rasa: dict[str, Any] | None,
            small: bool) -> dict[str, Any]:
    """Speed-ups (Rasa time / ours) and accuracy deltas (ours - Rasa)."""
    if rasa is None:
        return {"peer": "no peer (Rasa not installed; see --install-rasa)"}
    out: dict[str, Any] = {"peer": "rasa"}
    if small:
        out["train_speedup"] = rasa["train_wall_s"] / ours["train_wall_s"]
    if ours["epoch_s"] and rasa["epoch_s"]:
        out["epoch_speedup"] = rasa["epoch_s"] / ours["epoch_s"]
    key = "train_speedup" if small else "epoch_speedup"
    if key in out:
        out["speed_target_met"] = out[key] >= TARGET_SPEEDUP
    for metric in ("intent_accuracy", "intent_macro_f1", "entity_token_f1"):
        if metric in ours and metric in rasa:
            out[f"{metric}_delta"] = ours[metric][0] - rasa[metric][0]
    if "intent_accuracy_delta" in out:
        out["accuracy_target_met"] = out["intent_accuracy_delta"] >= 0
    return out


# -- report -------------------------------------------------------------------------
def _time(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def _metric(summary: dict[str, Any] | None, key: str) -> str:
    if summary is None:
        return "no peer"
    if key not in summary:
        return "—"
    mean, sd = summary[key]
    return f"{mean:.3f} ± {sd:.3f}"


def markdown(results: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    """One table for all datasets: workbench | Rasa 3.6.21 | ratio."""
    lines = [
        f"Machine: {machine['cpus']} CPUs, {machine['threads']} training threads per "
        f"tool, torch fp32 matmul {machine['gflops_before']} GFLOPS before / "
        f"{machine['gflops_after']} after (2 threads); Rasa: {machine['peer']}.",
        "",
        "| dataset | measure | workbench | Rasa 3.6.21 | Rasa ÷ workbench |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        ours, rasa, v = result["workbench"], result.get("rasa"), result["verdict"]
        label = (f"{result['dataset']} ({result['train_examples']} ex., "
                 f"{result['epochs']} ep., {ours['runs']} run(s))")

        def ratio(key: str, v: dict[str, Any] = v, peer: bool = rasa is not None
                  ) -> str:
            return f"{v[key]:.1f}x" if key in v else ("—" if peer else "no peer")

        rows = []
        if result["small"]:
            rows.append(("`train` wall time, whole process (median)",
                         _time(ours["train_wall_s"]),
                         _time(rasa["train_wall_s"]) if rasa else "no peer",
                         ratio("train_speedup")))
        rows.append(("DIET time per epoch, after the 1st (median)",
                     _time(ours["epoch_s"]),
                     _time(rasa["epoch_s"]) if rasa else "no peer",
                     ratio("epoch_speedup")))
        for key, name in (("intent_accuracy", "intent accuracy (mean ± sd)"),
                          ("intent_macro_f1", "intent macro F1"),
                          ("entity_token_f1", "entity F1 (token, weighted)")):
            if key in ours:
                delta = v.get(f"{key}_delta")
                rows.append((name, _metric(ours, key), _metric(rasa, key),
                             "no peer" if rasa is None else
                             "—" if delta is None else f"ours {delta:+.3f}"))
        for measure, a, b, c in rows:
            lines.append(f"| {label} | {measure} | {a} | {b} | {c} |")
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------
def _ints(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got "
                                         f"{text!r}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    peer = parser.add_mutually_exclusive_group()
    peer.add_argument("--rasa-venv", metavar="DIR",
                      default=os.environ.get("RASA_VENV"),
                      help="virtual environment with Rasa 3.6 (default: $RASA_VENV; "
                      "without it there is no peer)")
    peer.add_argument("--install-rasa", metavar="DIR",
                      help="install rasa==3.6.21 into this new venv (outside the "
                      "repository) first, or reuse it")
    parser.add_argument("--datasets", default="financial_demo,snips,banking77")
    parser.add_argument("--data-root", type=Path, default=DATASETS)
    parser.add_argument("--epochs", type=int, default=100,
                        help="epochs on the small set (financial_demo)")
    parser.add_argument("--seeds", type=_ints, default=[42, 43, 44],
                        help="seeds on the small set (accuracy is their mean)")
    parser.add_argument("--large-epochs", type=int, default=4,
                        help="epochs on snips / banking77 (the first is left out)")
    parser.add_argument("--large-seeds", type=_ints, default=[42])
    parser.add_argument("--large-accuracy", action="store_true",
                        help="also test the large sets' models (few epochs: only "
                        "a sanity check)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--fraction", type=float, default=1.0,
                        help="train on this fraction of each intent's examples "
                        "(quick checks only)")
    parser.add_argument("--json", type=Path, help="write all results here")
    parser.add_argument("--markdown", type=Path, help="write the table here")
    parser.add_argument("--keep", type=Path, help="keep projects, models, logs here")
    args = parser.parse_args(argv)
    if args.epochs < 2 or args.large_epochs < 2:
        parser.error("--epochs and --large-epochs must be at least 2 (the first "
                     "epoch is left out of the per-epoch time)")
    if not 0 < args.fraction <= 1:
        parser.error(f"--fraction must be in (0, 1], got {args.fraction}")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if not args.seeds or not args.large_seeds:
        parser.error("--seeds and --large-seeds need at least one seed")
    return args


def _jobs(args: argparse.Namespace) -> list[dict[str, Any]]:
    jobs = []
    for name in [n.strip() for n in args.datasets.split(",") if n.strip()]:
        folder = args.data_root / name
        train, test = folder / "train.yml", folder / "test.yml"
        if not (train.is_file() and test.is_file()):
            raise SystemExit(f"dataset {name!r}: {train} and {test} are needed "
                             f"(--data-root {args.data_root})")
        small = name in SMALL
        for seed in args.seeds if small else args.large_seeds:
            jobs.append({"dataset": name, "seed": seed, "small": small,
                         "epochs": args.epochs if small else args.large_epochs,
                         "accuracy": small or args.large_accuracy, "train": train,
                         "test": test, "fraction": args.fraction})
    return jobs


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; 1 when a target was missed against Rasa, else 0."""
    args = parse_args(argv)
    jobs = _jobs(args)
    rasa = rasa_peer.resolve(args.rasa_venv, args.install_rasa)
    peer = (f"rasa {rasa_peer.rasa_version(rasa.parent.parent)} ({rasa})" if rasa
            else "no peer (Rasa not installed: --install-rasa DIR or --rasa-venv DIR)")
    machine: dict[str, Any] = {"cpus": os.cpu_count(), "threads": args.threads,
                               "peer": peer, "gflops_before": matmul_gflops(),
                               "load_avg_before": os.getloadavg()}
    print(f"{machine['cpus']} CPUs, {args.threads} threads per tool, matmul "
          f"{machine['gflops_before']} GFLOPS (2 threads), load "
          f"{machine['load_avg_before']}; peer: {peer}", flush=True)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-vs-rasa-") as tmp:
        workdir = (args.keep / time.strftime("%Y%m%d-%H%M%S") if args.keep
                   else Path(tmp))
        workdir.mkdir(parents=True, exist_ok=True)
        for number, job in enumerate(jobs):
            rows += one_round(job, rasa, workdir, args.threads, number % 2 == 0)
    machine["gflops_after"] = matmul_gflops()
    machine["load_avg_after"] = os.getloadavg()
    machine["wall_s"] = round(time.perf_counter() - started, 1)
    results = []
    for name in dict.fromkeys(job["dataset"] for job in jobs):
        job = next(j for j in jobs if j["dataset"] == name)
        mine = [r for r in rows if r["dataset"] == name]
        ours = summarize([r for r in mine if r["tool"] == "workbench"])
        theirs = summarize([r for r in mine if r["tool"] == "rasa"]) if rasa else None
        results.append({
            "dataset": name, "small": job["small"], "epochs": job["epochs"],
            "fraction": args.fraction, "train_examples": count_examples(
                job["train"]) if args.fraction == 1 else f"{args.fraction:g} of "
            f"{count_examples(job['train'])}",
            "workbench": ours, "rasa": theirs,
            "verdict": verdict(ours, theirs, job["small"])})
    table = markdown(results, machine)
    print()
    print(table)
    if rasa is None:
        print("\nno peer: only workbench was measured (install Rasa with "
              "--install-rasa DIR to compare)")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results,
                                         "runs": rows}, indent=1, default=str),
                             encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")
    met = all(r["verdict"].get("speed_target_met", False)
              and r["verdict"].get("accuracy_target_met", not r["small"])
              for r in results)
    return 0 if rasa is None or met else 1


if __name__ == "__main__":
    sys.exit(main())
