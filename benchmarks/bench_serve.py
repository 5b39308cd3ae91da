"""`workbench serve` under load: throughput and latency, then 10,000 hostile requests.

    .venv/bin/python benchmarks/bench_serve.py [--model DIR_OR_PROJECT] [--seconds 30]
                                               [--clients 1,8,32] [--fuzz 10000]
                                               [--workers 0] [--json FILE]
                                               [--rasa-venv DIR] [--rasa-model FILE]
                                               [--train-epochs N] [--markdown FILE]

Loopback only. The server runs as its own process (`workbench serve --quiet`); the
load comes from this process: N concurrent keep-alive connections driven by
``serve_load.py`` (raw asyncio sockets, no HTTP library: ~0.05 ms of CPU per request
at 8 clients, reported per level as the client's CPU), each
posting the sample project's example texts to ``/model/parse`` for ``--seconds``.
Reported per level: requests/s, p50/p99 latency, errors (non-200 answers, answers
without an intent, failed requests). The default model is ``sample_projects/pizza``'s
active model; without one it is trained first into a temporary folder (`workbench
train`, about a minute on 2 cores; ``--train-epochs`` shortens it for a quick check).

With ``--rasa-venv DIR`` (a virtual environment holding Rasa 3.6, e.g. made by
``bench_vs_rasa.py --install-rasa DIR``) Rasa is the peer in the same run: a Rasa
model is trained from the same project and config (``rasa train nlu``, or reuse one
with ``--rasa-model FILE``), ``rasa run --enable-api`` serves it, and every client
level loads both servers in turn with the same clients and texts (ours first, then
Rasa first at the next level, and so on). Both servers get every CPU core (our
default workers; Rasa's TensorFlow thread pools). Without it there is no peer, and
the report quotes Rasa's published single-parse figure (10.6 ms, not the same run).

The fuzz phase (ours only) sends ``--fuzz`` hostile requests over raw sockets (broken
and nested JSON, wrong types, invalid UTF-8, unpaired surrogates, control characters,
long texts, bodies over the limit, bad request lines and headers, unknown paths and
methods) and checks: no 5xx, every request answered with an HTTP status line, the
server process alive, no traceback in its log, and ``/status`` and a real parse still
answered.

Full measurement (about 10 minutes, most of it Rasa training and loading)::

    .venv/bin/python benchmarks/bench_serve.py --rasa-venv /work/rasa/venv \\
        --json serve.json --markdown serve.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rasa_peer
import serve_load

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RASA_MEDIAN_MS = 10.6  # one parse, Rasa 3.6 on this kind of machine (not same-run)
SAMPLE = REPO / "sample_projects" / "pizza"


def _model(source: str | None, scratch: Path, epochs: int | None) -> Path:
    from workbench.training.active_model import active_model, is_model_folder

    if source:
        return Path(source)
    found = active_model(SAMPLE)
    if found is not None and is_model_folder(found) and epochs is None:
        return found
    out = scratch / "pizza-model"
    print(f"training {SAMPLE} once into {out} ...", file=sys.stderr)
    extra = ["--epochs", str(epochs)] if epochs else []
    subprocess.run([sys.executable, "-m", "workbench.cli.main", "train", str(SAMPLE),
                    "--out", str(out), "--no-progress", *extra], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def _rasa_model(rasa: Path, project: Path, scratch: Path, epochs: int | None,
                threads: int) -> Path:
    """Train a Rasa model from ``project``'s config.yml and data/ (same as ours)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    config = yaml.load((project / "config.yml").read_text(encoding="utf-8"))
    if epochs:
        for component in config.get("pipeline") or []:
            if component.get("name") == "DIETClassifier":
                component["epochs"] = epochs
    config.pop("policies", None)  # `rasa train nlu` reads only the pipeline
    config_file = scratch / "rasa-config.yml"
    with config_file.open("w", encoding="utf-8") as handle:
        yaml.dump(config, handle)
    print(f"training a Rasa model on {project} (rasa train nlu) ...", file=sys.stderr)
    run, model = rasa_peer.train(rasa, config_file, project / "data",
                                 scratch / "rasa-model", threads=threads,
                                 workdir=scratch)
    print(f"Rasa trained in {run.wall_s:.0f} s", file=sys.stderr)
    return model


def _texts() -> list[str]:
    from workbench.core.project import load_project

    project = load_project(REPO / "sample_projects" / "pizza")
    return [example.text for example in project.examples] or ["hello"]


def _start_server(model: Path, workers: int, max_batch: int, log: Path
                  ) -> tuple[subprocess.Popen, str]:
    handle = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli.main", "serve", str(model), "--port", "0",
         "--quiet", "--workers", str(workers), "--max-batch", str(max_batch)],
        cwd=REPO, stderr=subprocess.PIPE, stdout=handle, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stderr is not None
    line = process.stderr.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
    if not match:
        process.kill()
        raise SystemExit(f"server did not start: {line}{process.stderr.read()}")

    def drain() -> None:  # keep the server's stderr flowing into the log file
        for rest in process.stderr:  # type: ignore[union-attr]
            handle.write(rest)
            handle.flush()

    import threading

    threading.Thread(target=drain, daemon=True).start()
    return process, match.group(1)


# -- load -----------------------------------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


async def _load_level(url: str, clients: int, seconds: float, texts: list[str]
                      ) -> dict[str, float]:
    """One level from :mod:`serve_load` (raw keep-alive sockets, ~0.05-0.2 ms of CPU
    per request, reported as ``client_cpu_ms_per_request``)."""
    result = await serve_load.run_load(url, serve_load.build_requests(url, texts),
                                       clients, seconds)
    return result.summary()


# -- fuzz -----------------------------------------------------------------------------
def _hostile(rng: random.Random, texts: list[str]) -> bytes:
    """One hostile request (raw bytes, Connection: close)."""
    kind = rng.randrange(14)
    path, method, extra = "/model/parse", "POST", b""
    text = rng.choice(texts)
    if kind == 0:  # broken JSON: a valid body cut or with a byte flipped
        body = json.dumps({"text": text}).encode()
        cut = rng.randrange(len(body))
        body = body[:cut] + bytes([rng.randrange(256)]) + body[cut + 1:]
    elif kind == 1:  # wrong types
        body = json.dumps(
            {
                "text": rng.choice([None, 1, 2.5, True, [text], {"a": text}]),
                "message_id": rng.choice([None, 3, "id", [], {}]),
            }
        ).encode()
    elif kind == 2:  # deep nesting
        depth = rng.choice([100, 1000, 100_000])
        body = b'{"text": ' + b"[" * depth + b"]" * depth + b"}"
    elif kind == 3:  # invalid UTF-8
        body = b'{"text": "' + bytes(rng.randrange(128, 256) for _ in range(20)) + b'"}'
    elif kind == 4:  # unpaired surrogates and escapes
        body = rng.choice([b'{"text": "\\ud800"}', b'{"text": "a\\udfffb"}',
                           b'{"text": "\\u0000\\u0001\\u001f"}', b'{"text": "\\x"}'])
    elif kind == 5:  # random unicode, emoji, control and format characters
        alphabet = "aé漢字😀\u200b\u202e\u0000\u0007\t\n\r\x1b\ufeff\U0010ffff "
        body = json.dumps({"text": "".join(rng.choice(alphabet) for _ in range(
            rng.randrange(1, 400)))}, ensure_ascii=rng.random() < 0.5).encode()
    elif kind == 6:  # long texts near and over what the model reads
        words = rng.randrange(400, 3000)
        body = json.dumps({"text": " ".join(rng.choice(texts) for _ in range(words))}
                          ).encode()
    elif kind == 7:  # over the body limit (declared)
        body = b'{"text": "' + b"a" * (1024 * 1024 + rng.randrange(100)) + b'"}'
    elif kind == 8:  # not an object / missing text / empty
        body = rng.choice([b"[]", b"null", b'"text"', b"{}", b"", b"   ", b"1e999999"])
    elif kind == 9:  # huge numbers
        body = b'{"text": "x", "n": ' + b"9" * rng.choice([10, 5000, 50_000]) + b"}"
    elif kind == 10:  # bad paths and methods
        body = json.dumps({"text": text}).encode()
        path = rng.choice(["/", "/nope", "/model", "/status/../x", "/model/parse/",
                           "/%00", "/model/parse?token=%ff"])
        method = rng.choice(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"])
    elif kind == 11:  # oversized header / many headers
        body = json.dumps({"text": text}).encode()
        extra = rng.choice([b"X-Big: " + b"a" * 20_000 + b"\r\n",
                            b"".join(b"X-%d: v\r\n" % i for i in range(300))])
    elif kind == 12:  # garbage instead of HTTP
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) + (
            b"\r\n\r\n")
    else:  # PUT /model with bad paths
        method, path = "PUT", "/model"
        body = json.dumps(
            {
                "model_file": rng.choice(
                    ["/nonexistent", "/", "/etc/passwd", "", 5, "\u0000", "../" * 50]
                )
            }
        ).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            ).encode() + extra + b"\r\n"
    return head + body


async def _fuzz(port: int, count: int, texts: list[str], concurrency: int = 16
                ) -> dict[str, object]:
    rng = random.Random(1234)
    requests = [_hostile(rng, texts) for _ in range(count)]
    statuses: dict[str, int] = {}
    unanswered = 0
    queue = iter(requests)

    async def one(data: bytes) -> None:
        nonlocal unanswered
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                pass  # the server may close early on an oversize body: read its answer
            answer = await asyncio.wait_for(reader.read(200), 30)
            writer.close()
        except (ConnectionError, OSError, asyncio.TimeoutError):
            answer = b""
        match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
        if match:
            key = match.group(1).decode()
            statuses[key] = statuses.get(key, 0) + 1
        else:
            unanswered += 1

    async def worker() -> None:
        for data in queue:
            await one(data)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {
        "requests": count,
        "statuses": dict(sorted(statuses.items())),
        "unanswered": unanswered,
        "seconds": round(time.perf_counter() - started, 1),
    }


async def _still_answering(url: str) -> bool:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/status") as response:
            ok = response.status == 200
        async with session.post(url + "/model/parse", json={"text": "a large pizza"}
                                ) as response:
            return ok and response.status == 200 and "intent" in await response.json()


def _measure(tool: str, process: subprocess.Popen, url: str, clients: int,
             seconds: float, texts: list[str]) -> dict[str, object]:
    """One load level against one server, with the CPU time both sides spent."""
    server_cpu = _cpu_seconds(process.pid)
    level: dict[str, object] = {"tool": tool, **asyncio.run(
        _load_level(url, clients, seconds, texts))}
    n = max(1, int(level["requests"]))  # type: ignore[arg-type]
    level["server_cpu_ms_per_request"] = round(
        (_cpu_seconds(process.pid) - server_cpu) * 1000 / n, 2)
    level["loadavg"] = (Path("/proc/loadavg").read_text().split()[0]
                        if Path("/proc/loadavg").exists() else "")
    print(f"{tool:9s} {clients:3d} clients: {level['rps']:8.1f} req/s  p50 "
          f"{level['p50_ms']:7.2f} ms  p99 {level['p99_ms']:7.2f} ms  errors "
          f"{level['errors']} / {level['requests']}  CPU/request: server "
          f"{level['server_cpu_ms_per_request']} ms, client "
          f"{level['client_cpu_ms_per_request']} ms  (load {level['loadavg']})",
          flush=True)
    return level


def _table(ours: list[dict], rasa: list[dict] | None) -> str:
    """Markdown: per client level, both servers side by side."""
    if rasa is None:
        lines = ["| clients | workbench req/s | p50 | p99 | errors |",
                 "|---|---|---|---|---|"]
        lines += [f"| {o['clients']} | {o['rps']} | {o['p50_ms']} ms | "
                  f"{o['p99_ms']} ms | {o['errors']} |" for o in ours]
        return "\n".join(lines + ["", "Rasa: no peer (not installed; --rasa-venv)."])
    lines = ["| clients | workbench req/s | Rasa 3.6.21 req/s | ratio | workbench "
             "p50 / p99 | Rasa p50 / p99 | errors (ours / Rasa) |",
             "|---|---|---|---|---|---|---|"]
    for o, r in zip(ours, rasa, strict=True):
        ratio = o["rps"] / r["rps"] if r["rps"] else float("inf")
        lines.append(f"| {o['clients']} | {o['rps']} | {r['rps']} | {ratio:.1f}x | "
                     f"{o['p50_ms']} / {o['p99_ms']} ms | {r['p50_ms']} / "
                     f"{r['p99_ms']} ms | {o['errors']} / {r['errors']} |")
    return "\n".join(lines)


def _print_published(levels: list[dict]) -> None:
    """Without a peer: compare with Rasa's published single-parse figure."""
    one = next((lv for lv in levels if lv["clients"] == 1), None)
    eight = next((lv for lv in levels if lv["clients"] == 8), None)
    rasa_rps = 1000 / RASA_MEDIAN_MS
    print("no peer: Rasa is not installed (--rasa-venv DIR)")
    if one:
        print(f"single client p50 {one['p50_ms']} ms vs Rasa's 10.6 ms median parse "
              "(published figure, not the same run)")
    if eight:
        print(f"8 clients: {eight['rps']} req/s = {eight['rps'] / rasa_rps:.1f}x the "
              f"{rasa_rps:.0f} req/s that one 10.6 ms parse at a time allows")


def _run_fuzz(process: subprocess.Popen, url: str, count: int, texts: list[str],
              log: Path) -> dict:
    port = int(url.rsplit(":", 1)[1])
    fuzz = asyncio.run(_fuzz(port, count, texts))
    fuzz["server_alive"] = process.poll() is None
    fuzz["still_answering"] = (fuzz["server_alive"]
                               and asyncio.run(_still_answering(url)))
    log_text = log.read_text(encoding="utf-8", errors="replace")
    fuzz["tracebacks_in_log"] = log_text.count("Traceback")
    fuzz["5xx"] = sum(n for s, n in fuzz["statuses"].items()  # type: ignore
                      if s.startswith("5"))
    print(f"fuzz: {fuzz['requests']} hostile requests in {fuzz['seconds']} s: "
          f"statuses {fuzz['statuses']}, unanswered {fuzz['unanswered']}, "
          f"5xx {fuzz['5xx']}, tracebacks {fuzz['tracebacks_in_log']}, "
          f"server alive {fuzz['server_alive']}, still answering "
          f"{fuzz['still_answering']}")
    return fuzz


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder or project (default: the "
                        "pizza sample project's active model, trained if missing)")
    parser.add_argument("--seconds", type=float, default=30.0, help="per level")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--rasa-venv", metavar="DIR",
                        default=os.environ.get("RASA_VENV"),
                        help="virtual environment with Rasa 3.6: serve a Rasa model "
                        "of the same data side by side (default: $RASA_VENV)")
    parser.add_argument("--rasa-model", metavar="FILE",
                        help="Rasa model (.tar.gz) to serve instead of training one")
    parser.add_argument("--train-epochs", type=int, metavar="N",
                        help="when a model has to be trained (ours without an "
                        "active model, Rasa's): DIET epochs (default: the config's)")
    args = parser.parse_args()
    try:
        args.levels = [int(c) for c in args.clients.split(",") if c.strip()]
    except ValueError:
        parser.error(f"--clients: numbers separated by commas, got {args.clients!r}")
    if not args.levels or min(args.levels) < 1 or args.seconds <= 0:
        parser.error("--clients needs positive counts and --seconds a positive time")
    if args.rasa_model and not Path(args.rasa_model).is_file():
        parser.error(f"--rasa-model {args.rasa_model}: no such file")
    if args.train_epochs is not None and args.train_epochs < 1:
        parser.error("--train-epochs must be at least 1")
    return args


def main() -> int:
    args = _parse_args()
    rasa = rasa_peer.resolve(args.rasa_venv, None)
    scratch = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    model = _model(args.model, scratch, args.train_epochs)
    texts = _texts()
    log = scratch / "server.log"
    results: dict[str, object] = {
        "model": str(model),
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "max_batch": args.max_batch,
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3]
        if Path("/proc/loadavg").exists()
        else [],
    }
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    try:
        if rasa is not None:
            project = (Path(args.model) if args.model and
                       (Path(args.model) / "config.yml").is_file() else SAMPLE)
            threads = os.cpu_count() or 1
            rasa_model = (Path(args.rasa_model) if args.rasa_model else _rasa_model(
                rasa, project, scratch, args.train_epochs, threads))
            results["rasa"] = {"version": rasa_peer.rasa_version(rasa.parent.parent),
                               "model": str(rasa_model), "project": str(project)}
            print("starting rasa run --enable-api ...", file=sys.stderr, flush=True)
            servers["rasa"] = rasa_peer.serve(rasa, rasa_model, threads=threads,
                                              workdir=scratch,
                                              log=scratch / "rasa-server.log")
        servers["workbench"] = _start_server(model, args.workers, args.max_batch, log)
        for _, url in servers.values():  # warm up
            asyncio.run(_load_level(url, 1, min(2.0, args.seconds), texts))
        levels: dict[str, list[dict]] = {name: [] for name in servers}
        for number, clients in enumerate(args.levels):
            order = ["workbench", "rasa"] if number % 2 == 0 else ["rasa", "workbench"]
            for name in (name for name in order if name in servers):
                process, url = servers[name]
                levels[name].append(_measure(name, process, url, clients,
                                             args.seconds, texts))
        results["levels"] = levels["workbench"]
        if rasa is not None:
            results["rasa"]["levels"] = levels["rasa"]  # type: ignore[index]
        else:
            _print_published(levels["workbench"])
        table = _table(levels["workbench"], levels.get("rasa"))
        print()
        print(table)
        if args.markdown:
            Path(args.markdown).write_text(table + "\n", encoding="utf-8")
        if "rasa" in servers:  # the fuzz phase is ours alone
            results["rasa"]["server_exit_on_sigterm"] = (  # type: ignore[index]
                rasa_peer.stop(servers.pop("rasa")[0]))
        if args.fuzz:
            process, url = servers["workbench"]
            results["fuzz"] = _run_fuzz(process, url, args.fuzz, texts, log)
        results["loadavg_after"] = (Path("/proc/loadavg").read_text().split()[:3]
                                    if Path("/proc/loadavg").exists() else [])
        print(f"load average before {results['loadavg_before']}, after "
              f"{results['loadavg_after']} (shared machine)")
    finally:
        for name, (process, _) in servers.items():
            code = rasa_peer.stop(process)
            if name == "workbench":
                results["server_exit_on_sigterm"] = code
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    peer = results.get("rasa")
    bad = any(lv["errors"] for lv in results.get("levels", []))  # type: ignore
    if isinstance(peer, dict):
        bad = bad or any(lv["errors"] for lv in peer.get("levels", []))
    fuzz = results.get("fuzz")
    if isinstance(fuzz, dict):
        bad = bad or bool(fuzz["5xx"] or fuzz["tracebacks_in_log"]
                          or not fuzz["still_answering"])
    if bad:
        print(f"server logs and models kept in {scratch}", file=sys.stderr)
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
