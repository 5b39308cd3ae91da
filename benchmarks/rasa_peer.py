"""Rasa 3.6.21 as a benchmark peer: install it, train, test and serve with it.

Shared by ``bench_vs_rasa.py`` and ``bench_serve.py``. Rasa lives in its own virtual
environment *outside* this repository (it needs Python 3.8-3.10 and TensorFlow 2.12);
nothing here imports it: every Rasa step is a ``DIR/bin/rasa`` subprocess.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

RASA_VERSION = "3.6.21"
PYTHONS = ("3.10", "3.9", "3.8")  # what Rasa 3.6 supports, best first

# Rasa's default pipeline (rasa/engine/recipes/config_files/default_config.yml) with
# DIET's constrain_similarities, as in sample_projects/pizza/config.yml. Both tools
# read the same file.
CONFIG_TEMPLATE = """\
recipe: default.v1
language: en
assistant_id: bench-vs-rasa
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
    random_seed: {seed}
  - name: EntitySynonymMapper
"""

# tqdm's bar from Rasa's training callback: "Epochs:  40%|####  | 2/5 [00:41<...".
_EPOCH_BAR = re.compile(r"Epochs:\s*\d+%\|[^|]*\|\s*(\d+)/(\d+)")


def write_config(path: Path, epochs: int, seed: int) -> Path:
    """Write the shared ``config.yml`` (Rasa's default pipeline) to ``path``."""
    path.write_text(CONFIG_TEMPLATE.format(epochs=epochs, seed=seed), encoding="utf-8")
    return path


# -- finding and installing Rasa ---------------------------------------------------
def _python_version(executable: str) -> str | None:
    """``"3.10"`` if ``executable`` runs and can make venvs, else None."""
    try:
        done = subprocess.run(
            [executable, "-c", "import sys, venv, ensurepip; "
             "print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def find_python() -> str | None:
    """A Python 3.10, 3.9 or 3.8 interpreter that works (pyenv shims may not)."""
    for version in PYTHONS:
        candidates = [shutil.which(f"python{version}")]
        for root in ("~/.pyenv/versions", "/root/.pyenv/versions", "/opt/python",
                     "/usr/local/opt"):
            pattern = os.path.join(os.path.expanduser(root), f"{version}*", "bin",
                                   f"python{version}")
            candidates += sorted(glob.glob(pattern), reverse=True)
        candidates += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
        for candidate in dict.fromkeys(c for c in candidates if c):
            if os.access(candidate, os.X_OK) and _python_version(candidate) == version:
                return candidate
    return None


def rasa_executable(venv: Path) -> Path | None:
    """``venv/bin/rasa`` if ``venv`` holds a working Rasa, else None."""
    rasa = venv / "bin" / "rasa"
    python = venv / "bin" / "python"
    if not (rasa.is_file() and python.is_file()):
        return None
    done = subprocess.run([str(python), "-c", "import rasa.version as v; "
                           "print(v.__version__)"], capture_output=True, text=True)
    return rasa if done.returncode == 0 else None


def rasa_version(venv: Path) -> str:
    """The installed Rasa version (``"3.6.21"``)."""
    done = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import rasa.version as v; print(v.__version__)"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def install(venv: Path) -> Path:
    """Make ``venv`` a virtual environment with Rasa 3.6.21; return ``venv/bin/rasa``.

    Reuses a working installation. Raises SystemExit with a clear message when no
    Python 3.8-3.10 is found or pip fails (the last lines of its log are shown).
    """
    found = rasa_executable(venv)
    if found is not None:
        print(f"Rasa already installed in {venv}", flush=True)
        return found
    python = find_python()
    if python is None:
        raise SystemExit(
            "cannot install Rasa: it needs Python 3.10, 3.9 or 3.8 and none was found "
            "(looked for python3.10/3.9/3.8 on PATH, in ~/.pyenv/versions and in "
            "/usr/bin); install one, or give --rasa-venv an existing Rasa venv")
    venv.mkdir(parents=True, exist_ok=True)
    log = venv.parent / f"{venv.name}-install.log"
    print(f"installing rasa=={RASA_VERSION} into {venv} with {python} (a few "
          f"minutes; log: {log})", flush=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        steps = ([python, "-m", "venv", str(venv)],
                 [str(venv / "bin" / "pip"), "install", f"rasa=={RASA_VERSION}"])
        for step in steps:
            if subprocess.run(step, stdout=handle, stderr=subprocess.STDOUT).returncode:
                tail = "".join(log.read_text(errors="replace").splitlines(True)[-15:])
                raise SystemExit(f"installing Rasa failed ({' '.join(step)}); end of "
                                 f"{log}:\n{tail}")
    found = rasa_executable(venv)
    if found is None:
        raise SystemExit(f"pip finished but {venv}/bin/rasa does not run; see {log}")
    print(f"Rasa installed in {time.perf_counter() - started:.0f} s", flush=True)
    return found


def resolve(venv: str | None, install_into: str | None) -> Path | None:
    """The Rasa executable to compare with, or None (no peer).

    Args:
        venv: An existing Rasa virtual environment (``--rasa-venv``).
        install_into: Install Rasa into this folder first (``--install-rasa``).

    Raises:
        SystemExit: ``venv`` holds no working Rasa, or the installation failed.
    """
    if install_into:
        target = Path(install_into).resolve()
        repo = Path(__file__).resolve().parents[1]
        if target == repo or repo in target.parents:
            raise SystemExit(f"--install-rasa {target}: choose a folder outside the "
                             f"repository {repo}")
        return install(target)
    if venv:
        found = rasa_executable(Path(venv))
        if found is None:
            raise SystemExit(f"--rasa-venv {venv}: no working Rasa there (expected "
                             f"{venv}/bin/rasa); install it with `benchmarks/"
                             f"bench_vs_rasa.py --install-rasa {venv}`")
        return found
    return None


def environment(threads: int, workdir: Path) -> dict[str, str]:
    """Environment for a Rasa process: no telemetry, no cache, CPU, ``threads``."""
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    env.update({
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_MAX_CACHE_SIZE": "0",
        "RASA_CACHE_DIRECTORY": str(workdir / ".rasa-cache"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",  # the comparison is CPU against CPU
        # read by rasa.utils.tensorflow.environment.setup_cpu_environment
        "TF_INTRA_OP_PARALLELISM_THREADS": str(threads),
        "TF_INTER_OP_PARALLELISM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "PYTHONUNBUFFERED": "1",
        "HOME": env.get("HOME", str(workdir)),
    })
    return env


# -- running a command and timestamping its output ---------------------------------
@dataclass
class TimedRun:
    """A finished subprocess: wall time, exit status, output pieces with times."""

    wall_s: float
    returncode: int
    pieces: list[tuple[float, str]] = field(default_factory=list)  # (seconds, text)

    def text(self) -> str:
        """All output, ``\\r`` turned into newlines."""
        return "\n".join(text for _, text in self.pieces)

    def tail(self, lines: int = 25) -> str:
        """The last ``lines`` lines of output."""
        return "\n".join(self.text().splitlines()[-lines:])


def run_timed(command: list[str], *, env: dict[str, str], cwd: Path,
              log: Path | None = None) -> TimedRun:
    """Run ``command``; time it and every ``\\r``/``\\n``-separated output piece."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    pieces: list[tuple[float, str]] = []
    assert process.stdout is not None
    # A piece is stamped with the time its first byte arrived: tqdm writes "\r<bar>"
    # and the piece only ends at the next redraw.
    buffer, buffer_time = b"", 0.0
    while chunk := os.read(process.stdout.fileno(), 65536):
        now = time.perf_counter() - started
        if not buffer:
            buffer_time = now
        parts = re.split(rb"[\r\n]", buffer + chunk)
        buffer = parts.pop()
        for index, part in enumerate(parts):
            if part:
                moment = buffer_time if index == 0 else now
                pieces.append((moment, part.decode("utf-8", "replace")))
        if parts:  # the unfinished rest began in this chunk
            buffer_time = now
    if buffer:
        pieces.append((buffer_time, buffer.decode("utf-8", "replace")))
    returncode = process.wait()
    wall = time.perf_counter() - started
    run = TimedRun(wall, returncode, pieces)
    if log is not None:
        log.write_text(run.text() + "\n", encoding="utf-8")
    return run


def epoch_seconds(run: TimedRun) -> list[float]:
    """Per-epoch wall times from the timestamps of Rasa's ``Epochs: k/N`` bar.

    The bar is drawn at 0/N before training starts and redrawn when each epoch ends,
    so epoch k took the time between the first ``k-1/N`` and the first ``k/N``.
    Epoch 1 includes TensorFlow's graph tracing.
    """
    first_seen: dict[int, float] = {}
    for moment, text in run.pieces:
        for match in _EPOCH_BAR.finditer(text):
            first_seen.setdefault(int(match.group(1)), moment)
    done = sorted(first_seen)
    return [first_seen[k] - first_seen[k - 1] for k in done if k >= 1
            and k - 1 in first_seen]


# -- train, test, serve ----------------------------------------------------------
def train(rasa: Path, config: Path, nlu: Path, out: Path, *, threads: int,
          workdir: Path) -> tuple[TimedRun, Path]:
    """``rasa train nlu``; return the timed run and the model file."""
    out.mkdir(parents=True, exist_ok=True)
    run = run_timed([str(rasa), "train", "nlu", "--config", str(config), "--nlu",
                     str(nlu), "--out", str(out), "--fixed-model-name", "model"],
                    env=environment(threads, workdir), cwd=workdir,
                    log=out / "rasa-train.log")
    model = out / "model.tar.gz"
    if run.returncode != 0 or not model.is_file():
        raise SystemExit(f"rasa train nlu failed (exit {run.returncode}):\n"
                         f"{run.tail()}")
    return run, model


def _json_file(path: Path) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def test(rasa: Path, model: Path, nlu: Path, out: Path, *, threads: int,
         workdir: Path) -> dict[str, float | None]:
    """``rasa test nlu`` on ``nlu``; intent accuracy / macro F1, entity token F1.

    Entity F1 is the weighted average over entity tokens in Rasa's
    ``DIETClassifier_report.json`` (what ``rasa test`` logs as F1-Score, and what
    ``workbench test`` reports as ``entity_token_f1``).
    """
    run = run_timed([str(rasa), "test", "nlu", "--model", str(model), "--nlu",
                     str(nlu), "--out", str(out), "--no-plot"],
                    env=environment(threads, workdir), cwd=workdir)
    intents = _json_file(out / "intent_report.json")
    if run.returncode != 0 or not intents:
        raise SystemExit(f"rasa test nlu failed (exit {run.returncode}):\n{run.tail()}")
    entities = _json_file(out / "DIETClassifier_report.json")
    weighted = entities.get("weighted avg", {})
    return {"intent_accuracy": float(intents["accuracy"]),
            "intent_macro_f1": float(intents["macro avg"]["f1-score"]),
            "entity_token_f1": (float(weighted["f1-score"]) if weighted else None)}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(rasa: Path, model: Path, *, threads: int, workdir: Path, log: Path,
          timeout_s: float = 600.0) -> tuple[subprocess.Popen, str]:
    """Start ``rasa run --enable-api`` on ``model``; wait until it answers.

    Returns:
        The server process and its base URL.
    """
    import urllib.request

    port = free_port()
    handle = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [str(rasa), "run", "--enable-api", "--model", str(model), "--port", str(port),
         "--interface", "127.0.0.1"],
        cwd=workdir, env=environment(threads, workdir), stdout=handle,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"rasa run exited ({process.returncode}); see {log}:\n"
                             + "".join(log.read_text(errors="replace")
                                       .splitlines(True)[-20:]))
        try:
            with urllib.request.urlopen(url + "/status", timeout=5) as answer:
                status = answer.read()
            if b'"model_file"' in status or b'"model_id"' in status:
                return process, url
        except OSError:
            pass
        time.sleep(1.0)
    process.kill()
    raise SystemExit(f"rasa run did not answer within {timeout_s:.0f} s; see {log}")


def stop(process: subprocess.Popen) -> int | None:
    """Stop a server started here (SIGTERM, then SIGKILL); return its exit status."""
    process.terminate()
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()

