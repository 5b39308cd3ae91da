"""Run training processes with tcmalloc instead of glibc's malloc where it is installed.

DIET's batches change shape every step, and glibc's malloc keeps the freed buffers of
old shapes in its heaps: SNIPS at Rasa's late batch size holds 207-212 MB in use but
the arena grows by ~380 MB of free chunks in 45 steps, and every buffer it gives back
to the OS returns as zero-filled page faults. tcmalloc (gperftools'
``tcmalloc_minimal``, Debian/Ubuntu package ``libtcmalloc-minimal4``) reuses its size
classes: SNIPS, 2 threads, same invocation, alternating: 17.0-17.5 -> 15.0-15.4 s per
epoch and peak RSS 1,380 -> 1,075 MB (docs/benchmarks.md, "tcmalloc instead of
glibc's malloc").

An allocator can only be chosen when a process starts, so:

* ``workbench train``, ``workbench test --cross-validation`` and the headless
  ``workbench app --train`` re-execute themselves once with ``LD_PRELOAD`` naming the
  library (:func:`reexec_with_allocator`);
* the app's training child is spawned with it in its environment
  (:func:`allocator_environment`).

``WORKBENCH_MALLOC=system`` keeps the system allocator;
``WORKBENCH_MALLOC=/path/lib.so`` names another library to preload. Linux only;
elsewhere everything here is a no-op. This module imports neither torch nor Qt.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ENV_CHOICE = "WORKBENCH_MALLOC"
SYSTEM = "system"
# Set in a re-executed process so it never re-executes again.
_ENV_DONE = "WORKBENCH_MALLOC_PRELOADED"
# gperftools reports every allocation above 1 GiB on stderr ("tcmalloc: large alloc");
# featurizing 100,000 examples can make such arrays, and the report is noise.
_QUIET = {"TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD": str(1 << 62)}
_SONAMES = ("libtcmalloc_minimal.so.4", "libtcmalloc.so.4")
_LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
             "/usr/lib", "/usr/local/lib", "/lib/x86_64-linux-gnu", "/lib64")
_environ_lock = threading.Lock()


def preload_library(environ: Mapping[str, str] | None = None) -> str | None:
    """The allocator library to preload for training, or None (keep the system's).

    ``WORKBENCH_MALLOC`` decides when set: ``system`` for none, else a path that must
    exist. Otherwise the first tcmalloc found in the usual library folders.
    """
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    choice = env.get(ENV_CHOICE, "").strip()
    if choice.lower() == SYSTEM:
        return None
    if choice:
        return choice if Path(choice).is_file() else None
    for folder in _LIB_DIRS:
        for name in _SONAMES:
            candidate = Path(folder) / name
            if candidate.is_file():
                return str(candidate)
    return None


def with_allocator(environ: Mapping[str, str], library: str) -> dict[str, str]:
    """A copy of ``environ`` that preloads ``library`` (before any other preload)."""
    env = dict(environ)
    current = [p for p in env.get("LD_PRELOAD", "").replace(":", " ").split() if p]
    if library not in current:
        env["LD_PRELOAD"] = " ".join([library, *current])
    for key, value in _QUIET.items():
        env.setdefault(key, value)
    env[_ENV_DONE] = library
    return env


# The re-executed command: ``workbench ARGV`` as the console script runs it (without
# the working folder on sys.path: a ``workbench`` folder there cannot shadow the code).
_MAIN = ("import sys; sys.path[:1] = [] if sys.path[:1] == [''] else sys.path[:1]; "
         "from workbench.cli.main import main; sys.exit(main())")


def reexec_with_allocator(argv: Sequence[str]) -> None:
    """Replace this process by ``workbench ARGV`` (same Python) with the allocator.

    Returns (doing nothing) when no library is found, when this process was already
    started with one, or when ``exec`` fails; the command then runs as it is.
    """
    library = preload_library()
    if library is None or os.environ.get(_ENV_DONE) or not sys.executable:
        return
    env = with_allocator(os.environ, library)
    command = [sys.executable, "-c", _MAIN, *argv]
    with contextlib.suppress(OSError):
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, command, env)


@contextlib.contextmanager
def allocator_environment() -> Iterator[str | None]:
    """Within this block, processes started from ``os.environ`` preload the allocator.

    For ``multiprocessing``'s spawn, which takes the child's environment from
    ``os.environ``; the previous values are restored on exit. Yields the library
    (None: nothing changed).
    """
    library = preload_library()
    if library is None:
        yield None
        return
    with _environ_lock:
        saved = {key: os.environ.get(key) for key in ("LD_PRELOAD", _ENV_DONE, *_QUIET)}
        os.environ.update(with_allocator(os.environ, library))
        try:
            yield library
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def active_library() -> str | None:
    """The preloaded allocator this process runs with (from its memory map), or None."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in maps.splitlines():
        fields = line.split(maxsplit=5)  # address perms offset dev inode [path]
        if len(fields) == 6 and "libtcmalloc" in Path(fields[5]).name:
            return fields[5]
    return None
