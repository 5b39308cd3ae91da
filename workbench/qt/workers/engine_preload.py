"""Import the NLU engine (and torch) once in the background, after a project opened.

The first model the window loads (the tester's, the Evaluate tab's, the scatter's)
imports torch: over a second of CPU, much of it with the GIL held. Done on demand at the
end of the first run, it froze the window for about a third of a second just as the
run ended, and the cyclic GC's full passes over torch's objects then took 50-100 ms
each on the GUI thread (``benchmarks/bench_app_training.py``, "after" phase). Done
once while the user looks at a freshly opened project, the import costs nothing the
user waits for, and what it allocated is frozen out of those full passes
(``gc.freeze``).
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None


def preload_engine() -> None:
    """Start importing the engine in a daemon thread (once per process)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_import_engine, name="engine-preload",
                                       daemon=True)
            _thread.start()


def wait_for_engine(timeout: float) -> bool:
    """Wait up to ``timeout`` s for a started preload; True if none is running.

    The window calls it when it closes: an interpreter that exits in the middle of
    torch's import can crash on the way out.
    """
    thread = _thread
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


def _import_engine() -> None:
    try:
        import workbench.nlu.predictor_loader  # noqa: F401  (imports torch)
    except Exception:  # noqa: BLE001 (the real load reports it, where it matters)
        return
    gc.freeze()  # torch's objects stay out of the GC's full passes
