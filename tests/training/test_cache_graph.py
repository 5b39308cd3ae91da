"""The training cache and the graph executor, with small stand-in nodes (no torch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.training.cache import CacheError, TrainingCache, open_cache
from workbench.training.events import NodeCompleted
from workbench.training.graph import GraphExecutor, Node


def _json_node(name, calls, inputs=(), settings=None, data=()):
    def compute(values):
        calls.append(name)
        yield from ()
        return {"name": name, "inputs": {k: v["name"] for k, v in values.items()}}

    def save(value, folder: Path) -> None:
        (folder / "value.json").write_text(json.dumps(value))

    def load(folder: Path):
        return json.loads((folder / "value.json").read_text())

    return Node(name, compute, save, load, inputs=tuple(inputs),
                settings=settings or {}, data=tuple(data))


def _graph(calls, *, diet_epochs=1, data="d1"):
    return [
        _json_node("tokenizer", calls, data=[data]),
        _json_node("featurizer", calls, inputs=["tokenizer"], data=[data]),
        _json_node("diet", calls, inputs=["featurizer"],
                   settings={"epochs": diet_epochs}),
    ]


def _run(nodes, cache, target="diet", force=False):
    executor = GraphExecutor(nodes, cache, force=force)
    events = []
    generator = executor.value(target)
    while True:
        try:
            events.append(next(generator))
        except StopIteration as stop:
            return stop.value, executor, events


def test_cache_store_lookup_round_trip(tmp_path):
    cache = TrainingCache(tmp_path / "cache", max_bytes=10_000)
    entry = cache.store("k1", "node", "k1", lambda f: (f / "a.txt").write_text("hello"))
    assert entry is not None
    found = cache.lookup("k1")
    assert found is not None and (found.path / "a.txt").read_text() == "hello"
    assert cache.lookup("missing") is None
    assert not list((tmp_path / "cache" / "tmp").iterdir())  # temp folder renamed away


def test_cache_damaged_entry_is_discarded(tmp_path):
    cache = TrainingCache(tmp_path / "cache", max_bytes=10_000)
    entry = cache.store("k1", "node", "k1", lambda f: (f / "a.txt").write_text("hello"))
    (entry.path / "a.txt").write_text("hellO")  # same size, different content
    assert cache.lookup("k1") is None
    assert cache.peek("k1") is None and not entry.path.exists()


def test_cache_evicts_least_recently_used(tmp_path):
    cache = TrainingCache(tmp_path / "cache", max_bytes=250)
    for key in ("a", "b"):
        cache.store(key, "n", key, lambda f: (f / "x").write_bytes(b"0" * 100))
    cache.lookup("a")  # "b" is now the least recently used
    cache.store("c", "n", "c", lambda f: (f / "x").write_bytes(b"0" * 100))
    assert {e.key for e in cache.entries()} == {"a", "c"}
    assert cache.total_bytes() <= 250
    # An output larger than the whole cache is not stored at all.
    big = cache.store("big", "n", "big", lambda f: (f / "x").write_bytes(b"0" * 300))
    assert big is None


def test_open_cache_falls_back_when_project_not_writable(tmp_path, monkeypatch):
    blocker = tmp_path / "project"
    blocker.mkdir()
    (blocker / ".workbench").write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    cache, note = open_cache(blocker)
    assert cache is not None and "home-cache" in str(cache.root)
    assert note and "not writable" in note
    monkeypatch.setenv("WORKBENCH_CACHE_MB", "0")
    assert open_cache(blocker)[0] is None
    monkeypatch.setenv("WORKBENCH_CACHE_MB", "lots")
    cache, note = open_cache(blocker)
    assert cache is None and "WORKBENCH_CACHE_MB" in note


def test_cache_error_on_unusable_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(CacheError, match="cannot use the training cache"):
        TrainingCache(tmp_path / "file" / "cache")


def test_graph_second_run_restores_target_only(tmp_path):
    cache = TrainingCache(tmp_path / "cache", max_bytes=10**6)
    calls: list[str] = []
    value, executor, _ = _run(_graph(calls), cache)
    assert calls == ["tokenizer", "featurizer", "diet"]  # inputs first
    assert value == {"name": "diet", "inputs": {"featurizer": "featurizer"}}
    calls.clear()
    value, executor, events = _run(_graph(calls), cache)
    assert calls == []
    assert set(executor.restored) == {"tokenizer", "featurizer", "diet"}
    assert all(e.from_cache for e in events if isinstance(e, NodeCompleted))


def test_graph_setting_change_reruns_only_that_node(tmp_path):
    cache = TrainingCache(tmp_path / "cache", max_bytes=10**6)
    _run(_graph([]), cache)
    calls: list[str] = []
    _, executor, _ = _run(_graph(calls, diet_epochs=2), cache)
    assert calls == ["diet"]
    assert set(executor.restored) == {"tokenizer", "featurizer"}


def test_graph_data_change_reruns_everything(tmp_path):
    cache = TrainingCache(tmp_path / "cache", max_bytes=10**6)
    _run(_graph([]), cache)
    calls: list[str] = []
    _run(_graph(calls, data="d2"), cache)
    assert sorted(calls) == ["diet", "featurizer", "tokenizer"]


def test_graph_damaged_upstream_entry_is_recomputed(tmp_path):
    cache = TrainingCache(tmp_path / "cache", max_bytes=10**6)
    _run(_graph([]), cache)
    featurizer = next(e for e in cache.entries() if e.node == "featurizer")
    (featurizer.path / "value.json").write_text("{truncated")
    calls: list[str] = []
    # DIET must rerun (new setting) and needs the damaged featurizer output.
    value, executor, _ = _run(_graph(calls, diet_epochs=3), cache)
    assert sorted(calls) == ["diet", "featurizer"]
    assert value["inputs"] == {"featurizer": "featurizer"}
    assert "featurizer" in executor.ran and "featurizer" not in executor.restored


def test_graph_force_recomputes(tmp_path):
    cache = TrainingCache(tmp_path / "cache", max_bytes=10**6)
    _run(_graph([]), cache)
    calls: list[str] = []
    _run(_graph(calls), cache, force=True)
    assert sorted(calls) == ["diet", "featurizer", "tokenizer"]


def test_graph_without_cache_runs_everything():
    calls: list[str] = []
    _, executor, _ = _run(_graph(calls), None)
    assert sorted(calls) == ["diet", "featurizer", "tokenizer"]
    assert executor.restored == []


def test_graph_lets_go_of_outputs_not_kept_once_read(tmp_path):
    import gc
    import weakref

    class Big:  # stands for the featurized training set
        pass

    seen = {}

    def make(values):
        yield from ()
        return Big()

    def read(values):
        big = values.pop("features")  # the node frees what it no longer needs
        seen["ref"] = weakref.ref(big)
        del big
        gc.collect()
        yield from ()
        return {"alive during diet": seen["ref"]() is not None}

    def unused(*_):
        raise AssertionError("not cached here")

    for keep, alive in ((False, False), (True, True)):
        nodes = [Node("features", make, unused, unused, cacheable=False,
                      keep_output=keep),
                 Node("diet", read, unused, unused, inputs=("features",),
                      cacheable=False)]
        value, executor, _ = _run(nodes, None)
        assert value == {"alive during diet": alive}
        assert ("features" in executor._values) is keep
        # Asked again, an output not kept is computed again.
        again, _, _ = _run(nodes, None, target="features")
        assert isinstance(again, Big)
