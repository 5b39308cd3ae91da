"""A small training graph whose nodes are computed at most once and cached on disk.

Each :class:`Node` names its inputs (other nodes), its settings and the parts of the
training data it reads. Its fingerprint key hashes these, the source of the modules that
define its functions and of every ``workbench`` module they import (derived from the
import statements, :func:`~workbench.training.fingerprint.module_closure`), and the
output fingerprints of its inputs (Rasa's ``calculate_fingerprint_key``).
:class:`GraphExecutor` evaluates nodes lazily, from the targets backwards: a node whose
key is in the cache index hands its stored output fingerprint to its dependants without
being loaded, so when DIET's key is a hit the featurizers' outputs are never read, and
when only a DIET setting changed the feature matrices are restored, not recomputed.

A node's ``compute`` is a generator: it may yield progress events and returns its output
(``value = yield from ...``). Outputs are written with ``save(value, folder)`` and read
back with ``load(folder)``; a damaged cache entry (checksum mismatch, missing file, or a
``load`` that raises) is discarded and the node recomputes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.training.cache import TrainingCache
from workbench.training.events import NodeCompleted, NodeStarted, TrainingEvent
from workbench.training.fingerprint import code_version, fingerprint_of


class TrainingStopped(Exception):
    """Training stopped early because a stop was requested."""

    def __init__(self, epochs_completed: int = 0) -> None:
        super().__init__(f"stopped after {epochs_completed} epoch(s)")
        self.epochs_completed = epochs_completed


# Node outputs differ from node to node (a corpus, a featurizer, DIET...): ``Any``.
Compute = Callable[[dict[str, Any]], Generator[TrainingEvent, None, Any]]


@dataclass(frozen=True)
class Node:
    """One step of the training graph.

    Attributes:
        name: Unique node name, shown to users ("tokenizer", "count_vectors_word"...).
        compute: ``compute(inputs) -> generator`` that yields events and returns the
            output; ``inputs`` maps input node names to their outputs (a dict the
            node may pop from, to free an output it no longer needs).
        save: Write an output into an (empty) folder.
        load: Read an output back from such a folder.
        inputs: Names of the nodes whose outputs ``compute`` needs.
        settings: Every setting that changes the output (JSON-able).
        code_modules: Extra modules whose source defines the node's behaviour, beyond
            those of ``compute``/``save``/``load`` and what they import (derived).
        data: Fingerprints of the training data the node reads directly.
        cacheable: False for nodes that must always run.
        keep_output: False: the executor lets go of the output once the node that
            reads it starts (for large data read by one node: the featurized training
            set, so DIET can free what it no longer needs while it trains); asking
            for it again restores or recomputes it.
    """

    name: str
    compute: Compute
    save: Callable[[Any, Path], None]
    load: Callable[[Path], Any]
    inputs: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    code_modules: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    cacheable: bool = True
    keep_output: bool = True

    def code_entry_modules(self) -> tuple[str, ...]:
        """The modules defining the node's functions plus ``code_modules``; the key
        covers these and everything they import from ``workbench``."""
        defining = (getattr(f, "__module__", None)
                    for f in (self.compute, self.save, self.load))
        return tuple(sorted({*self.code_modules, *(m for m in defining if m)}))


class GraphExecutor:
    """Evaluate nodes on demand, restoring outputs from a cache where possible.

    Args:
        nodes: The graph; input names must refer to nodes of the same graph.
        cache: Where outputs are stored; None runs everything uncached.
        force: Recompute every node (and overwrite its cache entry).
        on_store_error: Called with a message when an output could not be cached.
        should_stop: Checked before each node runs; true raises TrainingStopped.
    """

    def __init__(self, nodes: Iterable[Node], cache: TrainingCache | None, *,
                 force: bool = False,
                 on_store_error: Callable[[str], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        self.nodes = {node.name: node for node in nodes}
        for node in self.nodes.values():
            missing = [name for name in node.inputs if name not in self.nodes]
            if missing:
                raise ValueError(f"node {node.name!r} needs unknown node(s) {missing}")
        self.cache = cache
        self.force = force
        self.on_store_error = on_store_error or (lambda message: None)
        self.should_stop = should_stop
        self._keys: dict[str, str] = {}
        self._output_fingerprints: dict[str, str] = {}
        self._values: dict[str, Any] = {}
        self.ran: list[str] = []
        self.restored: list[str] = []

    def key(self, name: str) -> Generator[TrainingEvent, None, str]:
        """Return the fingerprint key of a node (may compute inputs that are misses)."""
        if name not in self._keys:
            node = self.nodes[name]
            upstream = []
            for input_name in node.inputs:
                upstream.append((yield from self.output_fingerprint(input_name)))
            self._keys[name] = fingerprint_of(
                node.name, code_version(*node.code_entry_modules()), node.settings,
                list(node.data), upstream,
            )
        return self._keys[name]

    def output_fingerprint(self, name: str) -> Generator[TrainingEvent, None, str]:
        """Return what a node's dependants see of its output.

        The output fingerprint is the node's key: nodes are deterministic given their
        key, and a cache hit says the output exists without loading it.
        """
        if name not in self._output_fingerprints:
            key = yield from self.key(name)
            node = self.nodes[name]
            entry = None
            if self.cache is not None and node.cacheable and not self.force:
                started = time.perf_counter()
                entry = self.cache.peek(key)
            if entry is None:
                yield from self.value(name)
            elif name not in self.restored:
                # Cached: dependants only need the fingerprint; the output is loaded
                # later only if a node that needs it has to run.
                self.restored.append(name)
                yield NodeCompleted(name, True, time.perf_counter() - started, key)
            self._output_fingerprints[name] = key
        return self._output_fingerprints[name]

    def value(self, name: str) -> Generator[TrainingEvent, None, Any]:
        """Return a node's output, restored from the cache or computed."""
        if name in self._values:
            return self._values[name]
        key = yield from self.key(name)
        node = self.nodes[name]
        use_cache = self.cache is not None and node.cacheable
        if use_cache and not self.force:
            started = time.perf_counter()
            restored, value = self._restore(key, node)
            if restored:
                self._values[name] = value
                if name not in self.restored:
                    self.restored.append(name)
                    yield NodeCompleted(name, True, time.perf_counter() - started, key)
                return value
            if name in self.restored:  # announced as cached, but the entry was damaged
                self.restored.remove(name)
        inputs = {}
        for input_name in node.inputs:
            inputs[input_name] = yield from self.value(input_name)
        for input_name in node.inputs:
            if not self.nodes[input_name].keep_output:
                self._values.pop(input_name, None)  # ``inputs`` holds it now
        if self.should_stop():
            raise TrainingStopped(0)
        yield NodeStarted(name)
        started = time.perf_counter()
        value = yield from node.compute(inputs)
        seconds = time.perf_counter() - started
        if use_cache:
            self._store(key, node, value)
        self._values[name] = value
        self._output_fingerprints[name] = key
        self.ran.append(name)
        yield NodeCompleted(name, False, seconds, key)
        return value

    def _restore(self, key: str, node: Node) -> tuple[bool, Any]:
        assert self.cache is not None
        entry = self.cache.lookup(key)
        if entry is None:
            return False, None
        try:
            return True, node.load(entry.path)
        except Exception:  # noqa: BLE001 - any unreadable entry is recomputed
            self.cache.discard(key, entry)  # unless another process replaced it
            return False, None

    def _store(self, key: str, node: Node, value: Any) -> None:
        assert self.cache is not None
        try:
            self.cache.store(key, node.name, key,
                             lambda folder: node.save(value, folder))
        except Exception as error:  # noqa: BLE001 - a full disk must not fail training
            self.on_store_error(f"could not cache {node.name}: {error}")
